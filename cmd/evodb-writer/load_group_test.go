package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
)

// readyChunk is a decoded chunk of size input bytes.
func readyChunk(size int64, entries int) *chunk {
	c := &chunk{data: make([]byte, size), entries: make([]cdc.Entry, entries), ready: make(chan struct{})}
	close(c.ready)
	return c
}

func TestGatherChunks(t *testing.T) {
	busy := &chunk{data: make([]byte, 300), entries: make([]cdc.Entry, 1), ready: make(chan struct{})} // still decoding
	bad := readyChunk(300, 0)
	bad.err = errors.New("corrupt batch")
	tests := []struct {
		name       string
		batchRows  int
		queued     []*chunk // after the first chunk, in order
		closeOrder bool
		wantGroup  int // chunks in the group
		wantNext   int // index in queued of the chunk handed back; -1: none
		wantClosed bool
	}{
		{"fills the commit", 0, []*chunk{readyChunk(300, 1), readyChunk(300, 1), readyChunk(300, 1)}, false, 3, -1, false},
		{"stops at a chunk still decoding", 0, []*chunk{readyChunk(300, 1), busy}, false, 2, 1, false},
		{"stops at a failed chunk", 0, []*chunk{bad}, false, 1, 0, false},
		{"nothing queued", 0, nil, false, 1, -1, false},
		{"end of input", 0, []*chunk{readyChunk(300, 1)}, true, 2, -1, true},
		{"fixed batches never gather", 10, []*chunk{readyChunk(300, 1)}, false, 1, -1, false},
		{"a large next chunk joins too", 0, []*chunk{readyChunk(900, 1)}, false, 2, -1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &loader{o: &loadOptions{batchRows: tc.batchRows}}
			l.chunkBytes.Store(1000)
			order := make(chan *chunk, len(tc.queued))
			for _, c := range tc.queued {
				order <- c
			}
			if tc.closeOrder {
				close(order)
			}
			group, next, closed := l.gather([]*chunk{readyChunk(300, 1)}, order)
			wantNext := (*chunk)(nil)
			if tc.wantNext >= 0 {
				wantNext = tc.queued[tc.wantNext]
			}
			if len(group) != tc.wantGroup || next != wantNext || closed != tc.wantClosed {
				t.Errorf("group of %d, next %p, closed %v; want %d, %p, %v", len(group), next, closed, tc.wantGroup, wantNext, tc.wantClosed)
			}
		})
	}
}

// TestFlushGroup: two chunks flushed as one commit; rejected rows are
// reported on their own chunk's lines.
func TestFlushGroup(t *testing.T) {
	ctx := context.Background()
	w, err := writer.Open(ctx, writer.Options{URI: "mem://load-group-test/t"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	o := &loadOptions{producer: "p", maxRejected: -1}
	l := &loader{e: e, w: w, o: o, lastLSN: map[string]int64{}, perCommit: 4}
	l.jsonOpts = cdc.JSONOptions{Producer: o.producer, MaxLineBytes: maxLineBytes, FrameData: true}
	l.bar = newProgress(e, "never", -1)
	l.setChunkBytes(initialRatio)
	in := &input{name: "in.jsonl", size: -1}
	mk := func(first int, lines ...string) *chunk {
		c := &chunk{in: in, data: []byte(strings.Join(lines, "\n") + "\n"), firstLine: first}
		l.decode(c)
		return c
	}
	a := mk(1, `{"id":1}`, `{"id":2,"id":3}`, `{"id":4}`)
	b := mk(4, `{"id":5}`, `{"id":6}`, `{"x":1,"x":2}`, `nope`)
	if err := l.flush(ctx, []*chunk{a, b}); err != nil {
		t.Fatal(err)
	}
	want := loadSummary{Entries: 6, Rows: 4, Rejected: 3, Blocks: 1, Version: 1}
	got := l.sum
	got.Bytes = 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, where := range []string{"in.jsonl:2:", "in.jsonl:6:", "in.jsonl:7:"} {
		if !strings.Contains(stderr.String(), where) {
			t.Errorf("stderr does not name %s:\n%s", where, stderr.String())
		}
	}
	if l.next != "in.jsonl line 8" {
		t.Errorf("next position %q, want in.jsonl line 8", l.next)
	}
	if lsn, _ := w.CommittedLSN("p"); lsn != 6 {
		t.Errorf("committed LSN %d, want 6 (one per entry of both chunks)", lsn)
	}
}
