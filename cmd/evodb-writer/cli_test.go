package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/google/go-cmp/cmp"
)

func TestErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "t")
	ok(t, runOpts{stdin: plainRows(0, 10)}, "load", "--table", table)
	tests := []struct {
		name string
		args []string
		env  []string
		code int
		want string // part of the message
	}{
		{"no command", nil, nil, 2, "Usage:"},
		{"unknown command", []string{"lodd"}, nil, 2, `unknown command "lodd"`},
		{"unknown flag", []string{"load", "--table", table, "--bogus"}, nil, 2, "flag provided but not defined: -bogus"},
		{"flag without value", []string{"load", "--table"}, nil, 2, "flag needs an argument: -table"},
		{"bad mode", []string{"load", "--table", table, "--mode", "huge"}, nil, 2, `--mode "huge"`},
		{"bad mode from env", []string{"load", "--table", table}, []string{"EVODB_MODE=huge"}, 2, `--mode "huge"`},
		{"bad compression", []string{"load", "--table", table, "--compression", "lz9"}, nil, 2, `--compression "lz9"`},
		{"no table", []string{"load", "x.jsonl"}, nil, 2, "no table: give --table"},
		{"missing file", []string{"load", "--table", table, filepath.Join(dir, "nope.jsonl")}, nil, 1, "nope.jsonl: no such file or directory"},
		{"directory as input", []string{"load", "--table", table, dir}, nil, 1, "is a directory"},
		{"unknown scheme", []string{"load", "--table", "ftp://host/t", "-"}, nil, 2, `unknown scheme "ftp"`},
		{"mem table", []string{"load", "--table", "mem://x/t", "-"}, nil, 2, "mem:// table lives only inside one process"},
		{"s3 without prefix", []string{"inspect", "--table", "s3://bucket"}, nil, 2, "no prefix"},
		{"relative file URI", []string{"inspect", "--table", "file://rel/t"}, nil, 2, "file URI names a local path"},
		{"bad s3 endpoint", []string{"inspect", "--table", "s3://b/t", "--s3-endpoint", "localhost:9000"}, nil, 2, "--s3-endpoint"},
		{"stdin twice", []string{"load", "--table", table, "-", "-"}, nil, 2, "standard input (-) given more than once"},
		{"inspect missing table", []string{"inspect", "--table", filepath.Join(dir, "none")}, nil, 1, "no table at file://"},
		{"inspect directory without log", []string{"inspect", "--table", dir}, nil, 1, "no table at file://"},
		{"inspect version beyond", []string{"inspect", "--table", table, "--version", "99"}, nil, 1, "version not found"},
		{"inspect bad time", []string{"inspect", "--table", table, "--as-of", "yesterday"}, nil, 2, `"yesterday" is not a time`},
		{"inspect two times", []string{"inspect", "--table", table, "--as-of", "2026-01-01", "--version", "1"}, nil, 2, "exclude each other"},
		{"gen bad format", []string{"gen", "--format", "xml"}, nil, 2, `--format "xml"`},
		{"version argument", []string{"version", "extra"}, nil, 2, "no arguments"},
		{"bad log level", []string{"load", "--table", table, "--log-level", "loud"}, nil, 2, "--log-level"},
		{"two tables", []string{"inspect", "--table", table, filepath.Join(dir, "other")}, nil, 2, "--table names"},
		{"table argument over env", []string{"inspect", filepath.Join(dir, "none")}, []string{"EVODB_TABLE=" + table}, 1, "no table at file://" + filepath.Join(dir, "none")},
		{"compact extra argument", []string{"compact", table, "x"}, nil, 2, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evw(t, runOpts{env: tt.env}, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.want)
			}
			if tt.args != nil && strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout of a failed command: %q", r.stdout)
			}
		})
	}
}

func TestHelpEverywhere(t *testing.T) {
	r := ok(t, runOpts{}, "--help")
	for _, c := range commands() {
		if !strings.Contains(r.stdout, "  "+c.name+" ") {
			t.Errorf("main help does not list %s", c.name)
		}
		for _, flag := range []string{"--help", "-h", "help"} {
			args := []string{c.name, flag}
			if flag == "help" {
				args = []string{"help", c.name}
			}
			r := ok(t, runOpts{}, args...)
			if !strings.HasPrefix(r.stdout, "Usage: evodb-writer "+c.name) {
				t.Errorf("%v: stdout starts %q", args, firstLine(r.stdout))
			}
			if r.stderr != "" {
				t.Errorf("%v: stderr %q", args, r.stderr)
			}
		}
	}
	r = ok(t, runOpts{}, "load", "--help")
	for _, want := range []string{"--table URI", "env EVODB_TABLE", "--mode mode", "default standard", "--s3-endpoint URL"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("load --help lacks %q", want)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := ok(t, runOpts{}, args...)
		if !strings.HasPrefix(r.stdout, "evodb-writer ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%v: %q", args, r.stdout)
		}
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "t")
	data := filepath.Join(dir, "o.jsonl")
	ok(t, runOpts{}, "gen", "--rows", "3000", "--out", data)
	ok(t, runOpts{}, "load", "--table", table, "--batch-rows", "1000", data)
	ok(t, runOpts{stdin: plainRows(0, 50)}, "load", "--table", table, "--producer", "p2")

	r := ok(t, runOpts{}, "inspect", "--table", "file://"+table, "--json")
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
	}
	snap := snapshotOf(t, table)
	if rep.Version != 4 || rep.Version != snap.Version() {
		t.Errorf("version %d, table at %d, want 4", rep.Version, snap.Version())
	}
	if diff := cmp.Diff(map[string]int64{"shop-db": 3000, "p2": 50}, rep.Producers); diff != "" {
		t.Errorf("producers (-want +got):\n%s", diff)
	}
	// Files: the same set, sizes and row counts as the log.
	want := map[string][2]int64{}
	for _, f := range snap.Files() {
		st, err := f.ParseStats()
		if err != nil {
			t.Fatal(err)
		}
		key, err := f.Key()
		if err != nil {
			t.Fatal(err)
		}
		want[key] = [2]int64{st.NumRecords, f.Size}
	}
	got := map[string][2]int64{}
	var rows, size int64
	for _, f := range rep.Files {
		got[f.Path] = [2]int64{f.Rows, f.Size}
		rows += f.Rows
		size += f.Size
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if rep.Totals.Files != 4 || rep.Totals.Rows != 3050 || rep.Totals.Rows != rows || rep.Totals.Bytes != size {
		t.Errorf("totals %+v; files sum to %d rows, %d bytes; want 4 files, 3050 rows", rep.Totals, rows, size)
	}
	schema, err := snap.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(schema, rep.Schema); diff != "" {
		t.Errorf("schema (-log +inspect):\n%s", diff)
	}
	// Column stats folded over the files: _lsn spans both producers'
	// ranges, id only exists in p2's block.
	cols := map[string]inspectColumn{}
	for _, c := range rep.Columns {
		cols[c.Name] = c
	}
	if c := cols["_lsn"]; fmt.Sprint(c.Min) != "1" || fmt.Sprint(c.Max) != "3000" || c.NullCount == nil || *c.NullCount != 0 {
		t.Errorf("_lsn column %+v, want min 1, max 3000, no nulls", c)
	}
	if c := cols["id"]; fmt.Sprint(c.Min) != "0" || fmt.Sprint(c.Max) != "49" || c.Type != "long" || c.NullCount == nil || *c.NullCount != 3000 {
		t.Errorf("id column %+v, want long from 0 to 49, null in the 3000 rows of the blocks before it", c)
	}

	// Time travel: version 1 holds the first block only.
	r = ok(t, runOpts{}, "inspect", "--table", table, "--json", "--version", "1")
	var v1 inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &v1); err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Totals.Files != 1 || v1.Totals.Rows != 1000 {
		t.Errorf("--version 1: version %d, %+v; want 1 file of 1000 rows", v1.Version, v1.Totals)
	}
	// --as-of the time of version 3: versions 3 (or, when several commits
	// share its millisecond, the last of them).
	at := mustSnapshotAt(t, table, 3).Timestamp()
	r = ok(t, runOpts{}, "inspect", "--table", table, "--json", "--as-of", at.Format(time.RFC3339Nano))
	var v3 inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &v3); err != nil {
		t.Fatal(err)
	}
	if v3.Version < 3 || !v3.Timestamp.Equal(at) {
		t.Errorf("--as-of %s: version %d at %s", at, v3.Version, v3.Timestamp)
	}

	// The text form shows the same figures.
	r = ok(t, runOpts{}, "inspect", table)
	for _, want := range []string{"version    4", "3,050 rows in 4 files", "shop-db", "p2", "order_id", "struct<city: string, zip: string>"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect text lacks %q:\n%s", want, r.stdout)
		}
	}
}

func mustSnapshotAt(t *testing.T, dir string, v int64) *manifest.Snapshot {
	t.Helper()
	store, err := upload.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.SnapshotAt(t.Context(), v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDemo(t *testing.T) {
	table := filepath.Join(t.TempDir(), "demo")
	r := ok(t, runOpts{}, "demo", "--table", table, "--rows", "4000", "--batch", "1500", "--json")
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var sum loadSummary
	var rep inspectReport
	if err := dec.Decode(&sum); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 4000 || sum.Blocks != 3 || rep.Totals.Rows != 4000 || rep.Totals.Files != 3 {
		t.Errorf("demo: summary %+v, table %+v; want 4000 rows in 3 blocks", sum, rep.Totals)
	}
	// Again: the stream goes on after the committed LSNs.
	r = ok(t, runOpts{}, "demo", "--table", table, "--rows", "1000")
	if !strings.Contains(r.stdout, "5,000 rows in 4 files") || !strings.Contains(r.stdout, "shop-db  5000") {
		t.Errorf("second demo:\n%s", r.stdout)
	}
}
