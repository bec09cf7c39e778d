package parquet

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// judgeFile is a file of n rows whose first chunks the choice of encoding
// judges by compression: unique timestamps, near-unique names and
// coordinates, low-cardinality codes and prices, and references drawn
// from n/3 random strings (a dictionary of many kilobytes that wins).
func judgeFile(rng *rand.Rand, schema *Node, n int) []ColumnData {
	refs := make([][]byte, n/3)
	for i := range refs {
		for range 40 {
			refs[i] = append(refs[i], byte('a'+rng.IntN(26)))
		}
	}

	cols := make([]ColumnData, len(schema.Children))
	for i, l := range schema.Children {
		cols[i] = ColumnData{Path: []string{l.Name}, Leaf: l, NumLevels: n}
	}
	cols[1].Offsets, cols[2].Offsets, cols[5].Offsets = []int32{0}, []int32{0}, []int32{0}
	for i := range n {
		cols[0].Int64s = append(cols[0].Int64s, 1_700_000_000_000_000+int64(i)*1_000+rng.Int64N(1_000))
		cols[1].Bytes = fmt.Appendf(cols[1].Bytes, "person.%08d@example.org", rng.IntN(1<<26))
		cols[1].Offsets = append(cols[1].Offsets, int32(len(cols[1].Bytes)))
		cols[2].Bytes = fmt.Appendf(cols[2].Bytes, "code-%02d", rng.IntN(40))
		cols[2].Offsets = append(cols[2].Offsets, int32(len(cols[2].Bytes)))
		cols[3].Doubles = append(cols[3].Doubles, math.Round((rng.Float64()*180-90)*1e6)/1e6)
		cols[4].Doubles = append(cols[4].Doubles, float64(rng.IntN(200))+0.99)
		cols[5].Bytes = append(cols[5].Bytes, refs[rng.IntN(len(refs))]...)
		cols[5].Offsets = append(cols[5].Offsets, int32(len(cols[5].Bytes)))
	}
	return cols
}

// TestJudgingMemory writes files whose first chunks are judged (near-unique
// and low-cardinality columns, 700 to 6,000 rows; 1,450 at most with
// -short), serially and on two
// goroutines, with one reused writer: the bytes are those of a new writer
// and of a writer that keeps every compressed dictionary of the judging
// and its PLAIN dictionaries in a buffer of their own (the rules off); the
// writer holds no dictionary page or compressed dictionary past a chunk,
// its PLAIN dictionaries are in the hash table's memory (no buffer of
// their own), and it holds less than with the rules off.
func TestJudgingMemory(t *testing.T) {
	schema := flatSchema(
		&Node{Name: "ts", Repetition: Required, Type: Int64},
		&Node{Name: "email", Repetition: Required, Type: ByteArray, Logical: String},
		&Node{Name: "code", Repetition: Required, Type: ByteArray, Logical: String},
		&Node{Name: "lat", Repetition: Required, Type: Double},
		&Node{Name: "price", Repetition: Required, Type: Double},
		&Node{Name: "ref", Repetition: Required, Type: ByteArray},
	)
	rng := rand.New(rand.NewPCG(11, 12))
	var files [][]ColumnData
	sizes := []int{1450, 3280, 700, 6000, 3280}
	if testing.Short() {
		sizes = []int{1450, 700, 1450}
	}
	for _, n := range sizes {
		files = append(files, judgeFile(rng, schema, n))
	}
	for _, conc := range []int{1, 2} {
		t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
			opts := WriterOptions{Compression: Zstd, Concurrency: conc}
			// rulesOn: dictZKeepMax as it is, dictBufInTable and pageInTable
			write := func(rulesOn bool) (out [][]byte, held []int, w *Writer) {
				t.Helper()
				defer func(k int, in, pin bool) {
					dictZKeepMax, dictBufInTable, pageInTable = k, in, pin
				}(dictZKeepMax, dictBufInTable, pageInTable)
				if !rulesOn {
					dictZKeepMax, dictBufInTable, pageInTable = math.MaxInt, false, false
				}
				w, err := NewWriter(io.Discard, schema, opts)
				if err != nil {
					t.Fatal(err)
				}
				for i, cols := range files {
					var buf bytes.Buffer
					if err := w.Reset(&buf); err != nil {
						t.Fatal(err)
					}
					if err := w.WriteRowGroup(cols); err != nil {
						t.Fatal(err)
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					if w.dictBuf != nil || w.dictZ != nil || w.dictZOK || w.dictRedo {
						t.Errorf("file %d: a dictionary page held past its chunk (dictBuf %d bytes, dictZ %d)", i, cap(w.dictBuf), cap(w.dictZ))
					}
					b, _, _ := w.heldBytes()
					out, held = append(out, buf.Bytes()), append(held, b)
				}
				return out, held, w
			}
			on, heldOn, w := write(true)
			off, heldOff, _ := write(false)
			t.Logf("held %v, with the rules off %v", heldOn, heldOff)
			for i, cols := range files {
				if !bytes.Equal(on[i], off[i]) {
					t.Errorf("file %d: bytes differ from the writer that keeps the judging's dictionaries", i)
				}
				if want := writeFile(t, schema, opts, cols); !bytes.Equal(on[i], want) {
					t.Errorf("file %d: bytes differ from a new writer's", i)
				}
				if heldOn[i] >= heldOff[i] {
					t.Errorf("file %d: the writer holds %d bytes, not less than the %d it holds with the rules off", i, heldOn[i], heldOff[i])
				}
			}
			if c := cap(w.dictOwn); c != 0 {
				t.Errorf("the PLAIN dictionaries took %d bytes of their own, not the hash table's memory", c)
			}
			// the files read back
			for i, f := range on {
				r, err := OpenFile(bytes.NewReader(f), int64(len(f)))
				if err != nil {
					t.Fatalf("file %d: %v", i, err)
				}
				got, err := r.ReadRowGroup(0)
				if err != nil {
					t.Fatalf("file %d: %v", i, err)
				}
				for j, want := range files[i] {
					g := got[j]
					if diff := cmp.Diff([]any{want.Int64s, want.Doubles, want.Bytes, want.Offsets},
						[]any{g.Int64s, g.Doubles, g.Bytes, g.Offsets}, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("file %d, column %s read back (-want +got):\n%s", i, want.Leaf.Name, diff)
					}
				}
			}
		})
	}
}
