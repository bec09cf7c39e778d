package upload

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

var large = flag.Bool("upload.large", false, "also upload 512 MiB objects")

const (
	partSize    = upload.DefaultPartSize
	concurrency = upload.DefaultConcurrency
	chunk       = 1 << 20 // the encoder hands the uploader 1 MiB at a time
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if gateway.gw != nil {
		gateway.gw.Close()
		os.RemoveAll(gateway.dir)
	}
	os.Exit(code)
}

// gateway is the versitygw server of the benchmarks. Its data lives in
// /dev/shm when that exists, so that the disk of a shared machine does
// not decide the figures.
var gateway struct {
	once sync.Once
	gw   *uploadtest.Gateway
	dir  string
	err  error
}

func startGateway(b *testing.B) *uploadtest.Gateway {
	b.Helper()
	if _, err := uploadtest.FindVersityGW(); err != nil && os.Getenv("CI") != "true" {
		b.Skipf("skipping: %v", err)
	}
	gateway.once.Do(func() {
		parent := ""
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			parent = "/dev/shm"
		}
		gateway.dir, gateway.err = os.MkdirTemp(parent, "evodb-bench-versitygw-")
		if gateway.err == nil {
			gateway.gw, gateway.err = uploadtest.StartGateway(gateway.dir)
		}
	})
	if gateway.err != nil {
		b.Fatal(gateway.err)
	}
	return gateway.gw
}

func newStore(b *testing.B) *upload.S3 {
	b.Helper()
	gw := startGateway(b)
	ctx := context.Background()
	bucket, err := gw.NewBucket(ctx)
	if err != nil {
		b.Fatal(err)
	}
	s, err := upload.NewS3(ctx, upload.S3Options{
		Bucket: bucket, Endpoint: gw.Endpoint, Region: gw.Region, UsePathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey,
		Multipart: upload.MultipartOptions{PartSize: partSize, Concurrency: concurrency},
	})
	if err != nil {
		b.Fatal(err)
	}
	// The gateway keeps its data in memory (/dev/shm): delete what a
	// benchmark uploaded when it ends, or repeated 512 MiB runs fill it.
	b.Cleanup(func() {
		objs, err := s.List(ctx, "")
		if err != nil {
			b.Errorf("listing the benchmark's objects: %v", err)
			return
		}
		for _, o := range objs {
			if err := s.Delete(ctx, o.Key); err != nil {
				b.Errorf("deleting %s: %v", o.Key, err)
			}
		}
	})
	return s
}

// heapPeak samples the live heap while an upload runs.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak atomic.Uint64
	base uint64
}

var heapMetric = "/memory/classes/heap/objects:bytes"

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), base: readHeap()}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readHeap(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// mib returns the peak live heap above the level at start, in MiB.
func (h *heapPeak) mib() float64 {
	close(h.stop)
	h.done.Wait()
	p := h.peak.Load()
	if p < h.base {
		return 0
	}
	return float64(p-h.base) / (1 << 20)
}

func BenchmarkUpload(b *testing.B) {
	sizes := []int{64 << 20}
	if *large {
		sizes = append(sizes, 512<<20)
	}
	for _, size := range sizes {
		data := uploadtest.Pattern(uint64(size), size)
		b.Run(fmt.Sprintf("size=%dMiB/how=ours", size>>20), func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var peakBuf int64
			var heap float64
			n := 0
			for b.Loop() {
				h := startHeapPeak()
				w, err := s.CreateMultipart(ctx, fmt.Sprintf("obj-%d", n), upload.PutOptions{SizeHint: int64(size)}, upload.MultipartOptions{PartSize: partSize, Concurrency: concurrency})
				if err != nil {
					b.Fatal(err)
				}
				for off := 0; off < size; off += chunk {
					if _, err := w.Write(data[off:min(off+chunk, size)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				heap = max(heap, h.mib())
				peakBuf = max(peakBuf, w.Stats().PeakBufferBytes)
				n++
			}
			b.ReportMetric(float64(peakBuf)/(1<<20), "pool-peak-MiB")
			b.ReportMetric(heap, "heap-peak-MiB")
		})
		b.Run(fmt.Sprintf("size=%dMiB/how=single-put", size>>20), func(b *testing.B) {
			s := newStore(b)
			c := s.Client()
			timePeerUploads(b, size, func(ctx context.Context, key string) error {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(s.Bucket()), Key: aws.String(key),
					Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(size)),
				})
				return err
			})
		})
		b.Run(fmt.Sprintf("size=%dMiB/how=single-put-unsigned", size>>20), func(b *testing.B) {
			// The same PutObject with UNSIGNED-PAYLOAD, as ours sends its
			// parts: no SHA-256 of the body on the client.
			s := newStore(b)
			c := s.Client()
			timePeerUploads(b, size, func(ctx context.Context, key string) error {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(s.Bucket()), Key: aws.String(key),
					Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(size)),
				}, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
				return err
			})
		})
		b.Run(fmt.Sprintf("size=%dMiB/how=transfermanager", size>>20), func(b *testing.B) {
			s := newStore(b)
			tm := transfermanager.New(s.Client(), func(o *transfermanager.Options) {
				o.PartSizeBytes = partSize
				o.Concurrency = concurrency
				o.ChecksumAlgorithm = tmtypes.ChecksumAlgorithmCrc32c
			})
			timePeerUploads(b, size, func(ctx context.Context, key string) error {
				// A plain reader, as from an encoder: the transfer
				// manager cannot seek or take sections of it.
				_, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
					Bucket: aws.String(s.Bucket()), Key: aws.String(key),
					Body: struct{ io.Reader }{bytes.NewReader(data)},
				})
				return err
			})
		})
	}
}

// timePeerUploads times put of one size-byte object per iteration (keys
// obj-0, obj-1, ...) and reports the heap's peak; a peer has no buffer pool
// of its own to report, so pool-peak-MiB is 0.
func timePeerUploads(b *testing.B, size int, put func(ctx context.Context, key string) error) {
	ctx := context.Background()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var heap float64
	n := 0
	for b.Loop() {
		h := startHeapPeak()
		if err := put(ctx, fmt.Sprintf("obj-%d", n)); err != nil {
			b.Fatal(err)
		}
		heap = max(heap, h.mib())
		n++
	}
	b.ReportMetric(0, "pool-peak-MiB")
	b.ReportMetric(heap, "heap-peak-MiB")
}
