package upload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

const partSize = upload.MinPartSize

// fakeSleep records the backoff delays instead of waiting.
type fakeSleep struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.delays = append(f.delays, d)
	f.mu.Unlock()
	return ctx.Err()
}

// faultStore returns an S3 store on a new versitygw bucket whose requests
// go through a fault transport with rules.
func faultStore(t *testing.T, concurrency int, rules ...uploadtest.Rule) (*upload.S3, *uploadtest.Transport, *fakeSleep) {
	t.Helper()
	tr := &uploadtest.Transport{Seed: 1, Rules: rules, SlowChunk: 64 << 10}
	sl := &fakeSleep{}
	s, _ := newGatewayStore(t, upload.S3Options{
		HTTPClient: tr.Client(),
		Retry:      upload.RetryPolicy{MaxAttempts: 4, Sleep: sl.sleep, Jitter: func() float64 { return 0.5 }},
		Multipart:  upload.MultipartOptions{PartSize: partSize, Concurrency: concurrency},
	})
	return s, tr, sl
}

// openUploads lists the multipart uploads still open in the store's bucket.
func openUploads(t *testing.T, s *upload.S3) []string {
	t.Helper()
	out, err := s.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(s.Bucket())})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var ids []string
	for _, u := range out.Uploads {
		ids = append(ids, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
	}
	return ids
}

type outcome int

const (
	succeeds outcome = iota
	fails
	failsPrecondition
	// either: random faults may outlast the retries; the upload must then
	// fail cleanly (no object, nothing left open) or succeed completely.
	either
)

func TestMultipartFaults(t *testing.T) {
	sizes := []int{0, 1, partSize, partSize + 1, 3*partSize + 12345}
	if testing.Short() {
		sizes = []int{1, 2*partSize + 7}
	}
	type faultCase struct {
		name string
		rule uploadtest.Rule
		// outcome for single-request objects and for multipart ones
		single, multi outcome
		ifAbsent      bool
	}
	R := func(op uploadtest.Op, f uploadtest.Fault, times int) uploadtest.Rule {
		return uploadtest.Rule{Op: op, Fault: f, Times: times}
	}
	cases := []faultCase{
		{name: "none", rule: uploadtest.Rule{}, single: succeeds, multi: succeeds},
		{name: "500 once per part", rule: R(uploadtest.OpUploadPart, uploadtest.Status500, 1), single: succeeds, multi: succeeds},
		{name: "503 throttled twice", rule: R(uploadtest.AnyOp, uploadtest.Status503, 2), single: succeeds, multi: succeeds},
		{name: "reset on put", rule: R(uploadtest.OpPutObject, uploadtest.Reset, 1), single: succeeds, multi: succeeds},
		{name: "reset on part", rule: R(uploadtest.OpUploadPart, uploadtest.Reset, 2), single: succeeds, multi: succeeds},
		{name: "slow bodies", rule: R(uploadtest.AnyOp, uploadtest.SlowBody, 0), single: succeeds, multi: succeeds},
		{name: "lost part answer", rule: R(uploadtest.OpUploadPart, uploadtest.LostResponse, 1), single: succeeds, multi: succeeds},
		{name: "lost complete answer", rule: R(uploadtest.OpComplete, uploadtest.LostResponse, 1), single: succeeds, multi: succeeds},
		{name: "lost complete answer if absent", rule: R(uploadtest.OpComplete, uploadtest.LostResponse, 1), single: succeeds, multi: succeeds, ifAbsent: true},
		{name: "lost put answer if absent", rule: R(uploadtest.OpPutObject, uploadtest.LostResponse, 1), single: succeeds, multi: succeeds, ifAbsent: true},
		{name: "lost create answer", rule: R(uploadtest.OpCreateUpload, uploadtest.LostResponse, 1), single: succeeds, multi: succeeds},
		{name: "500 on every part", rule: R(uploadtest.OpUploadPart, uploadtest.Status500, 0), single: succeeds, multi: fails},
		{name: "reset on every put", rule: R(uploadtest.OpPutObject, uploadtest.Reset, 0), single: fails, multi: succeeds},
		{name: "reset on every complete", rule: R(uploadtest.OpComplete, uploadtest.Reset, 0), single: succeeds, multi: fails},
		{name: "412 on complete", rule: R(uploadtest.OpComplete, uploadtest.Precondition412, 0), single: succeeds, multi: failsPrecondition, ifAbsent: true},
		{name: "409 on complete", rule: R(uploadtest.OpComplete, uploadtest.Conflict409, 0), single: succeeds, multi: failsPrecondition, ifAbsent: true},
		{name: "412 on put", rule: R(uploadtest.OpPutObject, uploadtest.Precondition412, 0), single: failsPrecondition, multi: succeeds, ifAbsent: true},
		{name: "409 on put", rule: R(uploadtest.OpPutObject, uploadtest.Conflict409, 0), single: failsPrecondition, multi: succeeds, ifAbsent: true},
		{name: "random 5xx and resets", rule: uploadtest.Rule{Fault: uploadtest.Status503, Rate: 0.2}, single: either, multi: either},
	}
	const concurrency = 2
	s, tr, _ := faultStore(t, concurrency)
	ctx := context.Background()
	for ci, fc := range cases {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s/%d", fc.name, size), func(t *testing.T) {
				key := fmt.Sprintf("obj-%d-%d", ci, size)
				data := uploadtest.Pattern(uint64(ci*1000+size), size)
				tr.SetRules(fc.rule)
				defer tr.SetRules()
				before := tr.Injected()
				w, err := s.CreateMultipart(ctx, key, upload.PutOptions{IfAbsent: fc.ifAbsent}, upload.MultipartOptions{PartSize: partSize, Concurrency: concurrency})
				if err != nil {
					t.Fatal(err)
				}
				for off := 0; off < size; off += 1 << 20 {
					if _, err := w.Write(data[off:min(off+1<<20, size)]); err != nil {
						break // Close reports the failure
					}
				}
				err = w.Close()
				multi := size > partSize
				want := fc.single
				if multi {
					want = fc.multi
				}
				tr.SetRules()
				if want == either {
					want = succeeds
					if err != nil {
						want = fails
					}
				}
				switch want {
				case succeeds:
					if err != nil {
						t.Fatalf("upload failed: %v (injected %v)", err, tr.Injected())
					}
					got, _, err := s.Get(ctx, key)
					if err != nil {
						t.Fatalf("Get: %v", err)
					}
					if len(got) != size || crc32.Checksum(got, crc32.MakeTable(crc32.Castagnoli)) != crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)) || !bytes.Equal(got, data) {
						t.Fatalf("object reads back as %d bytes with another checksum; wrote %d", len(got), size)
					}
					if info := w.Info(); info.Size != int64(size) {
						t.Errorf("Info().Size = %d, want %d", info.Size, size)
					}
				case fails, failsPrecondition:
					if err == nil {
						t.Fatalf("upload succeeded, want a failure (injected %v)", tr.Injected())
					}
					if want == failsPrecondition && !errors.Is(err, upload.ErrPreconditionFailed) {
						t.Errorf("error %v, want ErrPreconditionFailed", err)
					}
					if want == fails && errors.Is(err, upload.ErrPreconditionFailed) {
						t.Errorf("error %v matches ErrPreconditionFailed", err)
					}
					if fc.rule.Fault == uploadtest.Conflict409 && !errors.Is(err, upload.ErrConflict) {
						t.Errorf("error %v after a 409, want ErrConflict too", err)
					}
					if _, err := s.Head(ctx, key); !errors.Is(err, upload.ErrNotFound) {
						t.Errorf("failed upload left an object: Head = %v", err)
					}
					if multi && w.Stats().Aborts != 1 {
						t.Errorf("Aborts = %d after a failed multipart upload, want 1", w.Stats().Aborts)
					}
				}
				if open := openUploads(t, s); len(open) > 0 {
					t.Errorf("multipart uploads left open: %v", open)
				}
				st := w.Stats()
				if st.PeakBuffers > concurrency+1 || st.PeakBufferBytes > partSize*(concurrency+1) {
					t.Errorf("memory bound broken: %d buffers, %d bytes held at once", st.PeakBuffers, st.PeakBufferBytes)
				}
				if wantParts := int64(0); multi && want == succeeds {
					wantParts = int64((size + partSize - 1) / partSize)
					if st.Parts != wantParts {
						t.Errorf("Stats.Parts = %d, want %d", st.Parts, wantParts)
					}
				}
				injected := tr.Injected()[fc.rule.Fault] - before[fc.rule.Fault]
				transient := fc.rule.Fault == uploadtest.Status500 || fc.rule.Fault == uploadtest.Status503 || fc.rule.Fault == uploadtest.Reset || fc.rule.Fault == uploadtest.LostResponse
				if transient && injected > 0 && st.Retries == 0 {
					t.Errorf("%d faults injected, no retry counted", injected)
				}
			})
		}
	}
}
