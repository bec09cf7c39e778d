package writer

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/evodb/writer/upload"
)

// failingWriter fails its Write after limit bytes.
type failingWriter struct {
	upload.Writer
	limit int
	n     int
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.limit {
		f.Writer.Abort()
		return 0, errDiskFull
	}
	f.n += len(p)
	return f.Writer.Write(p)
}

// TestAsyncWriter: bytes written through an asyncWriter reach the store
// whole once wait returns nil; a failure of the store's writer comes back
// from wait (and later Writes) and nothing is stored; Abort stores
// nothing.
func TestAsyncWriter(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*asyncChunk/16+1000) // three chunks and a bit
	tests := []struct {
		name      string
		failAfter int // store writer fails past this many bytes (0: never)
		abort     bool
		wantErr   error
	}{
		{"stored", 0, false, nil},
		{"store fails", asyncChunk + 10, false, errDiskFull},
		{"aborted", 0, true, upload.ErrClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := upload.NewMemory()
			out, err := mem.Create(ctx, "k", upload.PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.failAfter > 0 {
				out = &failingWriter{Writer: out, limit: tc.failAfter}
			}
			a := newAsyncWriter(out)
			// In pieces of odd sizes, as the engine writes pages.
			for p := data; len(p) > 0; {
				k := min(len(p), 70_001)
				if _, err := a.Write(p[:k]); err != nil {
					if tc.wantErr == nil {
						t.Fatal(err)
					}
					break
				}
				p = p[k:]
			}
			if tc.abort {
				a.Abort()
			} else if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if err := a.wait(); !errors.Is(err, tc.wantErr) {
				t.Fatalf("wait: %v, want %v", err, tc.wantErr)
			}
			got, _, err := mem.Get(ctx, "k")
			switch {
			case tc.wantErr != nil && !errors.Is(err, upload.ErrNotFound):
				t.Errorf("after a failed write the object exists (%d bytes, %v)", len(got), err)
			case tc.wantErr == nil && (err != nil || !bytes.Equal(got, data)):
				t.Errorf("stored %d bytes (%v), want the %d written", len(got), err, len(data))
			}
			if _, err := a.Write([]byte("x")); err == nil {
				t.Error("Write after Close succeeded")
			}
		})
	}
}
