package uploadtest

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Fault is one kind of failure the Transport injects.
type Fault int

const (
	NoFault         Fault = iota
	Status500             // 500 InternalError, the request never reaches the server
	Status503             // 503 SlowDown (throttling), the request never reaches the server
	Conflict409           // 409 ConditionalRequestConflict, not applied
	Precondition412       // 412 PreconditionFailed, not applied
	Reset                 // the connection is reset before the server sees the request
	SlowBody              // the response body arrives in small pieces
	LostResponse          // the server applies the request, then the connection is reset
)

var faultNames = [...]string{"none", "500", "503", "409", "412", "reset", "slow-body", "lost-response"}

func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// Op names an S3 operation as seen on the wire.
type Op string

const (
	AnyOp          Op = ""
	OpPutObject    Op = "PutObject"
	OpCreateUpload Op = "CreateMultipartUpload"
	OpUploadPart   Op = "UploadPart"
	OpComplete     Op = "CompleteMultipartUpload"
	OpAbort        Op = "AbortMultipartUpload"
	OpListUploads  Op = "ListMultipartUploads"
	OpGetObject    Op = "GetObject"
	OpHeadObject   Op = "HeadObject"
	OpListObjects  Op = "ListObjectsV2"
	OpDeleteObject Op = "DeleteObject"
	OpOther        Op = "Other"
)

// Rule injects Fault into requests of one operation.
type Rule struct {
	Op    Op    // AnyOp: every operation
	Part  int   // UploadPart: only this part number (0: any)
	Fault Fault //
	// Skip lets the first Skip matching requests through; then Times
	// requests get the fault (0: all of them). Counting is per part
	// number, so it does not depend on how concurrent parts interleave.
	Skip, Times int
	// Rate, when above 0, replaces Skip/Times: each matching request gets
	// the fault with this probability, decided by a hash of the
	// transport's seed, the operation, the object path, the part number
	// and the attempt, so runs repeat exactly however requests interleave.
	Rate float64
}

// Transport is an http.RoundTripper that injects faults into S3 requests
// and enforces R2's rule that every part of a multipart upload but the
// last has the same size (and the last is no larger): Complete otherwise
// fails with 400 InvalidPart, as on R2.
type Transport struct {
	Base  http.RoundTripper // nil: http.DefaultTransport
	Seed  uint64
	Rules []Rule
	// SlowChunk is the largest piece a SlowBody response yields per Read
	// [512]; SlowDelay the pause before each piece [0].
	SlowChunk int
	SlowDelay time.Duration

	mu       sync.Mutex
	counts   map[string]int           // rule index + part → matches seen
	attempts map[string]int           // op + key + part → requests seen
	parts    map[string]map[int]int64 // upload id → part number → size
	injected map[Fault]int
	ops      map[Op]int
}

// SetRules replaces the rules and restarts their counts; safe while
// requests are running.
func (t *Transport) SetRules(rules ...Rule) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Rules = rules
	t.counts = make(map[string]int)
	t.attempts = make(map[string]int)
}

// Injected returns how many times each fault was injected.
func (t *Transport) Injected() map[Fault]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[Fault]int, len(t.injected))
	for k, v := range t.injected {
		out[k] = v
	}
	return out
}

// Requests returns how many requests of each operation passed through.
func (t *Transport) Requests() map[Op]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[Op]int, len(t.ops))
	for k, v := range t.ops {
		out[k] = v
	}
	return out
}

// Client returns an http.Client using t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// OpOf classifies an S3 request.
func OpOf(r *http.Request) Op {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPut:
		if q.Has("partNumber") && q.Has("uploadId") {
			return OpUploadPart
		}
		if len(q) == 0 || (len(q) == 1 && q.Has("x-id")) {
			return OpPutObject
		}
	case http.MethodPost:
		if q.Has("uploads") {
			return OpCreateUpload
		}
		if q.Has("uploadId") {
			return OpComplete
		}
	case http.MethodDelete:
		if q.Has("uploadId") {
			return OpAbort
		}
		return OpDeleteObject
	case http.MethodGet:
		if q.Has("uploads") {
			return OpListUploads
		}
		if q.Get("list-type") == "2" {
			return OpListObjects
		}
		return OpGetObject
	case http.MethodHead:
		return OpHeadObject
	}
	return OpOther
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// objectKey returns the object key of a path-style request path
// (/bucket/key), without the bucket: the tests' buckets have random
// names, and which requests get a fault must not depend on them.
func objectKey(path string) string {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return ""
}

// choose returns the fault for this request, counting it.
func (t *Transport) choose(op Op, key string, part int) Fault {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = make(map[string]int)
		t.attempts = make(map[string]int)
	}
	if t.injected == nil {
		t.injected = make(map[Fault]int)
		t.ops = make(map[Op]int)
	}
	t.ops[op]++
	akey := fmt.Sprintf("%s %s %d", op, key, part)
	attempt := t.attempts[akey]
	t.attempts[akey]++
	for i, r := range t.Rules {
		if r.Op != AnyOp && r.Op != op || r.Part != 0 && r.Part != part {
			continue
		}
		var hit bool
		if r.Rate > 0 {
			h := fnv.New64a()
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], t.Seed)
			h.Write(b[:])
			fmt.Fprintf(h, "%d %s %s %d %d", i, op, key, part, attempt)
			hit = float64(mix(h.Sum64())>>11)/(1<<53) < r.Rate
		} else {
			ckey := fmt.Sprintf("%d %d", i, part)
			n := t.counts[ckey]
			t.counts[ckey]++
			hit = n >= r.Skip && (r.Times == 0 || n < r.Skip+r.Times)
		}
		if hit {
			t.injected[r.Fault]++
			return r.Fault
		}
	}
	return NoFault
}

// mix is the splitmix64 finalizer: it spreads FNV's poorly mixed high bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func resetError() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

func errorResponse(r *http.Request, status int, code, msg string) *http.Response {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message><RequestId>injected</RequestId></Error>`, code, msg)
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/xml"}, "X-Amz-Request-Id": {"injected"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := OpOf(r)
	q := r.URL.Query()
	part, _ := strconv.Atoi(q.Get("partNumber"))
	uploadID := q.Get("uploadId")
	fault := t.choose(op, objectKey(r.URL.Path), part)

	drop := func() {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
	}
	switch fault {
	case Status500:
		drop()
		return errorResponse(r, 500, "InternalError", "injected internal error"), nil
	case Status503:
		drop()
		return errorResponse(r, 503, "SlowDown", "injected throttling"), nil
	case Conflict409:
		drop()
		return errorResponse(r, 409, "ConditionalRequestConflict", "injected conflicting conditional operation"), nil
	case Precondition412:
		drop()
		return errorResponse(r, 412, "PreconditionFailed", "injected failed precondition"), nil
	case Reset:
		drop()
		return nil, resetError()
	}

	if op == OpComplete {
		if resp, err := t.checkParts(r, uploadID); resp != nil || err != nil {
			return resp, err
		}
	}
	if fault == SlowBody && r.Body != nil {
		r.Body = &slowBody{rc: r.Body, chunk: t.slowChunk(), delay: t.SlowDelay}
	}
	resp, err := t.base().RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if op == OpUploadPart && resp.StatusCode/100 == 2 {
		t.mu.Lock()
		if t.parts == nil {
			t.parts = make(map[string]map[int]int64)
		}
		if t.parts[uploadID] == nil {
			t.parts[uploadID] = make(map[int]int64)
		}
		t.parts[uploadID][part] = r.ContentLength
		t.mu.Unlock()
	}
	switch fault {
	case LostResponse:
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, resetError()
	case SlowBody:
		resp.Body = &slowBody{rc: resp.Body, chunk: t.slowChunk(), delay: t.SlowDelay}
	}
	return resp, nil
}

type completeBody struct {
	Parts []struct {
		PartNumber int
	} `xml:"Part"`
}

// checkParts applies R2's equal-part-size rule to a Complete request; it
// returns a response when the request must fail.
func (t *Transport) checkParts(r *http.Request, uploadID string) (*http.Response, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var cb completeBody
	if err := xml.Unmarshal(body, &cb); err != nil {
		return nil, nil // let the server judge it
	}
	t.mu.Lock()
	sizes := t.parts[uploadID]
	t.mu.Unlock()
	for i, p := range cb.Parts {
		size, ok := sizes[p.PartNumber]
		if !ok {
			continue // the server reports unknown parts itself
		}
		first := sizes[cb.Parts[0].PartNumber]
		last := i == len(cb.Parts)-1
		if (!last && size != first) || (last && size > first) {
			return errorResponse(r, 400, "InvalidPart", "All non-trailing parts must have the same length."), nil
		}
	}
	return nil, nil
}

func (t *Transport) slowChunk() int {
	if t.SlowChunk <= 0 {
		return 512
	}
	return t.SlowChunk
}

// slowBody yields its bytes in small pieces (request and response bodies).
type slowBody struct {
	rc    io.ReadCloser
	chunk int
	delay time.Duration
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if len(p) > s.chunk {
		p = p[:s.chunk]
	}
	return s.rc.Read(p)
}

func (s *slowBody) Close() error { return s.rc.Close() }
