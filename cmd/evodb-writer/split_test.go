package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/evodb/writer/cdc"
	"github.com/google/go-cmp/cmp"
)

type atomicInt = atomic.Int64

type cut struct {
	Text      string
	FirstLine int
	Skipped   []tooLong
}

// chunkAll runs a lineChunker over input with chunks of size bytes.
func chunkAll(t *testing.T, r io.Reader, size, maxLine, maxLines int) []cut {
	t.Helper()
	c := &lineChunker{r: r, maxLine: maxLine, maxChunk: 1 << 20}
	var out []cut
	buf := make([]byte, 0, size)
	for range 1000 {
		chunk, first, skipped, err := c.next(buf, maxLines)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cut{string(chunk), first, skipped})
		buf = chunk[:0]
	}
	t.Fatal("the chunker does not end")
	return nil
}

func TestLineChunker(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		size     int
		maxLine  int
		maxLines int
		want     []cut
	}{
		{"whole lines per chunk", "aa\nbb\ncc\n", 7, 100, 0,
			[]cut{{"aa\nbb\n", 1, nil}, {"cc\n", 3, nil}}},
		{"last line without newline", "aa\nbb", 100, 100, 0,
			[]cut{{"aa\nbb", 1, nil}}},
		{"line longer than the chunk grows it", "aaaaaaaaaa\nb\n", 4, 100, 0,
			[]cut{{"aaaaaaaaaa\nb\n", 1, nil}}},
		{"overlong line skipped and reported", "a\nxxxxxxxxxxxxxxxxxxxx\nb\n", 8, 6, 0,
			[]cut{{"a\n", 1, nil}, {"b\n", 3, []tooLong{{line: 2, offset: 2, length: 20}}}}},
		{"overlong last line", "a\nxxxxxxxxxxxxxxxxxxxx", 8, 6, 0,
			[]cut{{"a\n", 1, nil}, {"", 3, []tooLong{{line: 2, offset: 2, length: 20}}}}},
		{"lines per chunk", "1\n2\n3\n4\n5\n", 100, 100, 2,
			[]cut{{"1\n2\n", 1, nil}, {"3\n4\n", 3, nil}, {"5\n", 5, nil}}},
		{"lines per chunk beyond the buffer", "11\n22\n33\n44\n", 4, 100, 3,
			[]cut{{"11\n22\n33\n", 1, nil}, {"44\n", 4, nil}}},
		{"empty input", "", 8, 6, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.input), iotest.OneByteReader(strings.NewReader(tt.input))} {
				got := chunkAll(t, r, tt.size, tt.maxLine, tt.maxLines)
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(tooLong{})); diff != "" {
					t.Errorf("chunks (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestLineChunkerReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	c := &lineChunker{r: iotest.ErrReader(boom), maxLine: 10}
	if _, _, _, err := c.next(make([]byte, 0, 16), 0); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the reader's error", err)
	}
}

func TestBatchFramer(t *testing.T) {
	s := newSampleStream(3, "p", "orders", 1, sampleStart)
	var stream []byte
	var sizes []int
	var counts []int
	for _, n := range []int{1, 7, 40} {
		var es []cdc.Entry
		var data [][]byte
		for range n {
			e := s.next()
			data = append(data, bytes.Clone(e.Data))
			es = append(es, e)
		}
		for i := range es {
			es[i].Data = data[i]
		}
		before := len(stream)
		var err error
		if stream, err = cdc.AppendBinaryBatch(stream, es); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(stream)-before)
		counts = append(counts, n)
	}
	f := &batchFramer{r: bufio.NewReader(iotest.HalfReader(bytes.NewReader(stream)))}
	var dst []byte
	var at int64
	for i := range sizes {
		var n, entries int
		var off int64
		var err error
		dst, n, entries, off, err = f.next(dst)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if n != sizes[i] || entries != counts[i] || off != at {
			t.Errorf("batch %d: %d bytes, %d entries at %d; want %d, %d at %d", i, n, entries, off, sizes[i], counts[i], at)
		}
		got, err := cdc.DecodeBinaryBatch(nil, dst[len(dst)-n:], nil)
		if err != nil || len(got) != counts[i] {
			t.Errorf("batch %d decodes to %d entries, %v", i, len(got), err)
		}
		at += int64(n)
	}
	if _, _, _, _, err := f.next(dst); err != io.EOF {
		t.Errorf("after the last batch: %v, want io.EOF", err)
	}

	// Truncated and foreign input.
	for _, tc := range []struct {
		name  string
		input []byte
		want  string
	}{
		{"truncated", stream[:sizes[0]+5], "binary batch at byte " + itoa(sizes[0]) + ": unexpected EOF"},
		{"JSON", []byte(`{"op":"INSERT"}`), "not a binary batch"},
	} {
		f := &batchFramer{r: bufio.NewReader(bytes.NewReader(tc.input))}
		var err error
		for err == nil {
			_, _, _, _, err = f.next(nil)
		}
		if err == io.EOF || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func itoa(n int) string { return formatIntPlain(int64(n)) }

func formatIntPlain(n int64) string { return strings.ReplaceAll(formatInt(n), ",", "") }

func TestParseSizeAndDuration(t *testing.T) {
	sizes := []struct {
		in   string
		want int64
		err  bool
	}{
		{"1048576", 1 << 20, false}, {"64MiB", 64 << 20, false}, {"64MB", 64 << 20, false},
		{"512 KiB", 512 << 10, false}, {"2G", 2 << 30, false}, {"0", 0, true}, {"-1MiB", 0, true},
		{"lots", 0, true}, {"1.5MiB", 0, true},
	}
	for _, tt := range sizes {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	durations := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"168h", 168 * time.Hour, false}, {"7d", 168 * time.Hour, false}, {"30m", 30 * time.Minute, false},
		{"0d", 0, false}, {"d", 0, true}, {"-1d", 0, true}, {"1.5d", 0, true}, {"week", 0, true},
	}
	for _, tt := range durations {
		got, err := parseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseDuration(%q) = %s, %v; want %s, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
