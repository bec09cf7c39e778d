package server

import "sync"

// Request bodies are read into buffers that are used again once nothing
// refers to them: a batch's entries alias its body (cdc decodes in
// place), so a body whose entries went into a table's buffer is held by
// the table until the flush that drained them has committed (see
// table.bodies); a body whose batch was refused, or held only duplicates,
// is free when its request is answered. Reusing them spares the
// allocation and clearing of every body and most of the garbage the
// collector would otherwise chase at ingest rates.

// maxPooledBody is the largest body kept for reuse; larger ones (rare:
// batches are usually well under a megabyte) are left to the collector.
const maxPooledBody = 8 << 20

var bodyPool sync.Pool // of *[]byte

// getBody returns a buffer of n bytes whose contents are undefined.
func getBody(n int) []byte {
	if p, ok := bodyPool.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]byte, n)
}

// putBody hands b, which nothing refers to any more, back for reuse.
func putBody(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledBody {
		return
	}
	b = b[:0]
	bodyPool.Put(&b)
}
