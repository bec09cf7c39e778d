package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/cdc"
)

// streamPair appends the same batches to a writer that holds its blocks
// and to one that streams them, and checks that the streamed files are
// the held ones, byte for byte.
type streamPair struct {
	t        *testing.T
	ref, st  *TypedWriter[typedAll]
	out      bytes.Buffer
	want     []Row
	streams  bool // st's block streams
	stored   int  // the bytes st's block held when it began streaming
	broken   bool // st's block broke: its rows are appended again
	breaks   int  // blocks broken by a bad batch
	clean    int  // bad batches taken back from a streaming block
	streamed int  // bytes that went out during Append, over the blocks
}

func newStreamPair(t *testing.T, opts TypedOptions) *streamPair {
	t.Helper()
	ref, err := NewTypedWriter[typedAll](opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewTypedWriter[typedAll](opts)
	if err != nil {
		t.Fatal(err)
	}
	return &streamPair{t: t, ref: ref, st: st}
}

// stream makes st's block stream: its bytes so far go out at once, and
// they are the bytes ref holds.
func (p *streamPair) stream() {
	p.t.Helper()
	if err := p.st.Stream(&p.out); err != nil {
		p.t.Fatal(err)
	}
	p.streams = true
	p.stored = p.st.core.typedBlock.held.stored
	p.checkSent()
}

// checkSent checks that st's stream has exactly the row groups ref holds.
func (p *streamPair) checkSent() {
	p.t.Helper()
	held := p.ref.core.typedBlock.held
	if !bytes.Equal(p.out.Bytes(), heldBytes(&held)) {
		p.t.Fatalf("stream has %d bytes, the held writer %d (or they differ)", p.out.Len(), held.n)
	}
	// nothing more is held once the block streams
	if sb := &p.st.core.typedBlock.held; p.streams && sb.stored != p.stored {
		p.t.Fatalf("streaming block holds %d bytes, held %d when it began streaming", sb.stored, p.stored)
	}
}

func heldBytes(h *heldFile) []byte {
	var b bytes.Buffer
	if err := h.writeTo(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// batch appends vals (with a bad string at row bad, if not negative) to
// both writers.
func (p *streamPair) batch(meta Meta, vals []typedAll, bad int) {
	t := p.t
	t.Helper()
	before := p.out.Len()
	refErr := p.ref.AppendBatch(meta, vals)
	err := p.st.AppendBatch(meta, vals)
	if bad < 0 {
		if refErr != nil || err != nil {
			t.Fatalf("good batch: %v; %v", refErr, err)
		}
		for i := range vals {
			p.want = append(p.want, Row{Op: meta.Op, LSN: meta.LSN, Producer: meta.Producer, Data: expectData(t, vals[i])})
		}
		if p.streams {
			p.streamed += p.out.Len() - before
			p.checkSent()
		}
		return
	}
	if !errors.Is(refErr, ErrTypedString) || !errors.Is(err, ErrTypedString) {
		t.Fatalf("batch with a bad string at row %d: %v; %v", bad, refErr, err)
	}
	if !errors.Is(err, ErrStreamBroken) {
		if p.st.Rows() != p.ref.Rows() {
			t.Fatalf("%d rows after a refused batch, the held writer %d", p.st.Rows(), p.ref.Rows())
		}
		if p.streams {
			p.clean++
			p.checkSent()
		}
		return
	}
	// Only a batch whose rows went out breaks the block.
	if !p.streams || p.out.Len() == before {
		t.Fatalf("block broken by a batch that sent nothing (streams %v): %v", p.streams, err)
	}
	p.breaks++
	p.broken = true
	if err := p.st.AppendBatch(meta, vals[:1]); !errors.Is(err, ErrStreamBroken) {
		t.Fatalf("Append to a broken block: %v", err)
	}
	if _, err := p.st.WriteBlock(context.Background(), nil); !errors.Is(err, ErrStreamBroken) {
		t.Fatalf("WriteBlock of a broken block: %v", err)
	}
	if err := p.st.Flush(context.Background(), nil, nil); !errors.Is(err, ErrStreamBroken) {
		t.Fatalf("Flush of a broken block: %v", err)
	}
	if err := p.st.Stream(io.Discard); !errors.Is(err, ErrStreamBroken) {
		t.Fatalf("Stream of a broken block: %v", err)
	}
}

// end writes the block out of both writers (st by Flush if flush) and
// compares them; a broken block is dropped from both.
func (p *streamPair) end(flush bool) {
	t := p.t
	t.Helper()
	ctx := context.Background()
	defer func() {
		p.out.Reset()
		p.want, p.streams, p.broken = nil, false, false
	}()
	if p.broken {
		p.ref.Reset()
		p.st.Reset()
		return
	}
	// (both by Flush, or both not: Flush moves to the writer's other
	// block, whose encoder has judged encodings on other blocks)
	write := func(w *TypedWriter[typedAll], out io.Writer) *BlockInfo {
		if !flush {
			info, err := w.WriteBlock(ctx, out)
			if err != nil {
				t.Fatalf("writing the block: %v", err)
			}
			return info
		}
		var info *BlockInfo
		err := w.Flush(ctx, out, func(i *BlockInfo, err error) {
			if err != nil {
				t.Errorf("writing the block: %v", err)
				return
			}
			c := *i
			info = &c
		})
		w.Wait()
		if err != nil || info == nil {
			t.Fatalf("Flush: %v", err)
		}
		return info
	}
	var want bytes.Buffer
	refInfo := write(p.ref, &want)
	dst := io.Writer(&p.out)
	if p.streams {
		dst = nil
	}
	info := write(p.st, dst)
	if !bytes.Equal(p.out.Bytes(), want.Bytes()) {
		t.Fatalf("block of %d rows: %d bytes streamed, %d held (or they differ)", len(p.want), p.out.Len(), want.Len())
	}
	if diff := cmp.Diff(refInfo, info); diff != "" {
		t.Fatalf("BlockInfo (-held +streamed):\n%s", diff)
	}
	if got, _ := readTypedBlock(t, p.out.Bytes()); !cmp.Equal(p.want, got) {
		t.Fatalf("block differs (-want +got):\n%s", cmp.Diff(p.want, got))
	}
}

// TestTypedStream appends random batches, some refused for a bad string,
// to a writer that streams its blocks (from the first row, or from a later
// batch, when the bytes it holds go out at once) and to one that holds
// them: every block streamed is the held one, byte for byte, and its
// stream has, after each batch, exactly the row groups the other holds. A
// bad batch breaks a streaming block only if bytes went out during it;
// one whose rows all stayed in the row group in progress is taken back.
func TestTypedStream(t *testing.T) {
	for _, c := range []struct {
		budget, groupRows, groupBytes int
		batch                         int // most rows of a batch (3/2 of a row group's if 0)
	}{
		{0, 50, 0, 0}, {0, 700, 0, 0}, {4 << 10, 700, 0, 0}, {48 << 10, 700, 0, 0}, {48 << 10, 200, 0, 0},
		// row groups of about 10 and 120 rows (of some 400 bytes)
		{0, 700, 4 << 10, 12}, {0, 700, 48 << 10, 150},
	} {
		t.Run(fmt.Sprintf("budget=%d/rows=%d/bytes=%d", c.budget, c.groupRows, c.groupBytes), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.budget+c.groupBytes), uint64(c.groupRows)))
			p := newStreamPair(t, TypedOptions{RowGroupMemory: c.budget, RowGroupRows: c.groupRows, RowGroupBytes: c.groupBytes})
			blocks, batches := 12, 16
			if testing.Short() {
				blocks = 6
			}
			for block := range blocks {
				from := rng.IntN(4) // stream from this batch on
				for i := range batches {
					if i == from {
						p.stream()
					}
					if p.broken {
						break
					}
					most := c.batch
					if most == 0 {
						most = 3 * c.groupRows / 2
					}
					n := 1 + rng.IntN(most)
					vals := make([]typedAll, n)
					for j := range vals {
						vals[j] = randomTypedAll(rng)
					}
					bad := -1
					if rng.IntN(5) == 0 {
						bad = rng.IntN(n)
						vals[bad].Str = "bad \xff"
					}
					p.batch(Meta{Op: cdc.Insert, LSN: int64(block*100 + i), Producer: "p"}, vals, bad)
				}
				p.end(block%3 == 2)
			}
			t.Logf("%d blocks broken by a bad batch, %d bad batches taken back from a streaming block, %d bytes streamed by Append",
				p.breaks, p.clean, p.streamed)
			if p.streamed == 0 {
				t.Fatal("no bytes went out during Append")
			}
			if p.clean == 0 {
				t.Fatal("no bad batch was taken back from a streaming block")
			}
			if c.budget == 0 && p.breaks == 0 {
				t.Fatal("no block broke")
			}
		})
	}
}

// flaky fails its write number failAt (counting from 1), taking only its
// first take bytes, and takes all the others.
type flaky struct {
	bytes.Buffer
	writes, failAt, take int
}

func (f *flaky) Write(p []byte) (int, error) {
	f.writes++
	if f.writes == f.failAt {
		k := min(f.take, len(p))
		f.Buffer.Write(p[:k])
		return k, errors.New("connection reset")
	}
	return f.Buffer.Write(p)
}

// TestTypedStreamFails: a stream that fails a write without taking a byte
// fails the batch (taken back whole) or WriteBlock, which can be tried
// again, and the block is the held one; one that fails part way through
// breaks the block, which Reset drops.
func TestTypedStreamFails(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 8))
	rows := make([]typedAll, 2000)
	for i := range rows {
		rows[i] = randomTypedAll(rng)
	}
	meta := Meta{Op: cdc.Insert, LSN: 7, Producer: "p"}
	opts := TypedOptions{RowGroupRows: 300}
	// writer is a new writer, streaming to out if not nil
	writer := func(out io.Writer) *TypedWriter[typedAll] {
		t.Helper()
		w, err := NewTypedWriter[typedAll](opts)
		if err != nil {
			t.Fatal(err)
		}
		if out != nil {
			if err := w.Stream(out); err != nil {
				t.Fatal(err)
			}
		}
		return w
	}
	// appendAll appends the rows in two batches
	appendAll := func(w *TypedWriter[typedAll]) {
		t.Helper()
		for _, b := range [][]typedAll{rows[:1000], rows[1000:]} {
			if err := w.AppendBatch(meta, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	// written writes w's block to a buffer
	written := func(w *TypedWriter[typedAll]) []byte {
		t.Helper()
		var buf bytes.Buffer
		if _, err := w.WriteBlock(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	w := writer(nil)
	appendAll(w)
	want := written(w)

	t.Run("append", func(t *testing.T) {
		// A write fails without taking a byte where a batch's bytes begin
		// going out: the first row group's first write (after the magic),
		// and the first write of the second batch's (which ends the row
		// group the first one began).
		dry := &flaky{}
		if err := writer(dry).AppendBatch(meta, rows[:1000]); err != nil {
			t.Fatal(err)
		}
		for _, failAt := range []int{2, dry.writes + 1} {
			out := &flaky{failAt: failAt}
			w := writer(out)
			failed := 0
			for _, b := range [][]typedAll{rows[:1000], rows[1000:]} {
				err := w.AppendBatch(meta, b)
				if err != nil {
					if errors.Is(err, ErrStreamBroken) || !strings.Contains(err.Error(), "connection reset") {
						t.Fatalf("write %d failing: %v", failAt, err)
					}
					failed++
					err = w.AppendBatch(meta, b) // again
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if failed != 1 {
				t.Fatalf("write %d failing: %d batches failed", failAt, failed)
			}
			if _, err := w.WriteBlock(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("write %d failing once: the stream differs from the held block", failAt)
			}
		}
	})
	t.Run("writeblock", func(t *testing.T) {
		out := &flaky{}
		w := writer(out)
		appendAll(w)
		out.failAt = out.writes + 1 // WriteBlock's first
		if _, err := w.WriteBlock(ctx, nil); err == nil || errors.Is(err, ErrStreamBroken) {
			t.Fatalf("WriteBlock failing on its first write: %v", err)
		}
		info, err := w.WriteBlock(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) || info.Bytes != int64(len(want)) {
			t.Fatalf("WriteBlock failing once: %d bytes streamed, info %d, want %d", out.Len(), info.Bytes, len(want))
		}
	})
	t.Run("magic", func(t *testing.T) {
		// the file's first write (its magic) fails taking no byte: the
		// batch is refused and can be appended again; taking two, the
		// block breaks
		for _, take := range []int{0, 2} {
			out := &flaky{failAt: 1, take: take}
			w := writer(out)
			err := w.AppendBatch(meta, rows[:1000])
			if err == nil || errors.Is(err, ErrStreamBroken) != (take > 0) || w.Rows() != 0 {
				t.Fatalf("magic write taking %d bytes: %v, %d rows", take, err, w.Rows())
			}
			if take > 0 {
				if err := w.AppendBatch(meta, rows[:1000]); !errors.Is(err, ErrStreamBroken) {
					t.Fatalf("Append after a cut write: %v", err)
				}
				continue
			}
			appendAll(w)
			if _, err := w.WriteBlock(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatal("magic write failing once: the stream differs from the held block")
			}
		}
	})
	t.Run("flush", func(t *testing.T) {
		// a Flush that fails drops the block: broken if some of it went
		// out (the rows appended), a plain error if none did (a block
		// of less than a row group, whose magic write fails)
		for _, n := range []int{2000, 200} {
			out := &flaky{}
			w := writer(out)
			if err := w.AppendBatch(meta, rows[:n]); err != nil {
				t.Fatal(err)
			}
			out.failAt = out.writes + 1
			var got error
			if err := w.Flush(ctx, nil, func(_ *BlockInfo, err error) { got = err }); err != nil {
				t.Fatal(err)
			}
			w.Wait()
			if got == nil || errors.Is(got, ErrStreamBroken) != (n > 300) {
				t.Fatalf("Flush of %d rows failing: %v", n, got)
			}
			if w.Rows() != 0 {
				t.Fatalf("%d rows after a Flush", w.Rows())
			}
		}
	})
	t.Run("stream", func(t *testing.T) {
		// Stream failing on the bytes held leaves the block held
		w := writer(nil)
		if err := w.AppendBatch(meta, rows[:1000]); err != nil {
			t.Fatal(err)
		}
		if err := w.Stream(&failAfter{n: 10}); err == nil || errors.Is(err, ErrStreamBroken) {
			t.Fatalf("Stream failing on the held bytes: %v", err)
		}
		if err := w.AppendBatch(meta, rows[1000:]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(written(w), want) {
			t.Fatal("the block held after a failed Stream differs")
		}
	})
	t.Run("partway", func(t *testing.T) {
		for _, n := range []int{10, 3000, len(want) - 10} {
			w := writer(&failAfter{n: n})
			err := w.AppendBatch(meta, rows[:1000])
			if err == nil {
				err = w.AppendBatch(meta, rows[1000:])
			}
			if err == nil {
				_, err = w.WriteBlock(ctx, nil)
			}
			if !errors.Is(err, ErrStreamBroken) || !strings.Contains(err.Error(), "disk full") && !strings.Contains(err.Error(), "taken back") {
				t.Fatalf("stream failing after %d bytes: %v", n, err)
			}
			if err := w.AppendBatch(meta, rows[:1]); !errors.Is(err, ErrStreamBroken) {
				t.Fatalf("Append after the stream broke: %v", err)
			}
			w.Reset()
			appendAll(w)
			if !bytes.Equal(written(w), want) {
				t.Fatalf("stream failing after %d bytes: the block after Reset differs", n)
			}
		}
	})
}

// TestTypedStreamMisuse: the calls a streaming block does not take are
// refused with an error saying why, and the block after a streamed one is
// held again.
func TestTypedStreamMisuse(t *testing.T) {
	ctx := context.Background()
	w, err := NewTypedWriter[typedAll](TypedOptions{RowGroupRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]typedAll, 250)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range rows {
		rows[i] = randomTypedAll(rng)
	}
	meta := Meta{Op: cdc.Insert, LSN: 1, Producer: "p"}
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v, want an error saying %q", what, err, want)
		}
	}
	check("Stream(nil)", w.Stream(nil), "Stream: nil io.Writer")
	var out bytes.Buffer
	if err := w.Stream(&out); err != nil {
		t.Fatal(err)
	}
	check("Stream twice", w.Stream(&out), "streams already")
	if err := w.AppendBatch(meta, rows); err != nil {
		t.Fatal(err)
	}
	if out.Len() == 0 {
		t.Fatal("nothing streamed after two full row groups")
	}
	_, err = w.WriteBlock(ctx, io.Discard)
	check("WriteBlock(out) of a streaming block", err, "out must be nil")
	check("Flush(out) of a streaming block", w.Flush(ctx, io.Discard, nil), "out must be nil")
	info, err := w.WriteBlock(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes != int64(out.Len()) || info.Rows != 250 || info.RowGroups != 3 {
		t.Fatalf("info %+v, %d bytes streamed", info, out.Len())
	}
	if got, _ := readTypedBlock(t, out.Bytes()); len(got) != 250 {
		t.Fatalf("%d rows read back, want 250", len(got))
	}
	// the next block is held
	if err := w.AppendBatch(meta, rows); err != nil {
		t.Fatal(err)
	}
	_, err = w.WriteBlock(ctx, nil)
	check("WriteBlock(nil) of a held block", err, "WriteBlock: nil io.Writer")
	// Reset drops the stream with the rows
	if err := w.Stream(&out); err != nil {
		t.Fatal(err)
	}
	w.Reset()
	_, err = w.WriteBlock(ctx, nil)
	check("WriteBlock(nil) after Reset", err, "WriteBlock: nil io.Writer")
}

// FuzzTypedStream runs a script of batches (some with a bad string),
// Stream calls, blocks written by WriteBlock or Flush, and Resets on a
// writer that streams and one that holds its blocks, under a budget, in
// row groups bounded by their bytes (RowGroupBytes), or neither: see
// streamPair for what is checked.
func FuzzTypedStream(f *testing.F) {
	f.Add(uint16(0), uint8(9), []byte{0, 0, 7, 90, 5, 200, 135, 20, 4, 33, 1, 0, 6, 12, 0, 0, 4, 60, 2, 0})
	f.Add(uint16(3000), uint8(40), []byte{4, 90, 0, 0, 5, 90, 133, 80, 4, 90, 2, 0, 3, 0, 4, 7})
	f.Add(uint16(1), uint8(2), []byte{0, 0, 4, 5, 132, 3, 4, 9, 1, 0})
	f.Add(uint16(2000), uint8(0x80|30), []byte{0, 0, 4, 90, 5, 200, 133, 80, 4, 90, 2, 0, 4, 60, 1, 0})
	f.Fuzz(func(t *testing.T, budget uint16, groupRows uint8, script []byte) {
		mem := int(budget)
		if mem > 0 {
			mem += 512
		}
		opts := TypedOptions{RowGroupMemory: mem, RowGroupRows: int(groupRows%64) + 1}
		if groupRows&0x80 != 0 {
			// the bytes bound row groups instead (RowGroupBytes)
			opts.RowGroupMemory, opts.RowGroupBytes = 0, mem
		}
		p := newStreamPair(t, opts)
		rng := rand.New(rand.NewPCG(uint64(budget), uint64(len(script))))
		for k := 0; k+1 < len(script) && k < 64; k += 2 {
			a, b := script[k], script[k+1]
			switch a % 8 {
			case 0:
				if !p.streams && !p.broken {
					p.stream()
				}
			case 1:
				p.end(false)
			case 2:
				p.end(true)
			case 3:
				p.ref.Reset()
				p.st.Reset()
				p.out.Reset()
				p.want, p.streams, p.broken = nil, false, false
			default: // a batch, with a bad string at row b%n if a's high bit is set
				if p.broken {
					continue
				}
				n := int(b)%70 + 1
				vals := make([]typedAll, n)
				for i := range vals {
					vals[i] = randomTypedAll(rng)
				}
				bad := -1
				if a >= 128 {
					bad = int(b) % n
					vals[bad].Str = "\xc3("
				}
				p.batch(Meta{Op: cdc.Update, LSN: int64(k), Producer: "f"}, vals, bad)
			}
		}
		p.end(false)
	})
}

// TestTypedStreamFlushOverlap streams each block and Flushes it, the next
// block streaming and appending while the one before is encoded: the
// blocks are those of a writer that holds its blocks and Flushes them.
func TestTypedStreamFlushOverlap(t *testing.T) {
	ctx := context.Background()
	for _, budget := range []int{0, 16 << 10} {
		p := newStreamPair(t, TypedOptions{RowGroupRows: 200, RowGroupMemory: budget})
		ref, st := p.ref, p.st
		rng := rand.New(rand.NewPCG(4, uint64(budget)))
		const blocks = 6
		var want, got [blocks]bytes.Buffer
		var errs [2 * blocks]error
		for i := range blocks {
			if err := st.Stream(&got[i]); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				vals := make([]typedAll, 1+rng.IntN(400))
				for j := range vals {
					vals[j] = randomTypedAll(rng)
				}
				meta := Meta{Op: cdc.Insert, LSN: int64(i), Producer: "p"}
				if err := ref.AppendBatch(meta, vals); err != nil {
					t.Fatal(err)
				}
				if err := st.AppendBatch(meta, vals); err != nil {
					t.Fatal(err)
				}
			}
			if err := ref.Flush(ctx, &want[i], func(_ *BlockInfo, err error) { errs[2*i] = err }); err != nil {
				t.Fatal(err)
			}
			if err := st.Flush(ctx, nil, func(_ *BlockInfo, err error) { errs[2*i+1] = err }); err != nil {
				t.Fatal(err)
			}
		}
		ref.Wait()
		st.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		for i := range blocks {
			if want[i].Len() == 0 || !bytes.Equal(want[i].Bytes(), got[i].Bytes()) {
				t.Fatalf("budget %d, block %d: %d bytes streamed, %d held (or they differ)", budget, i, got[i].Len(), want[i].Len())
			}
		}
	}
}
