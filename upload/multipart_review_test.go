package upload_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

// TestMultipartWriteAfterPartFailure: a part that fails in the background
// makes the next Write fail, and that Write aborts the multipart upload
// so a caller that just returns leaves nothing behind.
func TestMultipartWriteAfterPartFailure(t *testing.T) {
	s, _, _ := faultStore(t, 2, uploadtest.Rule{Op: uploadtest.OpUploadPart, Fault: uploadtest.Status500})
	w, err := s.CreateMultipart(context.Background(), "failing", upload.PutOptions{}, upload.MultipartOptions{PartSize: partSize, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	// One full part goes out; its upload fails after the retries.
	if _, err := w.Write(uploadtest.Pattern(1, partSize+1)); err != nil {
		t.Fatal(err)
	}
	// Empty writes report the recorded failure once it is there.
	for {
		if _, err = w.Write(nil); err != nil {
			break
		}
		runtime.Gosched()
	}
	if open := openUploads(t, s); len(open) != 0 {
		t.Errorf("Write returned %v and left uploads open: %v", err, open)
	}
	if st := w.Stats(); st.Aborts != 1 {
		t.Errorf("Aborts = %d after the failed Write, want 1", st.Aborts)
	}
}

// countingCtx is a parent context that counts the cancellation hooks
// registered on it and the ones removed again.
type countingCtx struct {
	context.Context
	mu         sync.Mutex
	registered int
	stopped    int
}

func (c *countingCtx) AfterFunc(f func()) func() bool {
	c.mu.Lock()
	c.registered++
	c.mu.Unlock()
	stop := context.AfterFunc(c.Context, f)
	var once sync.Once
	return func() bool {
		once.Do(func() {
			c.mu.Lock()
			c.stopped++
			c.mu.Unlock()
		})
		return stop()
	}
}

// Value hides the parent's values, so the context package cannot reach
// the parent's own cancellation and registers through AfterFunc.
func (c *countingCtx) Value(any) any { return nil }

func (c *countingCtx) live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.registered - c.stopped
}

// TestMultipartReleasesContext: every way a streamed write ends removes
// what it registered on the caller's context.
func TestMultipartReleasesContext(t *testing.T) {
	s, _, _ := faultStore(t, 2)
	tests := []struct {
		name string
		size int
		end  func(w *upload.MultipartWriter) error
	}{
		{"close small", 10, func(w *upload.MultipartWriter) error { return w.Close() }},
		{"close multipart", partSize + 10, func(w *upload.MultipartWriter) error { return w.Close() }},
		{"abort", partSize + 10, func(w *upload.MultipartWriter) error { return w.Abort() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx := &countingCtx{Context: parent}
			w, err := s.CreateMultipart(ctx, "ctx/"+tc.name, upload.PutOptions{}, upload.MultipartOptions{PartSize: partSize, Concurrency: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(uploadtest.Pattern(3, tc.size)); err != nil {
				t.Fatal(err)
			}
			if err := tc.end(w); err != nil {
				t.Fatal(err)
			}
			if n := ctx.live(); n != 0 {
				t.Errorf("%d cancellation hooks left on the caller's context", n)
			}
		})
	}
}

// TestMultipartAbortReportsFailedAbort: when AbortMultipartUpload keeps
// failing, Abort says so instead of returning nil with parts left stored.
func TestMultipartAbortReportsFailedAbort(t *testing.T) {
	s, tr, _ := faultStore(t, 2, uploadtest.Rule{Op: uploadtest.OpAbort, Fault: uploadtest.Status500})
	w, err := s.CreateMultipart(context.Background(), "unabortable", upload.PutOptions{}, upload.MultipartOptions{PartSize: partSize, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(uploadtest.Pattern(4, partSize+10)); err != nil {
		t.Fatal(err)
	}
	err = w.Abort()
	tr.SetRules()
	if err == nil {
		t.Errorf("Abort = nil with the multipart upload still open: %v", openUploads(t, s))
	}
	if err != nil && !strings.Contains(err.Error(), "unabortable") {
		t.Errorf("Abort error %v does not name the key", err)
	}
}

// stall holds every request of one operation until its context ends or
// the stall is released.
type stall struct {
	base    http.RoundTripper
	op      uploadtest.Op
	arrived chan struct{}
	release chan struct{}
}

func (g *stall) RoundTrip(r *http.Request) (*http.Response, error) {
	if uploadtest.OpOf(r) == g.op {
		g.arrived <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.base.RoundTrip(r)
}

// TestMultipartCancelStalledCreate: cancelling the write's context ends a
// CreateMultipartUpload that the server never answers.
func TestMultipartCancelStalledCreate(t *testing.T) {
	g := &stall{base: http.DefaultTransport, op: uploadtest.OpCreateUpload, arrived: make(chan struct{}, 10), release: make(chan struct{})}
	s, _ := newGatewayStore(t, upload.S3Options{HTTPClient: &http.Client{Transport: g}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := s.CreateMultipart(ctx, "stalled", upload.PutOptions{}, upload.MultipartOptions{PartSize: partSize, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(uploadtest.Pattern(6, partSize+1))
		done <- err
	}()
	<-g.arrived
	cancel()
	// A generous bound that only a hang reaches; nothing waits on it
	// when the write ends as it should.
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		close(g.release)
		t.Fatal("Write still blocked in CreateMultipartUpload a minute after the cancellation")
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if open := openUploads(t, s); len(open) != 0 {
		t.Errorf("uploads left open: %v", open)
	}
}
