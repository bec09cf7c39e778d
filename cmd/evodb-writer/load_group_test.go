package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/upload"
)

// TestCommitOfChunks: two chunks written as one commit (a chunk is one
// block's input); rejected rows are reported on their own chunk's lines,
// and the chunks go back to the pool.
func TestCommitOfChunks(t *testing.T) {
	ctx := context.Background()
	w, err := writer.Open(ctx, writer.Options{Store: upload.NewMemory(), BlockEncoders: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	o := &loadOptions{producer: "p", maxRejected: -1}
	l := &loader{e: e, w: w, o: o, lastLSN: map[string]int64{}, perCommit: 4, pool: make(chan *chunk, 2)}
	l.jsonOpts = cdc.JSONOptions{Producer: o.producer, MaxLineBytes: maxLineBytes, FrameData: true}
	l.bar = newProgress(e, "never", -1)
	l.setChunkBytes(initialRatio)
	in := &input{name: "in.jsonl", size: -1}
	mk := func(first int, lines ...string) *chunk {
		c := &chunk{in: in, data: []byte(strings.Join(lines, "\n") + "\n"), firstLine: first, lines: len(lines), ready: make(chan struct{})}
		l.decode(c)
		close(c.ready)
		return c
	}
	order := make(chan *chunk, 2)
	order <- mk(1, `{"id":1}`, `{"id":2,"id":3}`, `{"id":4}`)
	order <- mk(4, `{"id":5}`, `{"id":6}`, `{"x":1,"x":2}`, `nope`)
	close(order)
	src := &commitSource{l: l, order: order}
	if _, err := w.FlushBlocks(ctx, src); err != nil {
		t.Fatal(err)
	}
	if !src.end {
		t.Error("the source did not see the end of the input")
	}
	want := loadSummary{Entries: 6, Rows: 4, Rejected: 3, Blocks: 2, Version: 1}
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
	if i, j := strings.Index(stderr.String(), "in.jsonl:6:"), strings.Index(stderr.String(), "in.jsonl:7:"); i > j {
		t.Errorf("rejected lines out of order:\n%s", stderr.String())
	}
	if l.next != "in.jsonl line 8" {
		t.Errorf("next position %q, want in.jsonl line 8", l.next)
	}
	if lsn, _ := w.CommittedLSN("p"); lsn != 6 {
		t.Errorf("committed LSN %d, want 6 (one per entry of both chunks)", lsn)
	}
	if len(l.pool) != 2 {
		t.Errorf("%d chunks back in the pool, want 2", len(l.pool))
	}
}

// TestTailChunk: near the end of an input of known size the rest is
// shared evenly among the block writers instead of leaving one of them
// alone with a last full chunk.
func TestTailChunk(t *testing.T) {
	const want = 1000
	tests := []struct {
		name     string
		encoders int
		rest     int64
		got      int
	}{
		{"far from the end", 2, 5000, want},
		{"one chunk or less left", 2, 1000, want},
		{"between one and two chunks", 2, 1500, 750 + 46},
		{"exactly two chunks", 2, 2000, want},
		{"two and a bit", 2, 2001, want},
		{"one block writer", 1, 1500, want},
		{"three writers, between two and three chunks", 3, 2400, 800 + 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &loader{encoders: tc.encoders}
			if got := l.tailChunk(tc.rest, want); got != tc.got {
				t.Errorf("tailChunk(%d, %d) with %d writers = %d, want %d", tc.rest, want, tc.encoders, got, tc.got)
			}
		})
	}
}

// TestReportsInInputOrder: the rejected lines of a commit's chunks are
// reported when it is committed, in input order, even when a chunk was
// done before the one ahead of it (the writer settles such a batch
// early).
func TestReportsInInputOrder(t *testing.T) {
	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
	w, err := writer.Open(context.Background(), writer.Options{Store: upload.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background())
	l := &loader{e: e, w: w, o: &loadOptions{producer: "p", maxRejected: -1}, lastLSN: map[string]int64{}, perCommit: 4, pool: make(chan *chunk, 2)}
	l.jsonOpts = cdc.JSONOptions{Producer: "p", MaxLineBytes: maxLineBytes, FrameData: true}
	l.bar = newProgress(e, "never", -1)
	in := &input{name: "in.jsonl", size: -1}
	mk := func(first int, lines ...string) *chunk {
		c := &chunk{in: in, data: []byte(strings.Join(lines, "\n") + "\n"), firstLine: first, lines: len(lines), ready: make(chan struct{})}
		l.decode(c)
		close(c.ready)
		return c
	}
	order := make(chan *chunk, 2)
	order <- mk(1, `{"id":1}`, `nope`)
	order <- mk(3, `also bad`, `{"id":2}`)
	close(order)
	src := &commitSource{l: l, order: order}
	for range 2 {
		if _, err := src.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	src.Done(1, nil)
	src.Done(0, nil)
	if stderr.Len() != 0 {
		t.Fatalf("rejected lines reported before their commit:\n%s", stderr.String())
	}
	src.Committed(writer.FlushResult{Version: 1}, 2)
	got := stderr.String()
	if i, j := strings.Index(got, "in.jsonl:2:"), strings.Index(got, "in.jsonl:3:"); i < 0 || j < 0 || i > j {
		t.Errorf("rejected lines not reported in input order:\n%s", got)
	}
	if l.sum.Rejected != 2 || len(l.pool) != 2 {
		t.Errorf("%d rejected, %d chunks back in the pool; want 2 and 2", l.sum.Rejected, len(l.pool))
	}
}
