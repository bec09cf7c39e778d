// Package upload holds the object stores the writer puts blocks and log
// entries into, and the pipelined multipart uploader that streams large
// blocks to S3-compatible storage.
//
// # Stores
//
// A [Store] is a flat namespace of keys ("data/blk_1.parquet") holding
// immutable byte strings. Three implementations are provided:
//
//   - [Local], a directory on the local file system, the default. Every
//     write goes to a temporary file in the target directory, is fsynced,
//     and is renamed (or, for put-if-absent, linked) into place; the
//     directory is fsynced after. Put-if-absent is atomic across processes
//     on one machine.
//   - [Memory], a goroutine-safe map, for tests and examples.
//   - [S3], any S3-compatible service through aws-sdk-go-v2: AWS S3,
//     Cloudflare R2, versitygw, MinIO. Large objects go up through the
//     multipart uploader in this package.
//
// [Open] builds a store from a URI: file:///path, s3://bucket/prefix or
// mem://name.
//
// # Conditional writes
//
// [PutOptions.IfAbsent] writes only when no object exists at the key
// (S3 If-None-Match: *); [PutOptions.IfMatch] writes only when the current
// object has the given ETag (compare-and-swap). When the condition does not
// hold the error satisfies errors.Is(err, [ErrPreconditionFailed]). An
// S3 409 ConditionalRequestConflict (a concurrent write to the same key was
// in progress; R2 and AWS answer it) is reported the same way and also
// satisfies errors.Is(err, [ErrConflict]): in both cases the caller re-reads
// the key and decides again. IfMatch on a missing key fails with
// [ErrNotFound].
//
// A conditional write whose response was lost may have been applied. The
// S3 store reads the key back before retrying it: if the object holds
// exactly the bytes that were sent (size and CRC32C) the write is reported
// as successful; if the condition no longer holds, the write fails with
// ErrPreconditionFailed without sending the body again. A multipart write
// whose CompleteMultipartUpload answer was lost (the retry meets 404
// NoSuchUpload) is settled the same way, against the composite CRC32C of
// its parts. A streamed write that fails its condition (or meets a 409) is
// aborted: to try again, stream the object again.
//
// # Multipart uploads
//
// [S3.CreateMultipart] streams an object in parts of one fixed size (the
// last may be shorter), at least 5 MiB and large enough for the expected
// size to fit in 10,000 parts, with N parts uploading while the next fills;
// memory stays within part size × (N + 1). Every part carries its CRC32C,
// is retried with exponential backoff and jitter on 5xx, throttling and
// broken connections, and a failure retries cannot cure aborts the upload,
// so no parts are left behind. Objects of at most one part go up in one
// PutObject. [Stats] count bytes, parts, retries, aborts and parts in
// flight; [MultipartOptions.OnProgress] reports progress.
//
// # Cloudflare R2
//
// R2 is reached with the S3 store: endpoint
// https://<account id>.r2.cloudflarestorage.com, region "auto", and an R2
// API token's access key id and secret as credentials:
//
//	s, err := upload.NewS3(ctx, upload.S3Options{
//		Bucket:   "tables",
//		Endpoint: "https://" + accountID + ".r2.cloudflarestorage.com",
//		Region:   "auto",
//	})
//
// or, with AWS_ENDPOINT_URL_S3 and AWS_REGION=auto in the environment,
// upload.Open(ctx, "s3://tables/prefix"). R2 requires every multipart part
// but the last to have the same size; the uploader always does that.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors reported by every Store. Match them with errors.Is.
var (
	// ErrNotFound: no object at the key.
	ErrNotFound = errors.New("upload: object not found")
	// ErrPreconditionFailed: a conditional write (IfAbsent, IfMatch) did not
	// hold; nothing was written.
	ErrPreconditionFailed = errors.New("upload: precondition failed")
	// ErrConflict: the service reported a concurrent conditional write to the
	// same key (S3 409 ConditionalRequestConflict). Errors matching it also
	// match ErrPreconditionFailed.
	ErrConflict = errors.New("upload: conflicting concurrent write")
	// ErrClosed: the writer was already closed or aborted.
	ErrClosed = errors.New("upload: writer closed")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ETag    string // opaque; pass it to PutOptions.IfMatch
	ModTime time.Time
}

// PutOptions are the conditions and hints of a write. The zero value is an
// unconditional write.
type PutOptions struct {
	// IfAbsent writes only if no object exists at the key.
	IfAbsent bool
	// IfMatch writes only if the object at the key has this ETag.
	IfMatch string
	// SizeHint is the expected size of a streamed object (0: unknown). The
	// multipart uploader chooses its part size from it.
	SizeHint int64
}

func (o PutOptions) check(key string) error {
	if o.IfAbsent && o.IfMatch != "" {
		return fmt.Errorf("upload: put %q: IfAbsent and IfMatch cannot be combined", key)
	}
	if o.SizeHint < 0 {
		return fmt.Errorf("upload: put %q: negative SizeHint %d", key, o.SizeHint)
	}
	return nil
}

// Store is an object store.
type Store interface {
	// Put writes data at key in one request.
	Put(ctx context.Context, key string, data []byte, opts PutOptions) (ObjectInfo, error)
	// Create starts a streamed write at key. Nothing is visible before a
	// successful Close; Abort (or a cancelled ctx) discards everything.
	Create(ctx context.Context, key string, opts PutOptions) (Writer, error)
	// Get reads the whole object.
	Get(ctx context.Context, key string) ([]byte, ObjectInfo, error)
	// GetRange reads length bytes from offset off. A range running past the
	// end of the object is cut short; one starting at or after the end
	// returns no bytes.
	GetRange(ctx context.Context, key string, off, length int64) ([]byte, error)
	// Head describes the object without reading it.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Writer is a streamed write in progress.
type Writer interface {
	io.Writer
	// Close makes the object visible with all bytes written, under the
	// write's conditions. After a failed Close nothing is visible.
	Close() error
	// Abort discards the write. It is safe after Close (then it does
	// nothing) and may be called more than once.
	Abort() error
	// Info describes the object written; valid after a successful Close.
	Info() ObjectInfo
}

// KeyError reports an invalid key.
type KeyError struct {
	Key    string
	Reason string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("upload: invalid key %q: %s", e.Key, e.Reason)
}

// reservedPrefix starts the names of the local store's temporary and lock
// files; no key segment may start with it.
const reservedPrefix = ".upload-"

// ValidateKey reports whether key is a valid object key: non-empty, at most
// 1024 bytes, slash-separated segments that are neither empty, "." nor "..",
// no leading slash, no backslash or NUL, and no segment starting with
// ".upload-" (reserved for the local store's temporary files).
func ValidateKey(key string) error {
	switch {
	case key == "":
		return &KeyError{key, "empty"}
	case len(key) > 1024:
		return &KeyError{key, fmt.Sprintf("%d bytes long, the limit is 1024", len(key))}
	case strings.HasPrefix(key, "/"):
		return &KeyError{key, "absolute (starts with /)"}
	case strings.ContainsAny(key, "\\\x00"):
		return &KeyError{key, "contains a backslash or NUL byte"}
	}
	for i, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return &KeyError{key, fmt.Sprintf("segment %d is empty", i+1)}
		case seg == "." || seg == "..":
			return &KeyError{key, fmt.Sprintf("segment %d is %q", i+1, seg)}
		case strings.HasPrefix(seg, reservedPrefix):
			return &KeyError{key, fmt.Sprintf("segment %d starts with the reserved %q", i+1, reservedPrefix)}
		}
	}
	return nil
}

// validatePrefix accepts "" and any prefix of a valid key.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(prefix + "x"); err != nil {
		return &KeyError{prefix, "invalid list prefix: " + err.(*KeyError).Reason}
	}
	return nil
}

func checkRange(key string, off, length int64) error {
	if off < 0 || length < 0 {
		return fmt.Errorf("upload: get range of %q: negative offset %d or length %d", key, off, length)
	}
	return nil
}

// clip returns data[off:off+length] cut to the object.
func clip(data []byte, off, length int64) []byte {
	n := int64(len(data))
	if off >= n {
		return []byte{}
	}
	end := n
	if length < n-off {
		end = off + length
	}
	return append([]byte(nil), data[off:end]...)
}

// opError wraps err with the operation and key.
func opError(op, key string, err error) error {
	return fmt.Errorf("upload: %s %q: %w", op, key, err)
}
