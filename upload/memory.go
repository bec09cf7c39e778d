package upload

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory is a Store held in memory, safe for concurrent use. Its ETags are
// generation numbers that change on every write. The zero value is not
// usable; call NewMemory.
type Memory struct {
	mu      sync.Mutex
	objects map[string]memObject
	gen     uint64
	now     func() time.Time
}

type memObject struct {
	data []byte
	info ObjectInfo
}

// NewMemory returns an empty memory store.
func NewMemory() *Memory {
	return NewMemoryClock(time.Now)
}

// NewMemoryClock returns an empty memory store whose objects' ModTime
// comes from now: the store's own clock, which tests set apart from the
// clock of the code using the store to model clock skew. A nil now is
// time.Now.
func NewMemoryClock(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{objects: make(map[string]memObject), now: now}
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, key string, data []byte, opts PutOptions) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	if err := opts.check(key); err != nil {
		return ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, opError("put", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, exists := m.objects[key]
	switch {
	case opts.IfAbsent && exists:
		return ObjectInfo{}, opError("put", key, ErrPreconditionFailed)
	case opts.IfMatch != "" && !exists:
		return ObjectInfo{}, opError("put", key, ErrNotFound)
	case opts.IfMatch != "" && cur.info.ETag != opts.IfMatch:
		return ObjectInfo{}, opError("put", key, ErrPreconditionFailed)
	}
	m.gen++
	info := ObjectInfo{Key: key, Size: int64(len(data)), ETag: `"m` + strconv.FormatUint(m.gen, 10) + `"`, ModTime: m.now()}
	m.objects[key] = memObject{data: bytes.Clone(data), info: info}
	return info, nil
}

// Create implements Store; the bytes are held until Close.
func (m *Memory) Create(ctx context.Context, key string, opts PutOptions) (Writer, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := opts.check(key); err != nil {
		return nil, err
	}
	return &bufferedWriter{ctx: ctx, key: key, opts: opts, put: m.Put}, nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, ObjectInfo, error) {
	o, err := m.lookup(ctx, "get", key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	return bytes.Clone(o.data), o.info, nil
}

// GetRange implements Store.
func (m *Memory) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if err := checkRange(key, off, length); err != nil {
		return nil, err
	}
	o, err := m.lookup(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	return clip(o.data, off, length), nil
}

// Head implements Store.
func (m *Memory) Head(ctx context.Context, key string) (ObjectInfo, error) {
	o, err := m.lookup(ctx, "head", key)
	return o.info, err
}

func (m *Memory) lookup(ctx context.Context, op, key string) (memObject, error) {
	if err := ValidateKey(key); err != nil {
		return memObject{}, err
	}
	if err := ctx.Err(); err != nil {
		return memObject{}, opError(op, key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return memObject{}, opError(op, key, ErrNotFound)
	}
	return o, nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("list", prefix, err)
	}
	m.mu.Lock()
	var out []ObjectInfo
	for k, o := range m.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, o.info)
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return opError("delete", key, err)
	}
	m.mu.Lock()
	delete(m.objects, key)
	m.mu.Unlock()
	return nil
}

// bufferedWriter collects a streamed object in memory and writes it with
// one put on Close.
type bufferedWriter struct {
	ctx  context.Context
	key  string
	opts PutOptions
	put  func(context.Context, string, []byte, PutOptions) (ObjectInfo, error)
	buf  bytes.Buffer
	done bool
	info ObjectInfo
}

func (w *bufferedWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, opError("write", w.key, ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		w.done = true
		return 0, opError("write", w.key, err)
	}
	return w.buf.Write(p)
}

func (w *bufferedWriter) Close() error {
	if w.done {
		return opError("close", w.key, ErrClosed)
	}
	w.done = true
	info, err := w.put(w.ctx, w.key, w.buf.Bytes(), w.opts)
	w.buf = bytes.Buffer{}
	if err != nil {
		return err
	}
	w.info = info
	return nil
}

func (w *bufferedWriter) Abort() error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}

func (w *bufferedWriter) Info() ObjectInfo { return w.info }
