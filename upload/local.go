package upload

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Local is a Store in a directory of the local file system. Keys map to
// files below the root ("data/blk_1" → root/data/blk_1); directories are
// created as needed.
//
// Every write goes to a temporary file (".upload-tmp-*") in the target
// directory, which is fsynced and then moved into place: renamed for plain
// and IfMatch writes, hard-linked for IfAbsent writes (link fails when the
// name exists, atomically, even against other processes). The directory is
// fsynced after. IfMatch writes hold an exclusive flock on root/.upload-lock
// between the check and the rename, and IfAbsent links and deletes take it
// too, so conditional writes are safe across processes that share the
// directory. (Plain writes replace without a check and do not lock.)
//
// ETags are unique per write: before it is moved into place, every
// temporary file gets a random 128-bit nonce in the extended attribute
// user.evodb.etag, and the ETag is "n-<nonce>". (Inode, mtime and size
// are not enough: a deleted file's inode is reused at once, mtimes can be
// coarse, and sizes repeat, so a stale IfMatch could succeed.) Where the
// file system keeps no user attributes, or for a file written by someone
// else, the ETag is "h-<SHA-256 of the content>": it still changes with
// every change of content, which is what a compare-and-swap needs, but an
// identical rewrite keeps it, and Head and List then read the whole file.
//
// A key cannot name both an object and a directory ("a" and "a/b"): the
// second write fails. Symbolic links placed inside the root by others are
// followed.
type Local struct {
	root string
	// syncDirFn replaces syncDir in tests.
	syncDirFn func(dir string) error
}

// mkdirAll creates dir and its missing parents and fsyncs the parent of
// each directory it created, so that a file later synced in dir does not
// vanish at a crash with a directory entry that was never synced.
func (l *Local) mkdirAll(dir string) error {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nil
	}
	var created []string
	for d := dir; ; {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			break // there (or unreadable: MkdirAll reports it)
		}
		created = append(created, d)
		parent := filepath.Dir(d)
		if d == l.root || parent == d {
			break
		}
		d = parent
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(created) - 1; i >= 0; i-- {
		if err := l.syncDir(filepath.Dir(created[i])); err != nil {
			return fmt.Errorf("fsync directory: %w", err)
		}
	}
	return nil
}

// syncDir fsyncs dir.
func (l *Local) syncDir(dir string) error {
	if l.syncDirFn != nil {
		return l.syncDirFn(dir)
	}
	return syncDir(dir)
}

// NewLocal returns a store rooted at dir, creating it if needed.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("upload: local store: empty directory path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("upload: local store %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("upload: local store %q: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("upload: local store %q: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("upload: local store %q: not a directory", dir)
	}
	return &Local{root: abs}, nil
}

// Root returns the store's directory.
func (l *Local) Root() string { return l.root }

func (l *Local) path(key string) string {
	return filepath.Join(l.root, filepath.FromSlash(key))
}

// etagAttr is the extended attribute that holds a file's write nonce.
const etagAttr = "user.evodb.etag"

// setNonce gives the open temporary file f a new random nonce and returns
// the ETag it makes, or "" when the file system keeps no attributes.
func setNonce(f *os.File) (string, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	text := []byte(hex.EncodeToString(nonce[:]))
	if err := setFileXattr(f, etagAttr, text); err != nil {
		if xattrUnsupported(err) {
			return "", nil
		}
		return "", fmt.Errorf("storing the ETag nonce: %w", err)
	}
	return `"n-` + string(text) + `"`, nil
}

// fileETag returns the ETag of the open file f of size bytes: its nonce,
// or else the hash of its content.
func fileETag(f *os.File, size int64) (string, error) {
	var buf [64]byte
	v, ok, err := fileXattr(f, etagAttr, buf[:])
	if err != nil {
		return "", fmt.Errorf("reading the ETag nonce: %w", err)
	}
	if ok && len(v) == 32 {
		if _, err := hex.DecodeString(string(v)); err == nil {
			return `"n-` + string(v) + `"`, nil
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return "", fmt.Errorf("hashing for the ETag: %w", err)
	}
	return `"h-` + hex.EncodeToString(h.Sum(nil)) + `"`, nil
}

func localInfo(key string, f *os.File, st os.FileInfo) (ObjectInfo, error) {
	etag, err := fileETag(f, st.Size())
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Key: key, Size: st.Size(), ETag: etag, ModTime: st.ModTime()}, nil
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, data []byte, opts PutOptions) (ObjectInfo, error) {
	w, err := l.create(ctx, key, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return ObjectInfo{}, err
	}
	if err := w.Close(); err != nil {
		return ObjectInfo{}, err
	}
	return w.info, nil
}

// Create implements Store: the bytes go straight to the temporary file.
func (l *Local) Create(ctx context.Context, key string, opts PutOptions) (Writer, error) {
	return l.create(ctx, key, opts)
}

func (l *Local) create(ctx context.Context, key string, opts PutOptions) (*localWriter, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := opts.check(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("put", key, err)
	}
	final := l.path(key)
	dir := filepath.Dir(final)
	if err := l.mkdirAll(dir); err != nil {
		return nil, opError("put", key, fmt.Errorf("creating directory: %w", err))
	}
	f, err := os.CreateTemp(dir, reservedPrefix+"tmp-*")
	if err != nil {
		return nil, opError("put", key, err)
	}
	return &localWriter{l: l, ctx: ctx, key: key, opts: opts, f: f, final: final}, nil
}

type localWriter struct {
	l     *Local
	ctx   context.Context
	key   string
	opts  PutOptions
	f     *os.File
	final string
	done  bool
	info  ObjectInfo
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, opError("write", w.key, ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return 0, opError("write", w.key, err)
	}
	n, err := w.f.Write(p)
	if err != nil {
		w.Abort()
		return n, opError("write", w.key, err)
	}
	return n, nil
}

func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	name := w.f.Name()
	w.f.Close()
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return opError("abort", w.key, err)
	}
	return nil
}

func (w *localWriter) Info() ObjectInfo { return w.info }

func (w *localWriter) Close() error {
	if w.done {
		return opError("close", w.key, ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return opError("put", w.key, err)
	}
	tmp := w.f.Name()
	etag, err := setNonce(w.f)
	if err != nil {
		w.Abort()
		return opError("put", w.key, err)
	}
	if err := w.f.Sync(); err != nil {
		w.Abort()
		return opError("put", w.key, fmt.Errorf("fsync: %w", err))
	}
	st, err := w.f.Stat()
	if err != nil {
		w.Abort()
		return opError("put", w.key, err)
	}
	if etag == "" {
		if etag, err = fileETag(w.f, st.Size()); err != nil {
			w.Abort()
			return opError("put", w.key, err)
		}
	}
	if err := w.f.Close(); err != nil {
		w.done = true
		os.Remove(tmp)
		return opError("put", w.key, err)
	}
	w.done = true
	defer os.Remove(tmp) // after a link the temporary name remains; after a rename it is gone
	if err := w.commit(tmp); err != nil {
		return err
	}
	if err := w.l.syncDir(filepath.Dir(w.final)); err != nil {
		return opError("put", w.key, fmt.Errorf("fsync directory: %w", err))
	}
	w.info = ObjectInfo{Key: w.key, Size: st.Size(), ETag: etag, ModTime: st.ModTime()}
	return nil
}

func (w *localWriter) commit(tmp string) error {
	switch {
	case w.opts.IfAbsent:
		// The link alone is atomic; the lock keeps it out of an IfMatch
		// write's window between its check and its rename.
		unlock, err := w.l.lock()
		if err != nil {
			return opError("put", w.key, err)
		}
		defer unlock()
		if err := os.Link(tmp, w.final); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return opError("put", w.key, ErrPreconditionFailed)
			}
			return opError("put", w.key, err)
		}
		return nil
	case w.opts.IfMatch != "":
		unlock, err := w.l.lock()
		if err != nil {
			return opError("put", w.key, err)
		}
		defer unlock()
		cur, err := w.l.etagOf(w.final)
		if errors.Is(err, fs.ErrNotExist) {
			return opError("put", w.key, ErrNotFound)
		}
		if err != nil {
			return opError("put", w.key, err)
		}
		if cur != w.opts.IfMatch {
			return opError("put", w.key, ErrPreconditionFailed)
		}
		if localHookChecked != nil {
			localHookChecked()
		}
		fallthrough
	default:
		if st, err := os.Stat(w.final); err == nil && st.IsDir() {
			return opError("put", w.key, errors.New("a directory of other objects has this name"))
		}
		if err := os.Rename(tmp, w.final); err != nil {
			return opError("put", w.key, err)
		}
		return nil
	}
}

// etagOf returns the ETag of the object file at p (fs.ErrNotExist when
// there is none).
func (l *Local) etagOf(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return "", fs.ErrNotExist
		}
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return "", fs.ErrNotExist
	}
	return fileETag(f, st.Size())
}

// Test hooks: after an IfMatch write's ETag check, and before waiting
// for the store's lock.
var localHookChecked, localHookLockWait func()

// lock takes the store's exclusive cross-process lock.
func (l *Local) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(l.root, reservedPrefix+"lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if localHookLockWait != nil {
		localHookLockWait()
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the store: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *Local) open(ctx context.Context, op, key string) (*os.File, os.FileInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, opError(op, key, err)
	}
	f, err := os.Open(l.path(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, opError(op, key, ErrNotFound)
		}
		return nil, nil, opError(op, key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, opError(op, key, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, nil, opError(op, key, ErrNotFound)
	}
	return f, st, nil
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string) ([]byte, ObjectInfo, error) {
	f, st, err := l.open(ctx, "get", key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	defer f.Close()
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, ObjectInfo{}, opError("get", key, err)
	}
	info, err := localInfo(key, f, st)
	if err != nil {
		return nil, ObjectInfo{}, opError("get", key, err)
	}
	return data, info, nil
}

// GetRange implements Store.
func (l *Local) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if err := checkRange(key, off, length); err != nil {
		return nil, err
	}
	f, st, err := l.open(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if off >= st.Size() {
		return []byte{}, nil
	}
	length = min(length, st.Size()-off)
	data := make([]byte, length)
	if _, err := f.ReadAt(data, off); err != nil && !(errors.Is(err, io.EOF) && len(data) == int(length)) {
		return nil, opError("get", key, err)
	}
	return data, nil
}

// Head implements Store.
func (l *Local) Head(ctx context.Context, key string) (ObjectInfo, error) {
	f, st, err := l.open(ctx, "head", key)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer f.Close()
	info, err := localInfo(key, f, st)
	if err != nil {
		return ObjectInfo{}, opError("head", key, err)
	}
	return info, nil
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("list", prefix, err)
	}
	start := prefix
	if !strings.HasSuffix(start, "/") {
		start = path.Dir(start)
	}
	if start == "." {
		start = ""
	}
	var out []ObjectInfo
	err := filepath.WalkDir(filepath.Join(l.root, filepath.FromSlash(start)), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil
			}
			return err
		}
		if strings.HasPrefix(d.Name(), reservedPrefix) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while listing
		}
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		info, err := localInfo(key, f, st)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, opError("list", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return opError("delete", key, err)
	}
	p := l.path(key)
	// Under the lock: a delete must not fall between an IfMatch write's
	// check and its rename.
	unlock, err := l.lock()
	if err != nil {
		return opError("delete", key, err)
	}
	defer unlock()
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return nil // a directory is not an object
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		return opError("delete", key, err)
	}
	return syncDir(filepath.Dir(p))
}
