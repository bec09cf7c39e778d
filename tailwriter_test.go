package writer

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/evodb/writer/upload"
)

// sinkWriter is an upload.Writer that keeps what it is given.
type sinkWriter struct{ buf bytes.Buffer }

func (s *sinkWriter) Write(p []byte) (int, error) { return s.buf.Write(p) }
func (s *sinkWriter) Close() error                { return nil }
func (s *sinkWriter) Abort() error                { return nil }
func (s *sinkWriter) Info() upload.ObjectInfo     { return upload.ObjectInfo{} }

// TestTailWriterKeepsTheTail writes blocks of many sizes in writes of many
// sizes, one after another with their tails released (so that later
// blocks reuse the buffers of earlier ones), and reads back the first
// bytes and the last tailKeep bytes of each.
func TestTailWriterKeepsTheTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 100, tailSmall - 1, tailSmall, tailSmall + 1, tailKeep, 2*tailKeep + 7, 3 << 20}
	for round := range 3 {
		for _, size := range sizes {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			sink := &sinkWriter{}
			tw := &tailWriter{w: sink}
			for rest := data; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(max(1, []int{100, 70 << 10, 600 << 10}[rng.IntN(3)])))
				if _, err := tw.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := tw.close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sink.buf.Bytes(), data) {
				t.Fatalf("round %d, %d bytes: the store got other bytes", round, size)
			}
			keep := min(size, tailKeep)
			got := make([]byte, keep)
			if _, err := tw.ReadAt(got, int64(size-keep)); err != nil {
				t.Fatalf("round %d, %d bytes: ReadAt of the last %d: %v", round, size, keep, err)
			}
			if !bytes.Equal(got, data[size-keep:]) {
				t.Fatalf("round %d, %d bytes: the last %d bytes differ", round, size, keep)
			}
			if size >= 4 {
				head := make([]byte, 4)
				if _, err := tw.ReadAt(head, 0); err != nil || !bytes.Equal(head, data[:4]) {
					t.Fatalf("round %d, %d bytes: head %q, %v; want %q", round, size, head, err, data[:4])
				}
			}
			if size <= tailSmall && cap(tw.tail) >= 2*tailKeep {
				t.Fatalf("round %d, %d bytes: a small block took a tail buffer of %d bytes", round, size, cap(tw.tail))
			}
			tw.release()
			if tw.tail != nil {
				t.Fatalf("round %d, %d bytes: the tail is kept after release", round, size)
			}
		}
	}
}
