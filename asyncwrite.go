package writer

import (
	"context"
	"sync"

	"github.com/evodb/writer/upload"
)

// asyncBlocksKey marks the context of a streamed flush's block writers:
// their blocks go to the store through an asyncWriter, created with the
// context it holds (the caller's of FlushBlocks: a block outlives the
// round that wrote it, and a failure that stops the block writers must not
// stop the blocks of the commits before it from being stored).
type asyncBlocksKey struct{}

// withAsyncBlocks marks ctx: blocks are created with store.
func withAsyncBlocks(ctx, store context.Context) context.Context {
	return context.WithValue(ctx, asyncBlocksKey{}, store)
}

// asyncBlocks returns the context to create a block's store writer with,
// and whether the block is to be written asynchronously.
func asyncBlocks(ctx context.Context) (context.Context, bool) {
	sc, ok := ctx.Value(asyncBlocksKey{}).(context.Context)
	if !ok {
		return ctx, false
	}
	return sc, true
}

const (
	asyncChunk   = 1 << 20 // bytes handed to the store's writer at once
	asyncBuffers = 4       // chunks in flight per block, at most
)

// asyncWriter passes a block's bytes to the store's writer on its own
// goroutine, a megabyte at a time, so that a block writer whose file write
// or fsync stalls (a busy disk) goes on shredding and encoding meanwhile.
// Close hands the store's Close over too and returns at once; wait
// reports how it went: the streamed flush waits for its blocks before it
// commits them, and before it deletes one. Write reports an error of the
// store's writer on a later call, or at wait. One goroutine writes at a
// time, as for any upload.Writer.
type asyncWriter struct {
	w    upload.Writer
	buf  []byte
	reqs chan asyncReq
	free chan []byte
	done chan struct{}

	mu  sync.Mutex
	err error // the store writer's first error

	closing bool // Close or Abort was called
}

type asyncReq struct {
	data         []byte
	close, abort bool
}

func newAsyncWriter(w upload.Writer) *asyncWriter {
	a := &asyncWriter{w: w, reqs: make(chan asyncReq, asyncBuffers+1), free: make(chan []byte, asyncBuffers), done: make(chan struct{})}
	for range asyncBuffers {
		a.free <- nil // allocated when first needed
	}
	go a.run()
	return a
}

// asyncPool keeps the chunk buffers of finished asyncWriters for the
// next blocks' (no new megabytes for every block).
var asyncPool sync.Pool

func (a *asyncWriter) run() {
	defer close(a.done)
	defer func() {
		for range asyncBuffers {
			select {
			case b := <-a.free:
				if b != nil {
					asyncPool.Put(&b)
				}
			default:
				return
			}
		}
	}()
	for r := range a.reqs {
		switch {
		case r.abort:
			a.w.Abort()
			a.fail(upload.ErrClosed)
			return
		case r.close:
			if a.failed() == nil {
				if err := a.w.Close(); err != nil {
					a.fail(err)
				}
			} else {
				a.w.Abort()
			}
			return
		default:
			if a.failed() == nil {
				if _, err := a.w.Write(r.data); err != nil {
					a.fail(err)
				}
			}
			a.free <- r.data[:0]
		}
	}
}

func (a *asyncWriter) fail(err error) {
	a.mu.Lock()
	if a.err == nil {
		a.err = err
	}
	a.mu.Unlock()
}

func (a *asyncWriter) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Write implements io.Writer: p is copied and written later.
func (a *asyncWriter) Write(p []byte) (int, error) {
	if a.closing {
		return 0, upload.ErrClosed
	}
	if err := a.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if a.buf == nil {
			a.buf = <-a.free
			if a.buf == nil {
				if b, ok := asyncPool.Get().(*[]byte); ok {
					a.buf = (*b)[:0]
				} else {
					a.buf = make([]byte, 0, asyncChunk)
				}
			}
		}
		k := min(len(p), asyncChunk-len(a.buf))
		a.buf = append(a.buf, p[:k]...)
		p = p[k:]
		if len(a.buf) == asyncChunk {
			a.reqs <- asyncReq{data: a.buf}
			a.buf = nil
		}
	}
	return n, nil
}

// Close hands the rest of the bytes and the store's Close to the
// goroutine and returns: wait tells whether the block is stored.
func (a *asyncWriter) Close() error {
	if a.closing {
		return upload.ErrClosed
	}
	a.closing = true
	if len(a.buf) > 0 {
		a.reqs <- asyncReq{data: a.buf}
		a.buf = nil
	}
	a.reqs <- asyncReq{close: true}
	return nil
}

// Abort discards the write and waits for the goroutine to end; after
// Close it only waits.
func (a *asyncWriter) Abort() error {
	if !a.closing {
		a.closing = true
		a.reqs <- asyncReq{abort: true}
	}
	<-a.done
	return nil
}

// wait waits for the store's Close (or Abort) and returns its error.
func (a *asyncWriter) wait() error {
	<-a.done
	return a.failed()
}

// Info implements upload.Writer; valid after wait returned nil.
func (a *asyncWriter) Info() upload.ObjectInfo { return a.w.Info() }
