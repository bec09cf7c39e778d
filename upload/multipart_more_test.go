package upload_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
	"github.com/google/go-cmp/cmp"
)

func TestChoosePartSize(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		hint, asked, want int64
		bad               bool
	}{
		{0, 0, upload.DefaultPartSize, false},
		{1, 0, upload.DefaultPartSize, false},
		{100 * mib, 5 * mib, 5 * mib, false},
		{10000 * 5 * mib, 5 * mib, 5 * mib, false},
		{10000*5*mib + 1, 5 * mib, 6 * mib, false},
		{1 << 40, 0, 105 * mib, false}, // 1 TiB / 10,000 = 104.9 MiB
		{0, 4 * mib, 0, true},
		{0, 6 << 30, 0, true},
		{-1, 0, 0, true},
		{10001 * upload.MaxPartSize, 0, 0, true},
	}
	for _, tc := range tests {
		got, err := upload.ChoosePartSize(tc.hint, tc.asked)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ChoosePartSize(%d, %d) = %d, %v; want %d (error: %v)", tc.hint, tc.asked, got, err, tc.want, tc.bad)
		}
		if err == nil && tc.hint > 0 && (tc.hint+got-1)/got > upload.MaxParts {
			t.Errorf("ChoosePartSize(%d, %d) = %d needs more than %d parts", tc.hint, tc.asked, got, upload.MaxParts)
		}
	}
}

func TestRetryBackoff(t *testing.T) {
	// Three 503s, then success: three sleeps of base·2^n·jitter.
	s, tr, sl := faultStore(t, 2, uploadtest.Rule{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503, Times: 3})
	if _, err := s.Put(context.Background(), "k", []byte("x"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	if diff := cmp.Diff(want, sl.delays); diff != "" {
		t.Errorf("backoff delays (-want +got):\n%s", diff)
	}
	if got := s.Stats().Retries; got != 3 {
		t.Errorf("Stats().Retries = %d, want 3", got)
	}
	if got := tr.Injected()[uploadtest.Status503]; got != 3 {
		t.Errorf("injected %d faults, want 3", got)
	}
	// A fifth 503 in a row exhausts MaxAttempts (4) and fails.
	tr.SetRules(uploadtest.Rule{Op: uploadtest.OpPutObject, Fault: uploadtest.Status503})
	if _, err := s.Put(context.Background(), "k2", []byte("x"), upload.PutOptions{}); err == nil {
		t.Errorf("put succeeded through endless 503s")
	}
}

// gate holds UploadPart requests until released.
type gate struct {
	base    http.RoundTripper
	arrived chan struct{}
	release chan struct{}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if uploadtest.OpOf(r) == uploadtest.OpUploadPart {
		g.arrived <- struct{}{}
		<-g.release
	}
	return g.base.RoundTrip(r)
}

func TestMultipartMemoryBound(t *testing.T) {
	const concurrency = 3
	g := &gate{base: http.DefaultTransport, arrived: make(chan struct{}, 100), release: make(chan struct{})}
	s, _ := newGatewayStore(t, upload.S3Options{HTTPClient: &http.Client{Transport: g}})
	var progress []upload.Progress
	w, err := s.CreateMultipart(context.Background(), "bounded", upload.PutOptions{}, upload.MultipartOptions{
		PartSize: partSize, Concurrency: concurrency,
		OnProgress: func(p upload.Progress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	const parts = 7
	data := uploadtest.Pattern(9, parts*partSize-100)
	done := make(chan error)
	go func() {
		_, err := w.Write(data)
		if err == nil {
			err = w.Close()
		}
		done <- err
	}()
	// Every slot busy: the writer holds exactly concurrency+1 buffers.
	for range concurrency {
		<-g.arrived
	}
	if st := w.Stats(); st.InFlight != concurrency {
		t.Errorf("InFlight = %d with every slot held, want %d", st.InFlight, concurrency)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.PeakBuffers != concurrency+1 || st.PeakBufferBytes != partSize*(concurrency+1) {
		t.Errorf("peak %d buffers / %d bytes, want %d / %d", st.PeakBuffers, st.PeakBufferBytes, concurrency+1, partSize*(concurrency+1))
	}
	if st.PeakInFlight != concurrency || st.InFlight != 0 || st.Parts != parts || st.Bytes != int64(len(data)) {
		t.Errorf("stats %+v, want %d parts of %d bytes, peak %d in flight", st, parts, len(data), concurrency)
	}
	got, _, err := s.Get(context.Background(), "bounded")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
	if len(progress) != parts+1 || !progress[parts].Done || progress[parts].Uploaded != int64(len(data)) {
		t.Fatalf("progress reports %+v", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Uploaded < progress[i-1].Uploaded || progress[i].Parts != min(i+1, parts) {
			t.Errorf("progress %d = %+v after %+v", i, progress[i], progress[i-1])
		}
	}
}

func TestMultipartCancel(t *testing.T) {
	for _, how := range []string{"cancel then close", "abort", "cancel only"} {
		t.Run(how, func(t *testing.T) {
			s, _, _ := faultStore(t, 2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := s.CreateMultipart(ctx, "cancelled", upload.PutOptions{}, upload.MultipartOptions{PartSize: partSize, Concurrency: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(uploadtest.Pattern(1, 3*partSize)); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "cancel then close":
				cancel()
				if err := w.Close(); !errors.Is(err, context.Canceled) {
					t.Errorf("Close after cancel = %v, want context.Canceled", err)
				}
			case "abort":
				if err := w.Abort(); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err == nil {
					t.Errorf("Close after Abort succeeded")
				}
			case "cancel only":
				cancel()
				// The cancellation aborts in the background; Abort waits
				// for it to end.
				w.Abort()
			}
			if open := openUploads(t, s); len(open) != 0 {
				t.Errorf("uploads left open: %v", open)
			}
			if _, err := s.Head(context.Background(), "cancelled"); !errors.Is(err, upload.ErrNotFound) {
				t.Errorf("Head = %v, want ErrNotFound", err)
			}
			if st := w.Stats(); st.Aborts != 1 {
				t.Errorf("Aborts = %d, want 1", st.Aborts)
			}
		})
	}
}

func TestMultipartAbortRetried(t *testing.T) {
	s, tr, _ := faultStore(t, 2,
		uploadtest.Rule{Op: uploadtest.OpUploadPart, Fault: uploadtest.Status500},
		uploadtest.Rule{Op: uploadtest.OpAbort, Fault: uploadtest.Status503, Times: 2})
	w, err := s.CreateMultipart(context.Background(), "k", upload.PutOptions{}, upload.MultipartOptions{PartSize: partSize, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(uploadtest.Pattern(1, partSize+10))
	if err := w.Close(); err == nil {
		t.Fatal("upload succeeded through endless 500s")
	}
	if got := tr.Injected()[uploadtest.Status503]; got != 2 {
		t.Errorf("abort saw %d injected 503s, want 2", got)
	}
	if open := openUploads(t, s); len(open) != 0 {
		t.Errorf("uploads left open: %v", open)
	}
}

// TestTransportEqualParts checks the transport's copy of R2's rule on raw
// SDK calls: unequal non-trailing parts fail Complete with InvalidPart.
func TestTransportEqualParts(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
		ok    bool
	}{
		{"equal then shorter", []int{partSize, partSize, 10}, true},
		{"all equal", []int{partSize, partSize}, true},
		{"second larger", []int{partSize, partSize + 1, 10}, false},
		{"last larger", []int{partSize, partSize + 1}, false},
	}
	tr := &uploadtest.Transport{}
	s, _ := newGatewayStore(t, upload.S3Options{HTTPClient: tr.Client()})
	c := s.Client()
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.Bucket()), Key: aws.String(tc.name)})
			if err != nil {
				t.Fatal(err)
			}
			var parts []types.CompletedPart
			for i, n := range tc.sizes {
				out, err := c.UploadPart(ctx, &s3.UploadPartInput{
					Bucket: aws.String(s.Bucket()), Key: aws.String(tc.name), UploadId: cr.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(make([]byte, n)), ContentLength: aws.Int64(int64(n)),
				})
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
			}
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
				Bucket: aws.String(s.Bucket()), Key: aws.String(tc.name), UploadId: cr.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
			})
			if tc.ok && err != nil {
				t.Errorf("Complete: %v", err)
			}
			if !tc.ok {
				var ae interface{ ErrorCode() string }
				if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidPart" {
					t.Errorf("Complete = %v, want InvalidPart", err)
				}
				c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.Bucket()), Key: aws.String(tc.name), UploadId: cr.UploadId})
			}
		})
	}
}

// TestMultipartConcurrentWriters runs several streamed writes at once on
// one store (shared buffer pool and counters).
func TestMultipartConcurrentWriters(t *testing.T) {
	s, _, _ := faultStore(t, 2, uploadtest.Rule{Fault: uploadtest.Status500, Rate: 0.1})
	ctx := context.Background()
	var wg sync.WaitGroup
	keys := []string{"w/0", "w/1", "w/2"}
	for i, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s.Create(ctx, key, upload.PutOptions{IfAbsent: true})
			if err != nil {
				t.Error(err)
				return
			}
			w.Write(uploadtest.Pattern(uint64(i), 2*partSize+i))
			if err := w.Close(); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		}()
	}
	wg.Wait()
	for i, key := range keys {
		got, _, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, uploadtest.Pattern(uint64(i), 2*partSize+i)) {
			t.Errorf("%s reads back as %d bytes (%v)", key, len(got), err)
		}
	}
	if st := s.Stats(); st.Objects != 3 || st.Parts != 2+3+3 || st.InFlight != 0 {
		t.Errorf("store stats %+v, want 3 objects of 2, 3 and 3 parts", st)
	}
}

// TestConditionalPutAfterReset: a conditional put whose first attempt was
// cut off reads the key back before sending its body again.
func TestConditionalPutAfterReset(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		existing []byte // nil: no object before
		opts     func(etag string) upload.PutOptions
		fault    uploadtest.Fault
		wantErr  error
		puts     int // PutObject requests after the first put
	}{
		{"if absent, lost answer", nil, func(string) upload.PutOptions { return upload.PutOptions{IfAbsent: true} }, uploadtest.LostResponse, nil, 1},
		{"if absent, key taken, reset", []byte("other"), func(string) upload.PutOptions { return upload.PutOptions{IfAbsent: true} }, uploadtest.Reset, upload.ErrPreconditionFailed, 1},
		{"if match, lost answer", []byte("old"), func(e string) upload.PutOptions { return upload.PutOptions{IfMatch: e} }, uploadtest.LostResponse, nil, 1},
		{"if match, stale, reset", []byte("old"), func(string) upload.PutOptions { return upload.PutOptions{IfMatch: `"stale"`} }, uploadtest.Reset, upload.ErrPreconditionFailed, 1},
		{"if match, missing, reset", nil, func(string) upload.PutOptions { return upload.PutOptions{IfMatch: `"stale"`} }, uploadtest.Reset, upload.ErrNotFound, 1},
		{"if absent, reset, free", nil, func(string) upload.PutOptions { return upload.PutOptions{IfAbsent: true} }, uploadtest.Reset, nil, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, tr, _ := faultStore(t, 2)
			etag := ""
			if tc.existing != nil {
				info, err := s.Put(ctx, "k", tc.existing, upload.PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				etag = info.ETag
			}
			before := tr.Requests()[uploadtest.OpPutObject]
			tr.SetRules(uploadtest.Rule{Op: uploadtest.OpPutObject, Fault: tc.fault, Times: 1})
			data := uploadtest.Pattern(5, 3<<20)
			_, err := s.Put(ctx, "k", data, tc.opts(etag))
			tr.SetRules()
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Put = %v, want %v", err, tc.wantErr)
			}
			if got := tr.Requests()[uploadtest.OpPutObject] - before; got != tc.puts {
				t.Errorf("%d PutObject requests, want %d", got, tc.puts)
			}
			want := tc.existing
			if tc.wantErr == nil {
				want = data
			}
			got, _, err := s.Get(ctx, "k")
			if want == nil {
				if !errors.Is(err, upload.ErrNotFound) {
					t.Errorf("Get = %d bytes, %v; want ErrNotFound", len(got), err)
				}
			} else if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Get = %d bytes, %v; want the %d bytes expected", len(got), err, len(want))
			}
		})
	}
}
