package upload

import (
	"context"
	"testing"
)

// TestPartBuffersExactSize: a part buffer left by a write with larger
// parts is not reused (sliced down) by one with smaller parts, whose
// memory would then exceed (Concurrency+1) × PartSize unreported.
func TestPartBuffersExactSize(t *testing.T) {
	s := &S3{}
	big := &MultipartWriter{s: s, partSize: 2 * MinPartSize, mp: MultipartOptions{Concurrency: 1}, free: make(chan []byte, 2)}
	big.ctx, big.cancel = context.WithCancel(context.Background())
	defer big.cancel()
	b, err := big.getBuf()
	if err != nil {
		t.Fatal(err)
	}
	bigData := &b[:1][0]
	big.putBuf(b)
	big.recycle()

	small := &MultipartWriter{s: s, partSize: MinPartSize, mp: MultipartOptions{Concurrency: 1}, free: make(chan []byte, 2)}
	small.ctx, small.cancel = context.WithCancel(context.Background())
	defer small.cancel()
	for range 2 {
		got, err := small.getBuf()
		if err != nil {
			t.Fatal(err)
		}
		if &got[:1][0] == bigData {
			t.Errorf("a write with %d-byte parts reuses a %d-byte buffer", small.partSize, big.partSize)
		}
		if cap(got) != int(small.partSize) {
			t.Errorf("buffer capacity %d, want %d", cap(got), small.partSize)
		}
	}
	if st := small.Stats(); st.PeakBufferBytes != 2*small.partSize {
		t.Errorf("PeakBufferBytes = %d, want %d", st.PeakBufferBytes, 2*small.partSize)
	}
}
