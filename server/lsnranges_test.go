package server

import (
	"fmt"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

func TestLSNRangesExtend(t *testing.T) {
	tests := []struct {
		name      string
		floor     int64
		spans     [][2]int64
		wantFloor int64
		want      []lsnRange
	}{
		{"nothing", -1, nil, -1, nil},
		{"first batch from 0 joins the floor", -1, [][2]int64{{0, 9}}, 9, nil},
		{"first batch from 1 leaves a gap at 0", -1, [][2]int64{{1, 10}}, -1, []lsnRange{{1, 10}}},
		{"in order, adjacent", 10, [][2]int64{{11, 20}, {21, 30}}, 30, nil},
		{"out of order leaves a gap", 0, [][2]int64{{11, 20}}, 0, []lsnRange{{11, 20}}},
		{"adjacent ranges merge", 0, [][2]int64{{11, 20}, {21, 30}, {41, 50}}, 0, []lsnRange{{11, 30}, {41, 50}}},
		{"a span going on from the top range", 0, [][2]int64{{11, 20}, {15, 25}}, 0, []lsnRange{{11, 25}}},
		{"sparse LSNs keep one range per batch", 100, [][2]int64{{110, 190}, {210, 290}}, 100, []lsnRange{{110, 190}, {210, 290}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newLSNRanges(tc.floor)
			for _, s := range tc.spans {
				r.extend(s[0], s[1])
			}
			if r.floor != tc.wantFloor {
				t.Errorf("floor %d, want %d", r.floor, tc.wantFloor)
			}
			if diff := cmp.Diff(tc.want, r.rs, cmp.AllowUnexported(lsnRange{})); diff != "" && !(len(tc.want) == 0 && len(r.rs) == 0) {
				t.Errorf("ranges (-want +got):\n%s", diff)
			}
		})
	}
}

// The ranges kept are bounded: the oldest fold into the floor.
func TestLSNRangesBounded(t *testing.T) {
	r := newLSNRanges(-1)
	for i := range int64(maxLSNRanges + 10) {
		r.extend(10*i+1, 10*i+5) // a gap of 5 LSNs after each batch
	}
	if len(r.rs) != maxLSNRanges {
		t.Fatalf("%d ranges kept, want %d", len(r.rs), maxLSNRanges)
	}
	if want := int64(10*9 + 5); r.floor != want {
		t.Fatalf("floor %d, want %d", r.floor, want)
	}
	for _, c := range []struct {
		lsn  int64
		want bool
	}{{3, true}, {7, true}, {95, true}, {97, false}, {101, true}, {106, false}, {10*(maxLSNRanges+9) + 5, true}} {
		if got := r.accepted(c.lsn); got != c.want {
			t.Errorf("accepted(%d) = %v, want %v", c.lsn, got, c.want)
		}
	}
}

func entries(producer string, lsns ...int64) []cdc.Entry {
	es := make([]cdc.Entry, len(lsns))
	for i, l := range lsns {
		es[i] = cdc.Entry{Producer: producer, LSN: l, Op: cdc.Insert}
	}
	return es
}

func TestCheckGaps(t *testing.T) {
	// p accepted 1..10 and 21..30; q nothing yet.
	state := func() map[string]*lsnRanges {
		r := newLSNRanges(0)
		r.extend(1, 10)
		r.extend(21, 30)
		return map[string]*lsnRanges{"p": r, "q": newLSNRanges(-1)}
	}
	tests := []struct {
		name string
		es   []cdc.Entry
		want *lsnGapError // nil: accepted
	}{
		{"new", entries("p", 31, 32), nil},
		{"retry of an accepted batch", entries("p", 21, 22, 30), nil},
		{"retry overlapping the top", entries("p", 29, 30, 31), nil},
		{"in the gap", entries("p", 11, 12, 20), &lsnGapError{Producer: "p", First: 11, Last: 20, High: 30}},
		{"overlapping the gap", entries("p", 9, 10, 11, 12), &lsnGapError{Producer: "p", First: 11, Last: 12, High: 30}},
		{"spanning the gap and beyond", entries("p", 5, 15, 25, 35), &lsnGapError{Producer: "p", First: 15, Last: 15, High: 30}},
		{"another producer alternating", append(append(entries("q", 1), entries("p", 31)...), entries("q", 2)...), nil},
		{"second run in the gap", append(append(entries("p", 1), entries("q", 1)...), entries("p", 12)...), &lsnGapError{Producer: "p", First: 12, Last: 12, High: 30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := state()
			got := checkGaps(tc.es, func(p string) *lsnRanges { return st[p] })
			if (got == nil) != (tc.want == nil) {
				t.Fatalf("checkGaps = %v, want %v", got, tc.want)
			}
			if got == nil {
				return
			}
			wantMsg := fmt.Sprintf("batch LSNs %d..%d of producer %q are below its highest accepted LSN %d and were never accepted",
				tc.want.First, tc.want.Last, tc.want.Producer, tc.want.High)
			if len(got.Message) < len(wantMsg) || got.Message[:len(wantMsg)] != wantMsg {
				t.Errorf("message %q, want it to start with %q", got.Message, wantMsg)
			}
			got.Message = ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
