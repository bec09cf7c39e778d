package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/evodb/writer/cdc"
)

// maxLSNRanges bounds the accepted ranges remembered per producer above
// its floor. Past it, the oldest ranges fold into the floor: a gap older
// than the last maxLSNRanges batches of a producer is then taken as
// accepted (its entries are answered as duplicates).
const maxLSNRanges = 1024

// lsnRange is the span first..last of LSNs of one or more accepted batches.
type lsnRange struct{ first, last int64 }

// lsnRanges is what a table knows of the LSNs it accepted from one
// producer: every LSN up to floor, and the ranges above it (ascending,
// disjoint, neither touching floor nor each other). An LSN between them
// was never accepted.
type lsnRanges struct {
	floor int64 // -1: nothing below the ranges
	rs    []lsnRange
}

func newLSNRanges(floor int64) *lsnRanges { return &lsnRanges{floor: max(floor, -1)} }

// high is the highest accepted LSN, -1 when there is none.
func (r *lsnRanges) high() int64 {
	if n := len(r.rs); n > 0 {
		return r.rs[n-1].last
	}
	return r.floor
}

// find returns the index of the range holding lsn, or -1.
func (r *lsnRanges) find(lsn int64) int {
	i := sort.Search(len(r.rs), func(i int) bool { return r.rs[i].last >= lsn })
	if i < len(r.rs) && r.rs[i].first <= lsn {
		return i
	}
	return -1
}

// accepted reports whether lsn was accepted before.
func (r *lsnRanges) accepted(lsn int64) bool { return lsn <= r.floor || r.find(lsn) >= 0 }

// normalize folds into the floor the ranges it reaches or touches, and
// the oldest ranges beyond maxLSNRanges.
func (r *lsnRanges) normalize() {
	k := 0
	for k < len(r.rs) && (r.rs[k].first <= r.floor+1 || len(r.rs)-k > maxLSNRanges) {
		r.floor = max(r.floor, r.rs[k].last)
		k++
	}
	if k > 0 {
		r.rs = append(r.rs[:0], r.rs[k:]...)
	}
}

// extend records the accepted span first..last, whose first is either
// above high or inside the top range (a batch that went on from it).
func (r *lsnRanges) extend(first, last int64) {
	if n := len(r.rs); n > 0 && first <= r.rs[n-1].last+1 {
		r.rs[n-1].last = max(r.rs[n-1].last, last)
	} else if first <= r.floor+1 {
		r.floor = max(r.floor, last)
	} else {
		r.rs = append(r.rs, lsnRange{first, last})
	}
	r.normalize()
}

// lsnGapError is a batch refused because some of its entries fall
// between LSN ranges the table accepted: acknowledging them as duplicates
// would acknowledge rows that are written nowhere.
type lsnGapError struct {
	Message  string `json:"error"`
	Producer string `json:"producer"`
	First    int64  `json:"first"` // the first and last LSN of the batch
	Last     int64  `json:"last"`  // that were never accepted
	High     int64  `json:"acked"` // the producer's highest accepted LSN
}

func (e *lsnGapError) Error() string { return e.Message }

// checkGaps returns an error when an entry of es (LSNs increasing per
// producer) is at or below its producer's highest accepted LSN without
// having been accepted. ranges returns a producer's state, nil when the
// table knows nothing of it.
func checkGaps(es []cdc.Entry, ranges func(string) *lsnRanges) *lsnGapError {
	for i := 0; i < len(es); {
		p := es[i].Producer
		j := i + 1
		for j < len(es) && es[j].Producer == p {
			j++
		}
		// A run of entries of one producer. A batch whose producers
		// alternate has several runs of each; their LSNs increase, so
		// each run is checked against what was accepted before the batch.
		r := ranges(p)
		if r == nil || es[i].LSN > r.high() {
			// All new: the common case.
			i = j
			continue
		}
		high := r.high()
		first, last := int64(-1), int64(-1)
		for k := i; k < j && es[k].LSN <= high; k++ {
			if !r.accepted(es[k].LSN) {
				if first < 0 {
					first = es[k].LSN
				}
				last = es[k].LSN
			}
		}
		if first >= 0 {
			return &lsnGapError{
				Message: fmt.Sprintf("batch LSNs %d..%d of producer %q are below its highest accepted LSN %d and were never accepted; send batches in LSN order (nothing of this batch was accepted)",
					first, last, p, high),
				Producer: p, First: first, Last: last, High: high,
			}
		}
		i = j
	}
	return nil
}

// recordAccepted adds to ranges the LSNs of es that a buffer accepted:
// per producer, those above its highest accepted LSN. The span of a batch
// that goes on from the top range (a retry overlapping its end) extends
// it. checkGaps passed on es.
func recordAccepted(es []cdc.Entry, ranges func(string) *lsnRanges) {
	for i := 0; i < len(es); {
		p := es[i].Producer
		j := i + 1
		for j < len(es) && es[j].Producer == p {
			j++
		}
		r := ranges(p)
		high := r.high()
		k := i
		for k < j && es[k].LSN <= high {
			k++
		}
		if k < j {
			from := es[k].LSN
			if k > i && (len(r.rs) == 0 || es[k-1].LSN >= r.rs[len(r.rs)-1].first) {
				from = es[k-1].LSN
			}
			r.extend(from, es[j-1].LSN)
		}
		i = j
	}
}

// rangesFile is the JSON file, DataDir/lsn-ranges/<table>.json, that keeps a
// table's accepted LSN ranges across restarts. It is written (to a
// temporary file, synced, renamed) before each commit of the table once
// any producer has a gap, so that the commit's txn versions, which are the
// floors at the next start, never hide a gap.
type rangesFile struct {
	Producers map[string]producerRanges `json:"producers"`
}

type producerRanges struct {
	Floor  int64      `json:"floor"`
	Ranges [][2]int64 `json:"ranges,omitempty"`
}

func rangesPath(dataDir, table string) string {
	return filepath.Join(dataDir, "lsn-ranges", table+".json")
}

// snapshotRanges returns the ranges of every producer, and whether any has
// a gap.
func snapshotRanges(m map[string]*lsnRanges) (rangesFile, bool) {
	f := rangesFile{Producers: make(map[string]producerRanges, len(m))}
	gaps := false
	for p, r := range m {
		pr := producerRanges{Floor: r.floor}
		for _, x := range r.rs {
			pr.Ranges = append(pr.Ranges, [2]int64{x.first, x.last})
		}
		gaps = gaps || len(r.rs) > 0
		f.Producers[p] = pr
	}
	return f, gaps
}

// writeRangesFile replaces path with f durably.
func writeRangesFile(path string, f rangesFile) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".ranges-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// readRangesFile reads path; a missing file is an empty one.
func readRangesFile(path string) (map[string]*lsnRanges, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f rangesFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := make(map[string]*lsnRanges, len(f.Producers))
	for p, pr := range f.Producers {
		r := newLSNRanges(pr.Floor)
		prev := r.floor
		for _, x := range pr.Ranges {
			if x[0] > x[1] || x[0] <= prev+1 {
				return nil, fmt.Errorf("%s: producer %q: range %d..%d does not follow %d", path, p, x[0], x[1], prev)
			}
			r.rs = append(r.rs, lsnRange{x[0], x[1]})
			prev = x[1]
		}
		m[p] = r
	}
	return m, nil
}
