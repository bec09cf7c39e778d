package upload

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Multipart limits shared by S3 and R2.
const (
	MinPartSize     = 5 << 20 // bytes; every part but the last
	MaxPartSize     = 5 << 30
	MaxParts        = 10000
	DefaultPartSize = 8 << 20
	// DefaultConcurrency is the default number of parts in flight.
	DefaultConcurrency = 4
)

// MultipartOptions configure streamed writes to S3. Zero fields take the
// defaults.
type MultipartOptions struct {
	// PartSize is the size of every part but the last, at least
	// MinPartSize [DefaultPartSize]. It is raised (to a whole number of
	// MiB) when PutOptions.SizeHint would need more than MaxParts parts.
	PartSize int64
	// Concurrency is the number of parts uploading at once while the next
	// one fills [DefaultConcurrency]. Memory held by one write is at most
	// PartSize × (Concurrency + 1).
	Concurrency int
	// OnProgress, when set, is called after every part and after the
	// object is complete. Calls do not overlap.
	OnProgress func(Progress)
}

// Progress reports how far one streamed write has come.
type Progress struct {
	Key      string
	Written  int64 // bytes handed to Write so far
	Uploaded int64 // bytes acknowledged by the service
	Parts    int   // parts acknowledged
	Done     bool  // the object is complete
}

func (o MultipartOptions) check() error {
	if o.PartSize != 0 && (o.PartSize < MinPartSize || o.PartSize > MaxPartSize) {
		return fmt.Errorf("upload: part size %d out of range [%d, %d]", o.PartSize, MinPartSize, MaxPartSize)
	}
	if o.Concurrency < 0 {
		return fmt.Errorf("upload: negative multipart concurrency %d", o.Concurrency)
	}
	return nil
}

// ChoosePartSize returns the part size for an object of about sizeHint
// bytes (0: unknown) when partSize is asked for (0: DefaultPartSize): the
// asked size, raised to the next whole MiB that keeps sizeHint within
// MaxParts parts.
func ChoosePartSize(sizeHint, partSize int64) (int64, error) {
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize || partSize > MaxPartSize {
		return 0, fmt.Errorf("upload: part size %d out of range [%d, %d]", partSize, MinPartSize, MaxPartSize)
	}
	if sizeHint < 0 {
		return 0, fmt.Errorf("upload: negative size hint %d", sizeHint)
	}
	if sizeHint > partSize*MaxParts {
		const mib = 1 << 20
		need := (sizeHint + MaxParts - 1) / MaxParts
		partSize = (need + mib - 1) / mib * mib
		if partSize > MaxPartSize {
			return 0, fmt.Errorf("upload: an object of %d bytes needs parts of %d bytes, above the %d limit", sizeHint, partSize, int64(MaxPartSize))
		}
	}
	return partSize, nil
}

// Create implements Store: a streamed write with the store's multipart
// options.
func (s *S3) Create(ctx context.Context, key string, opts PutOptions) (Writer, error) {
	return s.CreateMultipart(ctx, key, opts, s.mp)
}

// CreateMultipart starts a streamed write with the given multipart options.
//
// Write fills the current part; a full part is handed to one of
// mp.Concurrency uploads and the next part fills meanwhile (Write blocks
// while every upload slot is busy). Parts are retried on transient
// failures and carry their CRC32C. An object that fits in one part goes up
// with a single PutObject on Close; a larger one is completed with
// CompleteMultipartUpload carrying the conditions of opts. On any failure
// that retries cannot cure, on Abort and on cancellation of ctx the
// multipart upload is aborted, so no parts are left behind.
func (s *S3) CreateMultipart(ctx context.Context, key string, opts PutOptions, mp MultipartOptions) (*MultipartWriter, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := opts.check(key); err != nil {
		return nil, err
	}
	if err := mp.check(); err != nil {
		return nil, err
	}
	partSize, err := ChoosePartSize(opts.SizeHint, mp.PartSize)
	if err != nil {
		return nil, fmt.Errorf("upload: put %q: %w", key, err)
	}
	if mp.Concurrency == 0 {
		mp.Concurrency = DefaultConcurrency
	}
	w := &MultipartWriter{
		s: s, key: key, opts: opts, mp: mp, partSize: partSize,
		sem:  make(chan struct{}, mp.Concurrency),
		free: make(chan []byte, mp.Concurrency+1),
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	w.reqCtx, w.reqCancel = context.WithCancel(context.WithoutCancel(ctx))
	w.stopWatch = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		owned := w.closing || w.done
		w.mu.Unlock()
		if !owned {
			w.abort(opError("put", key, ctx.Err()))
		}
	})
	return w, nil
}

// MultipartWriter is a streamed write to S3 (see CreateMultipart). Write,
// Close and Abort must not be called concurrently.
type MultipartWriter struct {
	s        *S3
	key      string
	opts     PutOptions
	mp       MultipartOptions
	partSize int64
	ctx      context.Context // the caller's; also cancelled on abort
	cancel   context.CancelFunc
	// reqCtx carries the part requests. It is not cancelled
	// with ctx: a part request the server already holds is let finish
	// (for up to abortGrace), because a part the server stores after the
	// abort would bring the upload back.
	reqCtx    context.Context
	reqCancel context.CancelFunc
	stopWatch func() bool

	cur       []byte // the part being filled; len = bytes in it
	nparts    int    // parts handed to uploads
	allocated int    // buffers this write obtained
	sem       chan struct{}
	free      chan []byte
	live      atomic.Int64 // buffers held now
	liveBytes atomic.Int64 // their capacity in bytes
	wg        sync.WaitGroup
	written   atomic.Int64
	uploaded  atomic.Int64
	partsDone atomic.Int64
	progress  sync.Mutex
	stats     counters
	abortOnce sync.Once

	mu              sync.Mutex
	uploadID        string
	createdAt       time.Time
	createAmbiguous bool
	parts           []types.CompletedPart
	sums            []uint32
	err             error
	abortErr        error // why AbortMultipartUpload failed
	aborted         bool
	closing         bool
	done            bool
	info            ObjectInfo
}

// PartSize returns the part size chosen for this write.
func (w *MultipartWriter) PartSize() int64 { return w.partSize }

// Stats returns the counters of this write.
func (w *MultipartWriter) Stats() Stats { return w.stats.snapshot() }

// Info implements Writer.
func (w *MultipartWriter) Info() ObjectInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.info
}

func (w *MultipartWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.done {
		return opError("write", w.key, ErrClosed)
	}
	return nil
}

// Write implements io.Writer.
func (w *MultipartWriter) Write(p []byte) (int, error) {
	if err := w.failure(); err != nil {
		w.mu.Lock()
		// A part failed in the background: abort now, so a caller that
		// just returns leaves no multipart upload behind.
		pending := !w.aborted && !w.done
		w.mu.Unlock()
		if pending {
			return 0, w.fail(err)
		}
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		if w.cur == nil {
			b, err := w.getBuf()
			if err != nil {
				return n, w.fail(err)
			}
			w.cur = b
		}
		if len(w.cur) == cap(w.cur) {
			// The part is full and more bytes follow: send it.
			if err := w.send(false); err != nil {
				return n, w.fail(err)
			}
			continue
		}
		c := copy(w.cur[len(w.cur):cap(w.cur)], p)
		w.cur = w.cur[:len(w.cur)+c]
		p = p[c:]
		n += c
		w.written.Add(int64(c))
	}
	return n, nil
}

// fail aborts the upload because of err and returns the write's error.
func (w *MultipartWriter) fail(err error) error {
	w.abort(err)
	return w.failure()
}

func (w *MultipartWriter) getBuf() ([]byte, error) {
	var b []byte
	select {
	case b = <-w.free:
	default:
		if w.allocated <= w.mp.Concurrency {
			w.allocated++
			// Only buffers of exactly the part size are reused: a larger
			// one sliced down would hold memory beyond the bound.
			if p, ok := w.s.partPool(w.partSize).Get().(*[]byte); ok && int64(cap(*p)) == w.partSize {
				b = (*p)[:0]
			} else {
				b = make([]byte, 0, w.partSize)
			}
		} else {
			select {
			case b = <-w.free:
			case <-w.ctx.Done():
				return nil, w.ctxErr()
			}
		}
	}
	n := w.live.Add(1)
	held := w.liveBytes.Add(int64(cap(b)))
	raise(&w.stats.peakBuffers, n)
	raise(&w.stats.peakBufferBytes, held)
	raise(&w.s.stats.peakBuffers, n)
	raise(&w.s.stats.peakBufferBytes, held)
	return b, nil
}

func (w *MultipartWriter) putBuf(b []byte) {
	w.live.Add(-1)
	w.liveBytes.Add(-int64(cap(b)))
	w.free <- b[:0]
}

// partPool returns the pool of part buffers of size bytes.
func (s *S3) partPool(size int64) *sync.Pool {
	if p, ok := s.pools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := s.pools.LoadOrStore(size, new(sync.Pool))
	return p.(*sync.Pool)
}

// recycle gives this write's buffers back to the store once nothing uses
// them.
func (w *MultipartWriter) recycle() {
	for {
		select {
		case b := <-w.free:
			if int64(cap(b)) == w.partSize {
				w.s.partPool(w.partSize).Put(&b)
			}
		default:
			return
		}
	}
}

func (w *MultipartWriter) ctxErr() error {
	if err := w.failure(); err != nil {
		return err
	}
	return opError("put", w.key, w.ctx.Err())
}

// send hands the current part to an upload slot and, unless it is the
// last, takes a buffer for the next.
func (w *MultipartWriter) send(last bool) error {
	if w.nparts >= MaxParts {
		return fmt.Errorf("upload: put %q: more than %d parts of %d bytes; give a larger PutOptions.SizeHint", w.key, MaxParts, w.partSize)
	}
	if err := w.start(); err != nil {
		return err
	}
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		return w.ctxErr()
	}
	w.mu.Lock()
	if w.aborted {
		w.mu.Unlock()
		<-w.sem
		return w.ctxErr()
	}
	w.nparts++
	num := w.nparts
	buf := w.cur
	w.cur = nil
	w.wg.Add(1)
	w.mu.Unlock()
	go w.uploadPart(num, buf)
	if !last {
		b, err := w.getBuf()
		if err != nil {
			return err
		}
		w.cur = b
	}
	return nil
}

// start creates the multipart upload if it does not exist yet. The
// create goes out on the write's context, so a cancellation ends it
// however long the server takes, and without w.mu held, so the
// cancellation watcher can run meanwhile; abort waits for it (it counts
// in w.wg). A create cut off or failed after it was sent may have left an
// upload behind: abort's sweep looks for it.
func (w *MultipartWriter) start() error {
	w.mu.Lock()
	if w.uploadID != "" {
		w.mu.Unlock()
		return nil
	}
	if w.aborted {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.createdAt = time.Now()
	w.wg.Add(1)
	w.mu.Unlock()
	defer w.wg.Done()
	var out *s3.CreateMultipartUploadOutput
	ambiguous, err := w.s.do(w.ctx, &w.stats, func(ctx context.Context) error {
		var err error
		out, err = w.s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket:            aws.String(w.s.bucket),
			Key:               aws.String(w.s.objectKey(w.key)),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
		})
		return err
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.createAmbiguous = true
		if w.err != nil {
			return w.err
		}
		return mapErr(w.ctx, "create multipart upload for", w.key, err)
	}
	w.uploadID = aws.ToString(out.UploadId)
	w.createAmbiguous = ambiguous
	return nil
}

// sweep aborts the uploads of this key that an earlier attempt of our
// CreateMultipartUpload may have started before its answer was lost: those
// begun since this write started, other than ours. (Another writer
// streaming to the same key at the same moment would lose its upload;
// block keys are unique, so the writer never does that.)
func (w *MultipartWriter) sweep(ctx context.Context) {
	w.mu.Lock()
	ours, ambiguous, since := w.uploadID, w.createAmbiguous, w.createdAt.Add(-time.Minute)
	w.mu.Unlock()
	if !ambiguous {
		return
	}
	objKey := w.s.objectKey(w.key)
	var out *s3.ListMultipartUploadsOutput
	_, err := w.s.do(ctx, &w.stats, func(ctx context.Context) error {
		var err error
		out, err = w.s.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(w.s.bucket), Prefix: aws.String(objKey)})
		return err
	})
	if err != nil {
		return // the service expires what is left
	}
	for _, u := range out.Uploads {
		id := aws.ToString(u.UploadId)
		if aws.ToString(u.Key) != objKey || id == ours || aws.ToTime(u.Initiated).Before(since) {
			continue
		}
		w.abortUpload(ctx, id)
	}
}

// abortUpload aborts one multipart upload, with retries.
func (w *MultipartWriter) abortUpload(ctx context.Context, id string) error {
	_, err := w.s.do(ctx, &w.stats, func(ctx context.Context) error {
		_, err := w.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(w.s.bucket), Key: aws.String(w.s.objectKey(w.key)), UploadId: aws.String(id),
		})
		return err
	})
	w.stats.aborts.Add(1)
	w.s.stats.aborts.Add(1)
	if err != nil && classify(ctx, err) != classNotFound {
		return err
	}
	return nil
}

func (w *MultipartWriter) uploadPart(num int, buf []byte) {
	defer w.wg.Done()
	defer func() { <-w.sem }()
	defer w.putBuf(buf)
	raise(&w.stats.peakInFlight, w.stats.inFlight.Add(1))
	raise(&w.s.stats.peakInFlight, w.s.stats.inFlight.Add(1))
	defer w.stats.inFlight.Add(-1)
	defer w.s.stats.inFlight.Add(-1)

	sum := crc32.Checksum(buf, castagnoli)
	sumText := crc32cBase64(sum)
	var out *s3.UploadPartOutput
	_, err := w.s.do(w.ctx, &w.stats, func(context.Context) error {
		var err error
		out, err = w.s.client.UploadPart(w.reqCtx, &s3.UploadPartInput{
			Bucket:         aws.String(w.s.bucket),
			Key:            aws.String(w.s.objectKey(w.key)),
			UploadId:       aws.String(w.uploadID),
			PartNumber:     aws.Int32(int32(num)),
			ContentLength:  aws.Int64(int64(len(buf))),
			ChecksumCRC32C: aws.String(sumText),
			Body:           bytes.NewReader(buf),
		}, w.s.partOpts...)
		return err
	})
	if err != nil {
		err = mapErr(w.ctx, "upload part "+strconv.Itoa(num)+" of", w.key, err)
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
		w.cancel()
		return
	}
	w.mu.Lock()
	for len(w.parts) < num {
		w.parts = append(w.parts, types.CompletedPart{})
		w.sums = append(w.sums, 0)
	}
	w.parts[num-1] = types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(num)), ChecksumCRC32C: aws.String(sumText)}
	w.sums[num-1] = sum
	w.mu.Unlock()
	for _, c := range []*counters{&w.stats, &w.s.stats} {
		c.parts.Add(1)
		c.bytes.Add(int64(len(buf)))
	}
	// The counters move under the progress lock, so that every report
	// counts one part more than the one before it, even when two parts
	// finish at once.
	w.progress.Lock()
	defer w.progress.Unlock()
	w.uploaded.Add(int64(len(buf)))
	w.partsDone.Add(1)
	w.reportLocked(false)
}

func (w *MultipartWriter) report(done bool) {
	w.progress.Lock()
	defer w.progress.Unlock()
	w.reportLocked(done)
}

// reportLocked calls OnProgress; w.progress is held.
func (w *MultipartWriter) reportLocked(done bool) {
	if w.mp.OnProgress == nil {
		return
	}
	w.mp.OnProgress(Progress{Key: w.key, Written: w.written.Load(), Uploaded: w.uploaded.Load(), Parts: int(w.partsDone.Load()), Done: done})
}

// Abort implements Writer: it stops the parts in flight and aborts the
// multipart upload. It returns an error when AbortMultipartUpload failed
// (after retries), as stored parts may then remain.
func (w *MultipartWriter) Abort() error {
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if done {
		return nil
	}
	w.abort(opError("put", w.key, errors.New("aborted")))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	return w.abortErr
}

// abortGrace is how long an abort waits for the part requests in flight
// before cutting them off.
const abortGrace = 30 * time.Second

// abort records cause (unless an error is already recorded), waits for
// the parts in flight and aborts the multipart upload. Only the first call
// does anything.
func (w *MultipartWriter) abort(cause error) {
	w.abortOnce.Do(func() {
		w.mu.Lock()
		w.aborted = true
		if w.err == nil {
			w.err = cause
		}
		w.mu.Unlock()
		w.cancel()
		waited := make(chan struct{})
		go func() { w.wg.Wait(); close(waited) }()
		grace := time.NewTimer(abortGrace)
		select {
		case <-waited:
		case <-grace.C:
			w.reqCancel()
			<-waited
		}
		grace.Stop()
		w.reqCancel()
		w.stopWatch()
		w.recycle()
		// After the wait: a create in flight has ended.
		w.mu.Lock()
		id, ambiguous := w.uploadID, w.createAmbiguous
		w.mu.Unlock()
		if id == "" && !ambiguous {
			return
		}
		// The write's context may be cancelled: abort with one of our own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 2*time.Minute)
		defer cancel()
		w.sweep(ctx)
		if id == "" {
			return
		}
		if err := w.abortUpload(ctx, id); err != nil {
			w.mu.Lock()
			w.err = fmt.Errorf("%w; aborting multipart upload %s also failed: %v", w.err, id, err)
			w.abortErr = opError("abort", w.key, fmt.Errorf("multipart upload %s (its parts stay stored until the bucket's lifecycle rule expires them): %w", id, err))
			w.mu.Unlock()
		}
	})
}

// Close implements Writer: it uploads what remains and completes the
// object. If it fails, the object was not written (or, for a
// cancellation racing an accepted completion, it may be complete: read it
// back to know).
func (w *MultipartWriter) Close() error {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return opError("close", w.key, ErrClosed)
	}
	if w.aborted {
		w.done = true
		err := w.err
		w.mu.Unlock()
		// An abort may still run (started by the cancellation watcher):
		// wait for it to end.
		w.abort(err)
		return w.failure()
	}
	w.closing = true
	started := w.uploadID != ""
	w.mu.Unlock()
	err := w.finish(started)
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	if err != nil {
		w.abort(err)
		return w.failure()
	}
	w.stopWatch()
	w.reqCancel()
	w.recycle()
	w.sweep(w.ctx)
	w.cancel() // release w.ctx's registration in the caller's context
	w.report(true)
	return nil
}

func (w *MultipartWriter) finish(started bool) error {
	if !started {
		// The object fits in one part: one PutObject.
		data := w.cur
		info, err := w.s.putObject(w.ctx, &w.stats, w.key, data, w.opts)
		if w.cur != nil {
			w.putBuf(w.cur)
			w.cur = nil
		}
		if err != nil {
			return err
		}
		w.uploaded.Add(int64(len(data)))
		w.mu.Lock()
		w.info = info
		w.mu.Unlock()
		return nil
	}
	if err := w.send(true); err != nil {
		return err
	}
	w.wg.Wait()
	if err := w.failure(); err != nil {
		return err
	}
	if err := w.ctx.Err(); err != nil {
		return opError("put", w.key, err)
	}
	return w.complete()
}

// composite is the checksum S3 gives a multipart object: the CRC32C of
// the parts' CRC32Cs, then "-" and the number of parts.
func composite(sums []uint32) string {
	b := make([]byte, 4*len(sums))
	for i, s := range sums {
		binary.BigEndian.PutUint32(b[4*i:], s)
	}
	c := crc32.Checksum(b, castagnoli)
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], c)
	return base64.StdEncoding.EncodeToString(out[:]) + "-" + strconv.Itoa(len(sums))
}

func (w *MultipartWriter) complete() error {
	w.mu.Lock()
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(w.s.bucket),
		Key:             aws.String(w.s.objectKey(w.key)),
		UploadId:        aws.String(w.uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: append([]types.CompletedPart(nil), w.parts...)},
	}
	sum := composite(w.sums)
	w.mu.Unlock()
	if w.opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if w.opts.IfMatch != "" {
		in.IfMatch = aws.String(w.opts.IfMatch)
	}
	size := w.written.Load()
	var out *s3.CompleteMultipartUploadOutput
	ambiguous, err := w.s.do(w.ctx, &w.stats, func(ctx context.Context) error {
		var err error
		out, err = w.s.client.CompleteMultipartUpload(ctx, in)
		return err
	})
	if err != nil {
		c := classify(w.ctx, err)
		lost := codeOf(err) == "NoSuchUpload" || (ambiguous && (c == classPrecondition || c == classConflict))
		if lost {
			// An earlier Complete was applied and its answer lost.
			if info, ok := w.s.holds(w.ctx, w.key, size, sum); ok {
				w.finished(info)
				return nil
			}
		}
		return mapErr(w.ctx, "complete multipart upload of", w.key, err)
	}
	w.finished(ObjectInfo{Key: w.key, Size: size, ETag: aws.ToString(out.ETag)})
	return nil
}

func (w *MultipartWriter) finished(info ObjectInfo) {
	w.stats.objects.Add(1)
	w.s.stats.objects.Add(1)
	w.mu.Lock()
	w.info = info
	w.mu.Unlock()
}
