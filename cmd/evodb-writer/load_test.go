package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

func TestLoadFileAndStdin(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "events")
	data := filepath.Join(dir, "orders.jsonl")
	const n = 12000
	ok(t, runOpts{}, "gen", "--rows", "12000", "--seed", "7", "--out", data)

	// A CDC file, in blocks of 5000 entries: 3 commits.
	r := ok(t, runOpts{}, "load", "--table", "file://"+table, "--batch-rows", "5000", "--json", data)
	s1 := decodeSummary(t, r.stdout)
	want1 := loadSummary{Table: "file://" + table, Files: 1, Entries: n, Rows: n, Blocks: 3, Version: 3}
	ignore := func(s loadSummary) loadSummary {
		s.InputBytes, s.Bytes, s.Seconds, s.RowsPerSec = 0, 0, 0, 0
		return s
	}
	if diff := cmp.Diff(want1, ignore(s1)); diff != "" {
		t.Errorf("file load summary (-want +got):\n%s", diff)
	}
	st, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if s1.InputBytes != st.Size() {
		t.Errorf("input bytes %d, file has %d", s1.InputBytes, st.Size())
	}

	// Plain rows on stdin, after the file, from a producer of their own;
	// the table (given by EVODB_TABLE) gets them as a fourth commit.
	r = ok(t, runOpts{stdin: plainRows(0, 900), env: []string{"EVODB_TABLE=" + table}},
		"load", "--producer", "importer", "--json", "-")
	s2 := decodeSummary(t, r.stdout)
	if s2.Rows != 900 || s2.Blocks != 1 || s2.Version != 4 || s2.Rejected != 0 {
		t.Errorf("stdin load: %+v, want 900 rows in 1 block at version 4", s2)
	}

	// The figures agree with the table's log.
	snap := snapshotOf(t, table)
	files, rows, size := tableTotals(t, snap)
	if got, want := [3]int64{int64(files), rows, size}, [3]int64{s1.Blocks + s2.Blocks, s1.Rows + s2.Rows, s1.Bytes + s2.Bytes}; got != want {
		t.Errorf("table holds files, rows, bytes %v; the summaries say %v", got, want)
	}
	if snap.Version() != s2.Version {
		t.Errorf("table version %d, summary %d", snap.Version(), s2.Version)
	}
	for prod, want := range map[string]int64{"shop-db": n, "importer": 900} {
		if got, _ := snap.TxnVersion(prod); got != want {
			t.Errorf("producer %s committed LSN %d, want %d", prod, got, want)
		}
	}

	// The same CDC file again: every entry is a duplicate.
	r = ok(t, runOpts{}, "load", "--table", table, "--json", data)
	s3 := decodeSummary(t, r.stdout)
	if s3.Rows != 0 || s3.Duplicates != n || s3.Blocks != 0 {
		t.Errorf("reload: %+v, want 0 rows and %d duplicates", s3, n)
	}
	// Plain rows again: they append (LSNs after the committed ones).
	r = ok(t, runOpts{stdin: plainRows(900, 100)}, "load", "--table", table, "--producer", "importer", "--json")
	if s := decodeSummary(t, r.stdout); s.Rows != 100 || s.Duplicates != 0 {
		t.Errorf("second stdin load: %+v, want 100 rows", s)
	}
	if got, _ := snapshotOf(t, table).TxnVersion("importer"); got != 1000 {
		t.Errorf("importer's committed LSN %d, want 1000", got)
	}
}

func TestLoadModesCutBlocks(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orders.jsonl")
	rows := int64(20000)
	if testing.Short() {
		rows = 10000
	}
	ok(t, runOpts{}, "gen", "--rows", strconv.FormatInt(rows, 10), "--out", data)
	// do-sqlite aims at blocks of 64 KB of Parquet, 2 MB at most: the
	// entries (about 350 bytes each) make several target blocks, four per
	// commit. The chunks read before any block is written (the pipeline's
	// depth, which grows with the cores: GOMAXPROCS is set for the load,
	// so that the test knows it) are sized with the writer's initial,
	// conservative compression estimate; the blocks of the chunks after
	// them come out within 0.5–1.5 times the target. The last input,
	// between one and two chunks, is shared evenly by the two block
	// writers.
	const target, maxBlock, encoders = 64 << 10, 2 << 20, 2
	for _, procs := range []int{1, 8} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			table := filepath.Join(dir, fmt.Sprintf("small-%d", procs))
			r := ok(t, runOpts{env: []string{"GOMAXPROCS=" + strconv.Itoa(procs)}},
				"load", "--table", table, "--mode", "do-sqlite", "--encoders", strconv.Itoa(encoders), "--json", data)
			s := decodeSummary(t, r.stdout)
			if s.Rows != rows || s.Blocks < 4 {
				t.Fatalf("do-sqlite load: %+v, want %d rows in 4 or more blocks", s, rows)
			}
			snap := snapshotOf(t, table)
			if snap.Version() > (s.Blocks+3)/4+2 {
				t.Errorf("%d blocks took %d commits, want about one per 4 blocks", s.Blocks, snap.Version())
			}
			// The blocks in input order: by their first LSN (two block
			// writers create them in either order).
			files := snap.Files()
			first := make(map[string]int64, len(files))
			for _, f := range files {
				st, err := f.ParseStats()
				if err != nil {
					t.Fatal(err)
				}
				n, _ := st.MinValues["_lsn"].(json.Number)
				lsn, err := n.Int64()
				if err != nil {
					t.Fatalf("block %s: no minimum _lsn in its stats %s", f.Path, f.Stats)
				}
				first[f.Path] = lsn
			}
			sort.Slice(files, func(i, j int) bool { return first[files[i].Path] < first[files[j].Path] })
			var sizes []int64
			for _, f := range files {
				sizes = append(sizes, f.Size)
				if f.Size > maxBlock {
					t.Errorf("block %s is %d bytes, above the mode's maximum %d", f.Path, f.Size, maxBlock)
				}
			}
			// After the warm-up: whole chunks within 0.5–1.5 times the
			// target, the shared tail at least a quarter each and half a
			// target together.
			_, warm := pipeline(encoders, procs)
			t.Logf("%d blocks in input order, the first %d the warm-up: %v", len(sizes), warm, sizes)
			tail := len(sizes) - encoders
			if tail <= warm {
				t.Fatalf("%d blocks, %d of them the warm-up: no whole block after it to check: %v", len(sizes), warm, sizes)
			}
			for i := warm; i < len(sizes); i++ {
				n, lo := sizes[i], int64(target/2)
				if i >= tail {
					lo = target / 4
				}
				if n < lo || n > target*3/2 {
					t.Errorf("block %d of %d is %d bytes after the warm-up of %d, outside %d–%d (target %d): %v", i, len(sizes), n, warm, lo, target*3/2, target, sizes)
					break
				}
			}
			if sum := sizes[tail] + sizes[tail+1]; sum < target/2 {
				t.Errorf("the last two blocks make %d bytes, want at least %d: %v", sum, target/2, sizes)
			}
			nfiles, nrows, _ := tableTotals(t, snap)
			if int64(nfiles) != s.Blocks || nrows != rows {
				t.Errorf("table: %d files, %d rows; summary %d blocks, %d rows", nfiles, nrows, s.Blocks, rows)
			}
		})
	}
}

func TestLoadBinaryBatches(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orders.evb")
	ok(t, runOpts{}, "gen", "--rows", "2500", "--format", "binary", "--batch", "300", "--out", data)
	table := filepath.Join(dir, "t")
	r := ok(t, runOpts{}, "load", "--table", table, "--json", data)
	s := decodeSummary(t, r.stdout)
	if s.Rows != 2500 || s.Rejected != 0 {
		t.Fatalf("binary load: %+v, want 2500 rows", s)
	}
	// The same stream as JSON lines makes the same table content.
	jdata := filepath.Join(dir, "orders.jsonl")
	ok(t, runOpts{}, "gen", "--rows", "2500", "--out", jdata)
	jtable := filepath.Join(dir, "j")
	ok(t, runOpts{}, "load", "--table", jtable, jdata)
	_, rowsB, _ := tableTotals(t, snapshotOf(t, table))
	_, rowsJ, _ := tableTotals(t, snapshotOf(t, jtable))
	if rowsB != rowsJ {
		t.Errorf("binary load has %d rows, JSON lines load %d", rowsB, rowsJ)
	}
	// Binary read from stdin needs --format binary.
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	r = ok(t, runOpts{stdin: string(raw)}, "load", "--table", filepath.Join(dir, "s"), "--format", "binary", "--json", "--batch-rows", "1000")
	if s := decodeSummary(t, r.stdout); s.Rows != 2500 || s.Blocks != 3 {
		// Batches of 300 kept whole: 1200, 1200, 100.
		t.Errorf("binary stdin load: %+v, want 2500 rows in 3 blocks", s)
	}
	// A corrupt batch stops the load with the batch's offset.
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(data, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	r = evw(t, runOpts{}, "load", "--table", filepath.Join(dir, "c"), data)
	if r.code != 1 || !strings.Contains(r.stderr, "binary batch at byte") {
		t.Errorf("corrupt binary: exit %d, stderr %q; want 1 and the batch's offset", r.code, r.stderr)
	}
}

func TestLoadRejectsBadLines(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "mixed.jsonl")
	lines := []string{
		`{"id":1,"name":"a"}`,
		`{"id":2,"name":`, // line 2: cut short
		``,
		`{"id":3,"name":"c"}`,
		`[1,2,3]`, // line 5: not an object
		`{"id":4,"name":"d"}`,
		`{"id":5,"id":6}`, // line 7: duplicate key (refused by the shredder)
	}
	if err := os.WriteFile(data, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	table := filepath.Join(dir, "t")
	r := ok(t, runOpts{}, "load", "--table", table, "--json", data)
	s := decodeSummary(t, r.stdout)
	if s.Rows != 3 || s.Rejected != 3 {
		t.Errorf("summary %+v, want 3 rows and 3 rejected", s)
	}
	for _, want := range []string{data + ":2:", data + ":5:", data + ":7:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, r.stderr)
		}
	}
	if _, rows, _ := tableTotals(t, snapshotOf(t, table)); rows != 3 {
		t.Errorf("table has %d rows, want 3", rows)
	}

	// Only bad lines: nothing written, the summary gives the table's version.
	r = ok(t, runOpts{stdin: "nope\n[]\n"}, "load", "--table", table, "--json")
	if s := decodeSummary(t, r.stdout); s.Rows != 0 || s.Rejected != 2 || s.Version != 1 {
		t.Errorf("bad lines only: %+v, want 2 rejected at version 1", s)
	}
	// --max-rejected: the load stops with an error once the limit is passed.
	r = evw(t, runOpts{}, "load", "--table", table, "--max-rejected", "1", "--batch-rows", "2", data)
	if r.code != 1 || !strings.Contains(r.stderr, "2 lines rejected, more than --max-rejected 1; stopped at "+data+" line 7") {
		t.Errorf("--max-rejected 1: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := ok(t, runOpts{}, "load", "--table", table, "--max-rejected", "3", "--json", data); decodeSummary(t, r.stdout).Rows != 3 {
		t.Errorf("--max-rejected 3: %s", r.stdout)
	}
}

func TestLoadProgress(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "o.jsonl")
	ok(t, runOpts{}, "gen", "--rows", "2000", "--out", data)
	// Piped output (as here): no bar by default.
	r := ok(t, runOpts{}, "load", "--table", filepath.Join(dir, "a"), data)
	if strings.Contains(r.stderr, "\r") || r.stderr != "" {
		t.Errorf("progress drawn on a pipe: %q", r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "loaded 2,000 rows into file://") {
		t.Errorf("text summary: %q", r.stdout)
	}
	// Forced: the bar is drawn and erased on stderr. It is redrawn every
	// 100 ms, so a quick load may end before the first frame; the final
	// erase sequence is always written once drawn. Only check what was
	// drawn, if anything, is a bar line.
	r = ok(t, runOpts{}, "load", "--table", filepath.Join(dir, "b"), "--progress", "always", data)
	for _, frame := range strings.Split(r.stderr, "\r") {
		frame = strings.TrimSuffix(frame, "\x1b[K")
		if frame != "" && !strings.Contains(frame, "rows/s") {
			t.Errorf("unexpected stderr frame %q", frame)
		}
	}
}

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name        string
		total, read int64
		rows        int64
		want        []string
	}{
		{"known size", 1000, 250, 5000, []string{"[", "25%", "1000 B", "5,000 rows", "ETA"}},
		{"unknown size", -1, 4096, 10, []string{"4.0 KiB read", "10 rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &progress{total: tt.total, width: 100}
			p.read, p.rows = new(atomicInt), new(atomicInt)
			p.read.Store(tt.read)
			p.rows.Store(tt.rows)
			line := p.line(2e9)
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
			if len(line) > 100 {
				t.Errorf("line is %d wide, terminal 100", len(line))
			}
		})
	}
}

func TestLoadCompressedInput(t *testing.T) {
	dir := t.TempDir()
	raw := ok(t, runOpts{}, "gen", "--rows", "1500").stdout
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(raw))
	zw.Close()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := enc.EncodeAll([]byte(raw), nil)
	enc.Close()
	bin := filepath.Join(dir, "o.evb")
	ok(t, runOpts{}, "gen", "--rows", "1500", "--format", "binary", "--out", bin)
	binRaw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	binZst, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][2][]byte{ // compressed, decompressed
		"o.jsonl.gz":  {gz.Bytes(), []byte(raw)},
		"o.jsonl.zst": {zs, []byte(raw)},
		"o.evb.zst":   {binZst.EncodeAll(binRaw, nil), binRaw},
	}
	binZst.Close()
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, body[0], 0o644); err != nil {
				t.Fatal(err)
			}
			r := ok(t, runOpts{}, "load", "--table", filepath.Join(dir, "t-"+name), "--json", path)
			if s := decodeSummary(t, r.stdout); s.Rows != 1500 || s.Rejected != 0 || s.InputBytes != int64(len(body[1])) {
				t.Errorf("%s: %+v, want 1500 rows from %d bytes decompressed", name, s, len(body[1]))
			}
		})
	}
	// On stdin too; a corrupt stream is an error naming the input.
	r := ok(t, runOpts{stdin: gz.String()}, "load", "--table", filepath.Join(dir, "stdin"), "--json")
	if s := decodeSummary(t, r.stdout); s.Rows != 1500 {
		t.Errorf("gzip on stdin: %+v", s)
	}
	bad := append([]byte{}, gz.Bytes()[:gz.Len()/2]...)
	r = evw(t, runOpts{stdin: string(bad)}, "load", "--table", filepath.Join(dir, "bad"))
	if r.code != 1 || !strings.Contains(r.stderr, "reading stdin: decompressing: unexpected EOF") {
		t.Errorf("truncated gzip: exit %d, %q", r.code, r.stderr)
	}
}

// TestLoadDeterministic: the same input loaded twice with two block
// writers makes the same files, byte for byte, in the same number of
// commits. The chunks are sized, and their blocks cut, by the writer's
// compression estimate, which the first blocks move a long way (small
// blocks of the do-sqlite mode, several per commit): both learn it in
// input order, not in the order the block writers happened to finish.
func TestLoadDeterministic(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "orders.jsonl")
	rows := 20000
	if testing.Short() {
		rows = 10000
	}
	ok(t, runOpts{}, "gen", "--rows", strconv.Itoa(rows), "--seed", "3", "--out", data)
	type loaded struct {
		Version int64
		Files   []string // sha256 and rows of each file, sorted
	}
	load := func(name string) loaded {
		t.Helper()
		table := filepath.Join(dir, name)
		r := ok(t, runOpts{}, "load", "--table", table, "--mode", "do-sqlite", "--encoders", "2", "--json", data)
		if s := decodeSummary(t, r.stdout); s.Rows != int64(rows) || s.Blocks < 5 {
			t.Fatalf("load: %+v, want %d rows in 5 or more blocks", s, rows)
		}
		snap := snapshotOf(t, table)
		out := loaded{Version: snap.Version()}
		for _, f := range snap.Files() {
			body, err := os.ReadFile(filepath.Join(table, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.ParseStats()
			if err != nil {
				t.Fatal(err)
			}
			out.Files = append(out.Files, fmt.Sprintf("%x %d", sha256.Sum256(body), st.NumRecords))
		}
		sort.Strings(out.Files)
		return out
	}
	first := load("a")
	for _, name := range []string{"b", "c"} {
		if diff := cmp.Diff(first, load(name)); diff != "" {
			t.Fatalf("table %s differs from the first load of the same input (-a +%s):\n%s", name, name, diff)
		}
	}
}
