// Package zstdenc checks the project's zstd encoder (internal/zstdenc)
// on the pages our writer really compresses: blocks of the generated
// users, orders and events tables, whose pages arrow-go reads back
// decompressed. The benchmark sets it beside the klauspost encoder at
// the level the block writer used before (SpeedFastest).
package zstdenc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/evodb/writer/bench/gen"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/internal/zstdenc"
	"github.com/klauspost/compress/zstd"
)

// pageSet is the page bodies of one block.
type pageSet struct {
	name  string
	pages [][]byte
	bytes int
}

var (
	pageSetsMu sync.Mutex
	pageSets   = map[string]*pageSet{}
)

// blockPages writes rows of table as one block with the block writer
// (zstd, its defaults) and returns the decompressed body of every page
// (dictionary and data pages of every column).
func blockPages(tb testing.TB, table string, rows int) *pageSet {
	tb.Helper()
	name := fmt.Sprintf("%s-%d", table, rows)
	pageSetsMu.Lock()
	defer pageSetsMu.Unlock()
	if ps, ok := pageSets[name]; ok {
		return ps
	}
	lines := gen.New(gen.Config{Seed: 2026, Tables: []string{table}}).JSONLines(nil, rows)
	es, errs := cdc.DecodeJSONLines(nil, lines, &cdc.JSONOptions{Table: table})
	if len(errs) > 0 {
		tb.Fatal(errs[0])
	}
	bw, err := engine.NewBlockWriter(engine.BlockOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := bw.WriteBlock(context.Background(), &buf, es); err != nil {
		tb.Fatal(err)
	}
	rd, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		tb.Fatalf("arrow-go opens the %s block: %v", name, err)
	}
	defer rd.Close()
	ps := &pageSet{name: name}
	for g := range rd.NumRowGroups() {
		rg := rd.RowGroup(g)
		for c := range rg.NumColumns() {
			pr, err := rg.GetColumnPageReader(c)
			if err != nil {
				tb.Fatal(err)
			}
			for pr.Next() {
				body := bytes.Clone(pr.Page().Data())
				ps.pages = append(ps.pages, body)
				ps.bytes += len(body)
			}
			if err := pr.Err(); err != nil {
				tb.Fatalf("%s row group %d column %d: %v", name, g, c, err)
			}
		}
	}
	if len(ps.pages) == 0 {
		tb.Fatalf("%s: no pages", name)
	}
	pageSets[name] = ps
	return ps
}

func sets(tb testing.TB, rows ...int) []*pageSet {
	var out []*pageSet
	for _, r := range rows {
		for _, table := range gen.Tables {
			out = append(out, blockPages(tb, table, r))
		}
	}
	return out
}

// TestRealPages round-trips every page of users, orders and events
// blocks through our encoder and the klauspost decoder, and reports the
// compressed sizes beside the klauspost encoder's.
func TestRealPages(t *testing.T) {
	rows := []int{1450, 16384}
	if !testing.Short() {
		rows = append(rows, 122_880)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	ref := fastest(t)
	var e zstdenc.Encoder
	for _, ps := range sets(t, rows...) {
		t.Run(ps.name, func(t *testing.T) {
			ours, theirs := 0, 0
			for i, p := range ps.pages {
				frame := e.EncodeAll(nil, p)
				got, err := dec.DecodeAll(frame, nil)
				if err != nil {
					t.Fatalf("page %d (%d bytes): %v", i, len(p), err)
				}
				if !bytes.Equal(got, p) {
					t.Fatalf("page %d (%d bytes) decodes to %d other bytes", i, len(p), len(got))
				}
				ours += len(frame)
				theirs += len(ref.EncodeAll(p, nil))
			}
			t.Logf("%d pages, %d bytes: ours %d, klauspost SpeedFastest %d (%.4f)", len(ps.pages), ps.bytes, ours, theirs, float64(ours)/float64(theirs))
		})
	}
}

// TestRealPagesReference decodes our frames of every page of users,
// orders and events blocks with the reference decoder (the zstd command
// line tool, as DuckDB, Spark and arrow read them with the reference
// library): the frames of a block in one file, then frame by frame
// where that fails. Without the tool it is skipped, except under CI.
func TestRealPagesReference(t *testing.T) {
	tool, err := exec.LookPath("zstd")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the zstd command line tool is missing (scripts/setup.sh installs it): %v", err)
		}
		t.Skip("the zstd command line tool is not installed (apt-get install zstd, or run scripts/setup.sh)")
	}
	rows := []int{1450, 16384}
	if !testing.Short() {
		rows = append(rows, 122_880)
	}
	dir := t.TempDir()
	var e zstdenc.Encoder
	for _, ps := range sets(t, rows...) {
		t.Run(ps.name, func(t *testing.T) {
			var all, want []byte
			frames := make([][]byte, len(ps.pages))
			for i, p := range ps.pages {
				frames[i] = e.EncodeAll(nil, p)
				all = append(all, frames[i]...)
				want = append(want, p...)
			}
			if got, err := refDecode(tool, filepath.Join(dir, ps.name+".zst"), all); err == nil && bytes.Equal(got, want) {
				return
			}
			bad := 0
			for i, p := range ps.pages {
				got, err := refDecode(tool, filepath.Join(dir, fmt.Sprintf("%s-%d.zst", ps.name, i)), frames[i])
				switch {
				case err != nil:
					t.Errorf("page %d (%d bytes, frame of %d): the reference decoder rejects the frame: %v", i, len(p), len(frames[i]), err)
				case !bytes.Equal(got, p):
					t.Errorf("page %d (%d bytes, frame of %d): the reference decoder reads %d other bytes", i, len(p), len(frames[i]), len(got))
				default:
					continue
				}
				if bad++; bad == 10 {
					t.Fatal("more failing pages not listed")
				}
			}
			if bad == 0 {
				t.Fatalf("the %d frames together fail, each alone decodes", len(frames))
			}
		})
	}
}

// refDecode writes frames to path and decodes it with zstd -d -c.
func refDecode(tool, path string, frames []byte) ([]byte, error) {
	if err := os.WriteFile(path, frames, 0o600); err != nil {
		return nil, err
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(tool, "-d", "-c", "-q", path)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// fastest is the klauspost encoder as the writer configured it for
// level 1.
func fastest(tb testing.TB) *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false),
		zstd.WithAllLitEntropyCompression(true), zstd.WithWindowSize(256<<10),
		zstd.WithLowerEncoderMem(true))
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

// BenchmarkPageEncode compresses every page of a block, one EncodeAll
// per page, with our encoder and with klauspost's at SpeedFastest, and
// reports the compressed bytes. Compare with
// benchstat -col /enc.
func BenchmarkPageEncode(b *testing.B) {
	for _, ps := range sets(b, 1450, 16384, 122_880) {
		b.Run("set="+ps.name, func(b *testing.B) {
			b.Run("enc=klauspost", func(b *testing.B) {
				enc := fastest(b)
				var dst []byte
				n := 0
				b.SetBytes(int64(ps.bytes))
				b.ReportAllocs()
				for b.Loop() {
					n = 0
					for _, p := range ps.pages {
						dst = enc.EncodeAll(p, dst[:0])
						n += len(dst)
					}
				}
				b.ReportMetric(float64(n), "comp-bytes")
			})
			b.Run("enc=ours", func(b *testing.B) {
				var enc zstdenc.Encoder
				var dst []byte
				n := 0
				b.SetBytes(int64(ps.bytes))
				b.ReportAllocs()
				for b.Loop() {
					n = 0
					for _, p := range ps.pages {
						dst = enc.EncodeAll(dst[:0], p)
						n += len(dst)
					}
				}
				b.ReportMetric(float64(n), "comp-bytes")
			})
		})
	}
}
