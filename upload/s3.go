package upload

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Options configure an S3 store. Fields left empty come from the
// standard AWS environment and config files (AWS_REGION, AWS_PROFILE,
// AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_S3, ~/.aws/config, ...).
type S3Options struct {
	Bucket string // required
	// Prefix is prepended to every key ("tables/orders/"); a missing
	// trailing slash is added.
	Prefix string
	// Endpoint is the service URL, e.g. http://127.0.0.1:7070 or
	// https://<account id>.r2.cloudflarestorage.com. Empty: AWS.
	Endpoint string
	// Region: us-east-1 for versitygw, auto for R2.
	Region string
	// UsePathStyle addresses the bucket in the path (endpoint/bucket/key)
	// instead of the host name; needed by most self-hosted servers.
	UsePathStyle bool
	// AccessKeyID and SecretAccessKey, when set, replace the credential
	// chain.
	AccessKeyID, SecretAccessKey, SessionToken string
	// HTTPClient carries every request (tests inject faults through it).
	HTTPClient *http.Client
	// SignPayload makes the client hash every request body with SHA-256
	// for the signature. By default bodies that carry a CRC32C (puts and
	// parts) are sent as UNSIGNED-PAYLOAD: the signed CRC32C header already
	// guards their integrity, and hashing costs more CPU than the upload.
	SignPayload bool
	// Retry governs retries of every request.
	Retry RetryPolicy
	// Multipart configures streamed writes (Create).
	Multipart MultipartOptions
}

// S3 is a Store on an S3-compatible service. It is safe for concurrent use.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string
	retry  RetryPolicy
	mp     MultipartOptions
	// bodyOpts are the per-request options of requests with a body.
	bodyOpts []func(*s3.Options)
	partOpts []func(*s3.Options) // of UploadPart
	stats    counters
	pools    sync.Map // part size → *sync.Pool of *[]byte part buffers of exactly that capacity
}

// NewS3 returns a store on the bucket opts.Bucket. It makes no request.
func NewS3(ctx context.Context, opts S3Options) (*S3, error) {
	if opts.Bucket == "" {
		return nil, errors.New("upload: S3 store: no bucket given")
	}
	if opts.Prefix != "" {
		if !strings.HasSuffix(opts.Prefix, "/") {
			opts.Prefix += "/"
		}
		if err := ValidateKey(strings.TrimSuffix(opts.Prefix, "/")); err != nil {
			return nil, fmt.Errorf("upload: S3 store prefix: %w", err)
		}
	}
	if err := opts.Multipart.check(); err != nil {
		return nil, err
	}
	var loads []func(*config.LoadOptions) error
	if opts.Region != "" {
		loads = append(loads, config.WithRegion(opts.Region))
	}
	if opts.AccessKeyID != "" || opts.SecretAccessKey != "" {
		if opts.AccessKeyID == "" || opts.SecretAccessKey == "" {
			return nil, errors.New("upload: S3 store: AccessKeyID and SecretAccessKey must be given together")
		}
		loads = append(loads, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("upload: S3 store: loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("upload: S3 store: no region: set S3Options.Region or AWS_REGION (us-east-1 for versitygw, auto for R2)")
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.UsePathStyle = opts.UsePathStyle
		if opts.HTTPClient != nil {
			o.HTTPClient = opts.HTTPClient
		}
		o.Retryer = aws.NopRetryer{} // retries are ours: per part, counted, with an injectable clock
		// Checksums are computed here (CRC32C, once per part) and sent
		// as values; the SDK adds none of its own.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	st := &S3{client: client, bucket: opts.Bucket, prefix: opts.Prefix, retry: opts.Retry.withDefaults(), mp: opts.Multipart}
	if !opts.SignPayload {
		st.bodyOpts = append(st.bodyOpts, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	}
	// Parts carry no condition the server could refuse them for before
	// reading them: no "Expect: 100-continue" round trip. Conditional puts
	// keep it, so that a 412 arrives before the body is sent rather than
	// as a reset in the middle of it.
	st.partOpts = append(append(st.partOpts, st.bodyOpts...), func(o *s3.Options) { o.ContinueHeaderThresholdBytes = -1 })
	return st, nil
}

// Client returns the SDK client the store uses.
func (s *S3) Client() *s3.Client { return s.client }

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

// Stats returns the store's counters, summed over every write so far.
func (s *S3) Stats() Stats { return s.stats.snapshot() }

func (s *S3) objectKey(key string) string { return s.prefix + key }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc32cBase64(sum uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], sum)
	return base64.StdEncoding.EncodeToString(b[:])
}

// do runs op with the store's retry policy. It returns the last error and
// whether an earlier attempt failed in a way that may have been applied.
func (s *S3) do(ctx context.Context, st *counters, op func(ctx context.Context) error) (ambiguous bool, err error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && ctx.Err() != nil {
			return ambiguous, err
		}
		err = op(ctx)
		if err == nil || classify(ctx, err) != classRetry || attempt+1 >= s.retry.MaxAttempts {
			return ambiguous, err
		}
		ambiguous = true
		st.retries.Add(1)
		if st != &s.stats {
			s.stats.retries.Add(1)
		}
		if serr := s.retry.Sleep(ctx, s.retry.delay(attempt)); serr != nil {
			return ambiguous, err
		}
	}
}

// mapErr turns SDK errors into the package's errors.
func mapErr(ctx context.Context, op, key string, err error) error {
	switch classify(ctx, err) {
	case classPrecondition:
		return fmt.Errorf("upload: %s %q: %w (%v)", op, key, ErrPreconditionFailed, err)
	case classConflict:
		return fmt.Errorf("upload: %s %q: %w: %w (%v)", op, key, ErrConflict, ErrPreconditionFailed, err)
	case classNotFound:
		return fmt.Errorf("upload: %s %q: %w (%v)", op, key, ErrNotFound, err)
	}
	return opError(op, key, err)
}

// Put implements Store with one PutObject carrying the CRC32C of data.
func (s *S3) Put(ctx context.Context, key string, data []byte, opts PutOptions) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	if err := opts.check(key); err != nil {
		return ObjectInfo{}, err
	}
	return s.putObject(ctx, &s.stats, key, data, opts)
}

func (s *S3) putObject(ctx context.Context, st *counters, key string, data []byte, opts PutOptions) (ObjectInfo, error) {
	sum := crc32cBase64(crc32.Checksum(data, castagnoli))
	in := &s3.PutObjectInput{
		Bucket:         aws.String(s.bucket),
		Key:            aws.String(s.objectKey(key)),
		ContentLength:  aws.Int64(int64(len(data))),
		ChecksumCRC32C: aws.String(sum),
	}
	if opts.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(opts.IfMatch)
	}
	var out *s3.PutObjectOutput
	var found *ObjectInfo
	attempts := 0
	ambiguous, err := s.do(ctx, st, func(ctx context.Context) error {
		if attempts++; attempts > 1 && (opts.IfAbsent || opts.IfMatch != "") {
			// The previous attempt may have been applied: if the object
			// holds our bytes, it was. If the condition fails now, say
			// so without sending the body again (a server may refuse it
			// by resetting the connection in the middle of the body).
			info, ours, err := s.inspect(ctx, key, int64(len(data)), sum)
			switch {
			case err == nil && ours:
				found = &info
				return nil
			case err == nil && opts.IfAbsent:
				return &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "the key exists (read back after a failed attempt)"}
			case err == nil && info.ETag != opts.IfMatch:
				return &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "the ETag differs (read back after a failed attempt)"}
			case err != nil && classify(ctx, err) == classNotFound && opts.IfMatch != "":
				return &smithy.GenericAPIError{Code: "NoSuchKey", Message: "no object at the key (read back after a failed attempt)"}
			case err != nil && classify(ctx, err) != classNotFound:
				return err
			}
		}
		in.Body = bytes.NewReader(data)
		var err error
		out, err = s.client.PutObject(ctx, in, s.bodyOpts...)
		return err
	})
	if err == nil && found != nil {
		s.count(st, int64(len(data)))
		return *found, nil
	}
	if err != nil {
		c := classify(ctx, err)
		if ambiguous && (c == classPrecondition || c == classConflict) {
			// An earlier attempt may have been applied before its answer
			// was lost: the object is ours if it holds exactly our bytes.
			if info, ok := s.holds(ctx, key, int64(len(data)), sum); ok {
				s.count(st, int64(len(data)))
				return info, nil
			}
		}
		return ObjectInfo{}, mapErr(ctx, "put", key, err)
	}
	s.count(st, int64(len(data)))
	return ObjectInfo{Key: key, Size: int64(len(data)), ETag: aws.ToString(out.ETag)}, nil
}

// count records one object of n bytes put in one request.
func (s *S3) count(st *counters, n int64) {
	st.bytes.Add(n)
	st.objects.Add(1)
	if st != &s.stats {
		s.stats.bytes.Add(n)
		s.stats.objects.Add(1)
	}
}

// holds reports whether the object at key has the given size and CRC32C
// (a plain or a composite "<crc>-<parts>" checksum).
func (s *S3) holds(ctx context.Context, key string, size int64, sum string) (ObjectInfo, bool) {
	info, ours, err := s.inspect(ctx, key, size, sum)
	return info, err == nil && ours
}

// inspect reads the object at key: its description, and whether it has the
// given size and CRC32C. A missing object is an error of class NotFound.
func (s *S3) inspect(ctx context.Context, key string, size int64, sum string) (ObjectInfo, bool, error) {
	var out *s3.HeadObjectOutput
	_, err := s.do(ctx, &s.stats, func(ctx context.Context) error {
		var err error
		out, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket:       aws.String(s.bucket),
			Key:          aws.String(s.objectKey(key)),
			ChecksumMode: types.ChecksumModeEnabled,
		})
		return err
	})
	if err != nil {
		return ObjectInfo{}, false, err
	}
	info := ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag), ModTime: aws.ToTime(out.LastModified)}
	return info, info.Size == size && aws.ToString(out.ChecksumCRC32C) == sum, nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) ([]byte, ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, ObjectInfo{}, err
	}
	var data []byte
	var info ObjectInfo
	_, err := s.do(ctx, &s.stats, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		buf := bytes.NewBuffer(make([]byte, 0, max(aws.ToInt64(out.ContentLength), 0)))
		if _, err := io.Copy(buf, out.Body); err != nil {
			return err
		}
		data = buf.Bytes()
		info = ObjectInfo{Key: key, Size: int64(len(data)), ETag: aws.ToString(out.ETag), ModTime: aws.ToTime(out.LastModified)}
		return nil
	})
	if err != nil {
		return nil, ObjectInfo{}, mapErr(ctx, "get", key, err)
	}
	return data, info, nil
}

// GetRange implements Store.
func (s *S3) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := checkRange(key, off, length); err != nil {
		return nil, err
	}
	if length == 0 {
		if _, err := s.Head(ctx, key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	// The last byte asked for; a length running past the largest offset
	// asks for everything from off on.
	rng := fmt.Sprintf("bytes=%d-", off)
	if length <= math.MaxInt64-off {
		rng = fmt.Sprintf("bytes=%d-%d", off, off+length-1)
	}
	var data []byte
	_, err := s.do(ctx, &s.stats, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(s.bucket),
			Key:    aws.String(s.objectKey(key)),
			Range:  aws.String(rng),
		})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		body, err := io.ReadAll(out.Body)
		if err != nil {
			return err
		}
		data, err = rangeOf(key, off, length, aws.ToString(out.ContentRange), body)
		return err
	})
	if err != nil {
		if statusOf(err) == http.StatusRequestedRangeNotSatisfiable || codeOf(err) == "InvalidRange" {
			return []byte{}, nil // the object exists and is shorter than off
		}
		return nil, mapErr(ctx, "get", key, err)
	}
	return data, nil
}

// Head implements Store.
func (s *S3) Head(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	var out *s3.HeadObjectOutput
	_, err := s.do(ctx, &s.stats, func(ctx context.Context) error {
		var err error
		out, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
		return err
	})
	if err != nil {
		return ObjectInfo{}, mapErr(ctx, "head", key, err)
	}
	return ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag), ModTime: aws.ToTime(out.LastModified)}, nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	var out []ObjectInfo
	var token *string
	for {
		var page *s3.ListObjectsV2Output
		_, err := s.do(ctx, &s.stats, func(ctx context.Context) error {
			var err error
			page, err = s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
				Bucket:            aws.String(s.bucket),
				Prefix:            aws.String(s.prefix + prefix),
				ContinuationToken: token,
			})
			return err
		})
		if err != nil {
			return nil, mapErr(ctx, "list", prefix, err)
		}
		for _, o := range page.Contents {
			k := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if strings.HasSuffix(k, "/") {
				continue // a directory marker, not an object
			}
			out = append(out, ObjectInfo{Key: k, Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag), ModTime: aws.ToTime(o.LastModified)})
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			break
		}
		token = page.NextContinuationToken
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	_, err := s.do(ctx, &s.stats, func(ctx context.Context) error {
		_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
		return err
	})
	if err != nil && classify(ctx, err) != classNotFound {
		return mapErr(ctx, "delete", key, err)
	}
	return nil
}

// Stats are the counters of the S3 store and of one multipart write.
type Stats struct {
	Bytes   int64 // bytes acknowledged by the service (parts and single puts)
	Parts   int64 // parts uploaded
	Objects int64 // objects completed
	Retries int64 // requests retried
	Aborts  int64 // multipart uploads aborted
	// InFlight is the number of part uploads running now; PeakInFlight its
	// high-water mark.
	InFlight, PeakInFlight int64
	// PeakBuffers is the most part buffers held at once by one write (the
	// one being filled plus those uploading); PeakBufferBytes their bytes.
	PeakBuffers, PeakBufferBytes int64
}

type counters struct {
	bytes, parts, objects, retries, aborts atomic.Int64
	inFlight, peakInFlight                 atomic.Int64
	peakBuffers, peakBufferBytes           atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Bytes: c.bytes.Load(), Parts: c.parts.Load(), Objects: c.objects.Load(),
		Retries: c.retries.Load(), Aborts: c.aborts.Load(),
		InFlight: c.inFlight.Load(), PeakInFlight: c.peakInFlight.Load(),
		PeakBuffers: c.peakBuffers.Load(), PeakBufferBytes: c.peakBufferBytes.Load(),
	}
}

func raise(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// rangeOf checks the answer to a ranged GET for [off, off+length) and
// returns the bytes asked for. A server that honoured the range says so in
// Content-Range ("bytes first-last/size"); one that ignored it sends the
// whole object without Content-Range, and the range is cut out of it. Any
// other answer is an error rather than wrong bytes.
func rangeOf(key string, off, length int64, contentRange string, body []byte) ([]byte, error) {
	if contentRange == "" {
		// The whole object.
		if off >= int64(len(body)) {
			return []byte{}, nil
		}
		end := int64(len(body))
		if length < end-off {
			end = off + length
		}
		return body[off:end], nil
	}
	var first, last, size int64
	var sizeText string
	if _, err := fmt.Sscanf(contentRange, "bytes %d-%d/%s", &first, &last, &sizeText); err != nil {
		return nil, fmt.Errorf("upload: get %q: unreadable Content-Range %q in a ranged answer", key, contentRange)
	}
	want := int64(len(body))
	if length < want {
		want = length
	}
	if sizeText != "*" {
		var err error
		if size, err = strconv.ParseInt(sizeText, 10, 64); err != nil || size < 0 {
			return nil, fmt.Errorf("upload: get %q: unreadable Content-Range %q in a ranged answer", key, contentRange)
		}
		if size-off < want {
			want = max(size-off, 0)
		}
	}
	if first != off || last-first+1 != int64(len(body)) || int64(len(body)) != want {
		return nil, fmt.Errorf("upload: get %q: asked for %d bytes from %d, the answer holds %d bytes (Content-Range %q)", key, length, off, len(body), contentRange)
	}
	return body, nil
}
