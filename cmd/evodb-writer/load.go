package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
	"github.com/klauspost/compress/zstd"
)

const loadAbout = `
Loads CDC entries into a table, creating the table if it does not exist.
Each FILE holds JSON lines (one CDC envelope or one plain JSON object per
line, see below) or binary batches (cdc's EVB1 format: files ending in .evb,
or --format binary); "-" or no FILE reads standard input. Input compressed
with gzip or zstd is recognised by its first bytes and decompressed.

Input is read in chunks of whole lines; each chunk becomes one commit of
--blocks-per-commit blocks of the partition mode's target size (do-sqlite
64 KB, standard 4 MB, enterprise 32 MB of Parquet; the input per block is
sized by the compression of the blocks written so far, the first chunk
conservatively), or of --batch-rows entries. The blocks of a commit are
shredded, encoded and written --encoders at a time (default: one per CPU),
and reading and decoding the next chunks overlap writing the blocks of
the one before.

A line is an envelope, {"op":"INSERT","data":{...},"lsn":7,"producer":"db-1",
"commit_ts":"2026-11-26T10:00:00Z"}, or a plain object, loaded as an INSERT.
Entries without an LSN get the next numbers after the highest LSN their
producer (--producer when the line names none) has committed, so that loads
append; entries with an LSN that their producer has already committed are
duplicates and are skipped, so a CDC file can be loaded again safely.

Lines that cannot be read are rejected, reported on stderr (the first ten)
and counted; the others are loaded. At the end a summary goes to stdout
(--json for machines). A progress bar is drawn on stderr when stdout and
stderr are terminals.`

type loadOptions struct {
	tf              tableFlags
	mode            string
	compression     string
	producer        string
	batchRows       int
	blocksPerCommit int
	encoders        int
	format          string
	progress        string
	asJSON          bool
	logLevel        string
	cpuProfile      string
	maxRejected     int
}

func (o *loadOptions) register(fs *flagSet) {
	o.tf.register(fs)
	fs.StringVar(&o.mode, "mode", string(writer.ModeStandard), "partition `mode`: do-sqlite, standard or enterprise (block size targets)")
	fs.StringVar(&o.compression, "compression", "zstd", "Parquet page `codec`: zstd, snappy or none")
	fs.StringVar(&o.producer, "producer", "evodb-writer-load", "producer `id` of entries that name none")
	fs.IntVar(&o.batchRows, "batch-rows", 0, "`N` entries per block, one block per commit (default: blocks sized by --mode)")
	fs.IntVar(&o.blocksPerCommit, "blocks-per-commit", 4, "write `N` blocks per commit when blocks are sized by --mode")
	fs.IntVar(&o.encoders, "encoders", 0, "encode `N` blocks of a commit at once (default: the number of CPUs; 1: one after another)")
	fs.StringVar(&o.format, "format", "auto", "input `format`: auto (by extension: .evb is binary), jsonl or binary")
	fs.StringVar(&o.progress, "progress", "auto", "progress bar on stderr: `when` auto (stdout and stderr are terminals), always or never")
	fs.BoolVar(&o.asJSON, "json", false, "print the summary as one JSON document")
	fs.IntVar(&o.maxRejected, "max-rejected", -1, "stop with an error once more than `N` lines are rejected (-1: no limit)")
	fs.StringVar(&o.cpuProfile, "cpu-profile", "", "write a CPU profile of the load to `FILE` (go tool pprof)")
	fs.StringVar(&o.logLevel, "log-level", "error", "`level` of the writer's log lines on stderr: debug, info, warn, error")
	fs.env("mode", "EVODB_MODE")
	fs.env("compression", "EVODB_COMPRESSION")
	fs.env("producer", "EVODB_PRODUCER")
	fs.env("log-level", "EVODB_LOG_LEVEL")
}

func (o *loadOptions) check() error {
	switch writer.PartitionMode(o.mode) {
	case writer.ModeDOSQLite, writer.ModeStandard, writer.ModeEnterprise:
	default:
		return usagef("--mode %q: want do-sqlite, standard or enterprise", o.mode)
	}
	switch o.compression {
	case "zstd", "snappy", "none":
	default:
		return usagef("--compression %q: want zstd, snappy or none", o.compression)
	}
	switch o.format {
	case "auto", "jsonl", "binary":
	default:
		return usagef("--format %q: want auto, jsonl or binary", o.format)
	}
	switch o.progress {
	case "auto", "always", "never":
	default:
		return usagef("--progress %q: want auto, always or never", o.progress)
	}
	if o.batchRows < 0 {
		return usagef("--batch-rows %d: want a positive number (or 0 for the mode's size)", o.batchRows)
	}
	if o.blocksPerCommit <= 0 {
		return usagef("--blocks-per-commit %d: want 1 or more", o.blocksPerCommit)
	}
	if o.encoders < 0 {
		return usagef("--encoders %d: want 1 or more (or 0 for the number of CPUs)", o.encoders)
	}
	if o.batchRows > 0 {
		o.blocksPerCommit = 1
	}
	if o.producer == "" {
		return usagef("--producer must not be empty")
	}
	if _, err := parseLogLevel(o.logLevel); err != nil {
		return usagef("--log-level: %v", err)
	}
	return nil
}

func runLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("load", "[FILE | -]...", loadAbout)
	var o loadOptions
	o.register(fs)
	files, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	ref, err := parseTable(o.tf.uri, false)
	if err != nil {
		return err
	}
	inputs, err := openInputs(e, files, o.format)
	if err != nil {
		return err
	}
	defer closeInputs(inputs)
	wopts := writer.Options{
		PartitionMode: writer.PartitionMode(o.mode),
		Compression:   o.compression,
		BlockEncoders: o.encoders,
		Logger:        newLogger(e, o.logLevel),
	}
	if _, err := wopts.PartitionMode.Limits(); err != nil {
		return usagef("--mode: %v", err)
	}
	w, err := openWriter(ctx, e, &o.tf, ref, wopts)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	sum, loadErr := load(ctx, e, w, &o, inputs)
	closeErr := w.Close(context.WithoutCancel(ctx))
	sum.Table = ref.display
	if sum.Blocks > 0 || loadErr == nil {
		printSummary(e.stdout, sum, o.asJSON)
	}
	if loadErr != nil {
		return loadErr
	}
	if closeErr != nil {
		return fmt.Errorf("closing the writer: %w", closeErr)
	}
	return nil
}

// input is one source of entries.
type input struct {
	name   string // as given ("-" is stdin)
	r      io.Reader
	closer io.Closer
	size   int64 // -1 when unknown
	binary bool
	// compressed: read through gzip or zstd.
	compressed bool
}

func openInputs(e *env, names []string, format string) ([]*input, error) {
	var ins []*input
	stdin := 0
	for _, name := range names {
		in := &input{name: name, size: -1}
		if name == "-" {
			stdin++
			if stdin > 1 {
				closeInputs(ins)
				return nil, usagef("standard input (-) given more than once")
			}
			in.name = "stdin"
			in.r = e.stdin
		} else {
			f, err := os.Open(name)
			if err != nil {
				closeInputs(ins)
				return nil, fmt.Errorf("input %s: %w", name, unwrapPathError(err))
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				closeInputs(ins)
				return nil, fmt.Errorf("input %s: %w", name, err)
			}
			if st.IsDir() {
				f.Close()
				closeInputs(ins)
				return nil, fmt.Errorf("input %s: is a directory", name)
			}
			if st.Mode().IsRegular() {
				in.size = st.Size()
			}
			in.r, in.closer = f, f
		}
		base := name
		if err := in.decompress(); err != nil {
			closeInputs(append(ins, in))
			return nil, err
		}
		if in.compressed {
			base = strings.TrimSuffix(base, filepath.Ext(base)) // orders.evb.zst -> orders.evb
		}
		switch format {
		case "binary":
			in.binary = true
		case "auto":
			in.binary = strings.EqualFold(filepath.Ext(base), ".evb")
		}
		ins = append(ins, in)
	}
	return ins, nil
}

// decompress makes in read through gzip or zstd when its first bytes are
// one of their magic numbers (JSON lines and binary batches never start
// so). The size of a compressed input is not its size in entries: the
// progress shows no percentage for it.
func (in *input) decompress() error {
	br := bufio.NewReaderSize(in.r, 1<<16)
	in.r = br
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("input %s: %w", in.name, err)
	}
	var dec io.Reader
	var closeDec func()
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("input %s: gzip: %w", in.name, err)
		}
		dec, closeDec = zr, func() { zr.Close() }
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("input %s: zstd: %w", in.name, err)
		}
		dec, closeDec = zr, zr.Close
	default:
		return nil
	}
	in.r, in.size, in.compressed = &namedReader{r: dec, name: in.name}, -1, true
	outer := in.closer
	in.closer = closerFunc(func() error {
		closeDec()
		if outer != nil {
			return outer.Close()
		}
		return nil
	})
	return nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// namedReader names its input in decompression errors.
type namedReader struct {
	r    io.Reader
	name string
}

func (n *namedReader) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("decompressing: %w", err)
	}
	return k, err
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func closeInputs(ins []*input) {
	for _, in := range ins {
		if in.closer != nil {
			in.closer.Close()
		}
	}
}

// loadSummary is what load reports at the end.
type loadSummary struct {
	Table      string  `json:"table"`
	Files      int     `json:"files"`
	InputBytes int64   `json:"input_bytes"` // read, after decompression
	Entries    int64   `json:"entries"`     // entries decoded from the input
	Rows       int64   `json:"rows"`        // rows written to the table
	Rejected   int64   `json:"rejected"`    // lines or rows refused
	Duplicates int64   `json:"duplicates"`
	Blocks     int64   `json:"blocks"`
	Bytes      int64   `json:"bytes"` // Parquet bytes written
	Version    int64   `json:"version"`
	Seconds    float64 `json:"duration_seconds"`
	RowsPerSec float64 `json:"rows_per_second"`
}

func printSummary(w io.Writer, s loadSummary, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.Encode(s)
		return
	}
	fmt.Fprintf(w, "loaded %s rows into %s in %s (%s rows/s)\n", formatInt(s.Rows), s.Table,
		time.Duration(s.Seconds*float64(time.Second)).Round(time.Millisecond), formatInt(int64(s.RowsPerSec)))
	fmt.Fprintf(w, "  rows        %s\n", formatInt(s.Rows))
	fmt.Fprintf(w, "  rejected    %s\n", formatInt(s.Rejected))
	fmt.Fprintf(w, "  duplicates  %s\n", formatInt(s.Duplicates))
	fmt.Fprintf(w, "  blocks      %s\n", formatInt(s.Blocks))
	fmt.Fprintf(w, "  bytes       %s (%s); input %s\n", formatInt(s.Bytes), formatBytes(s.Bytes), formatBytes(s.InputBytes))
	fmt.Fprintf(w, "  version     %d\n", s.Version)
}

// A chunk travels from the reader through a decoder to the flusher; chunks
// (their buffers and entry slices) are recycled, which bounds the memory of
// a load to a few chunks.
type chunk struct {
	in        *input
	data      []byte
	firstLine int       // JSON lines: number of data's first line in its input
	skipped   []tooLong // lines dropped for their length before this chunk
	frames    []frame   // binary: the batches in data
	entries   []cdc.Entry
	entrySize int64 // sum of the entries' Size
	lineErrs  []*cdc.LineError
	err       error // a binary batch that cannot be decoded: fatal
	ready     chan struct{}
}

type frame struct {
	off, n  int
	entries int
	at      int64 // offset in the input
}

// maxRejectReports is how many rejected lines are described on stderr.
const maxRejectReports = 10

// loader carries the state of one load.
type loader struct {
	e        *env
	w        *writer.LakehouseWriter
	o        *loadOptions
	bar      *progress
	jsonOpts cdc.JSONOptions
	// chunkBytes is the input size of the next chunk: perCommit blocks of
	// the mode's target size (the writer's InputBytesPerBlock: the entry
	// bytes of one target block at the compression ratio of the blocks
	// written so far), by the ratio of entry bytes to input bytes seen so
	// far.
	chunkBytes    atomic.Int64
	entryPerInput float64
	perCommit     int
	pool          chan *chunk
	readBytes     atomic.Int64
	doneBytes     atomic.Int64 // input bytes of the chunks written so far
	rows          atomic.Int64
	reports       int
	sum           loadSummary
	lastLSN       map[string]int64
	next          string // the first input position not committed, for messages
}

const (
	// initialRatio is the guess of entry bytes (what the writer's block
	// sizes count) per input byte before the first chunk tells.
	initialRatio  = 1.3
	minChunkBytes = 16 << 10
	chunkBudget   = 128 << 20
	maxChunkBytes = 1 << 30
	maxLineBytes  = 1 << 20
)

// gather adds to group the chunks that follow it in order while they are
// decoded already, carry no fatal error, and group holds less than three
// quarters of the input a chunk is now cut to (a commit's worth). next is a chunk taken from order
// that did not join (nil if none); closed reports that order is closed
// (next is then nil).
func (l *loader) gather(group []*chunk, order <-chan *chunk) (_ []*chunk, next *chunk, closed bool) {
	if l.o.batchRows > 0 || group[0].err != nil {
		return group, nil, false
	}
	var size int64
	for _, c := range group {
		size += int64(len(c.data))
	}
	for size < l.chunkBytes.Load()*3/4 {
		select {
		case c, ok := <-order:
			if !ok {
				return group, nil, true
			}
			next = c
		default:
			return group, nil, false
		}
		select {
		case <-next.ready:
		default:
			return group, next, false
		}
		if next.err != nil || len(next.entries) == 0 {
			return group, next, false
		}
		group = append(group, next)
		size += int64(len(next.data))
		next = nil
	}
	return group, nil, false
}

// setChunkBytes sizes the input chunk so that it makes blocksPerCommit
// blocks of the target size (the writer shares a chunk's entries evenly
// among the blocks it cuts), with the writer's latest estimate of the
// entry bytes of one block and entryPerInput entry bytes per input byte.
// Blocks per chunk are fewer when perCommit blocks' input would pass
// chunkBudget (the few chunks in flight are the load's memory), but at
// least one.
func (l *loader) setChunkBytes(entryPerInput float64) {
	l.entryPerInput = entryPerInput
	block := float64(l.w.InputBytesPerBlock()) / entryPerInput // input bytes
	blocks := max(1, min(l.perCommit, int(chunkBudget/block)))
	want := float64(blocks) * block
	l.chunkBytes.Store(clamp(int64(want), minChunkBytes, maxChunkBytes))
}

func load(outer context.Context, e *env, w *writer.LakehouseWriter, o *loadOptions, inputs []*input) (loadSummary, error) {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(outer)
	defer cancel(nil)
	l := &loader{e: e, w: w, o: o, lastLSN: map[string]int64{}}
	l.perCommit = o.blocksPerCommit
	l.setChunkBytes(initialRatio)
	// Rows are only framed here: the writer's shredder validates each row
	// as it shreds it, which spares a second pass over every byte.
	l.jsonOpts = cdc.JSONOptions{Producer: o.producer, MaxLineBytes: maxLineBytes, FrameData: true}
	l.sum.Files = len(inputs)
	l.sum.Version = w.Stats().LastVersion

	// On two cores: one goroutine reads and one decodes the next chunk
	// while this one writes the blocks of the chunk before (the writer
	// encodes them on every core at once). The chunks in flight are the
	// load's memory: one being written, one per decoder being read or
	// decoded. (A third, to read ahead while the second is decoded, only
	// adds memory: reading is fast beside decoding.)
	decoders := max(1, runtime.GOMAXPROCS(0)/2)
	depth := decoders + 1
	l.pool = make(chan *chunk, depth)
	for range depth {
		l.pool <- &chunk{}
	}
	work := make(chan *chunk, depth)
	order := make(chan *chunk, depth)

	var total int64
	for _, in := range inputs {
		if in.size < 0 {
			total = -1
			break
		}
		total += in.size
	}
	l.bar = newProgress(e, o.progress, total)
	l.bar.start(&l.doneBytes, &l.rows)

	var wg sync.WaitGroup
	for range decoders {
		wg.Go(func() {
			for c := range work {
				l.decode(c)
				close(c.ready)
			}
		})
	}
	readDone := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		err := l.read(ctx, inputs, work, order)
		if err != nil {
			cancel(err)
		}
		readDone <- err
	}()
	var flushErr, readErr error
	finished := false  // the reader handed out everything
	var pending *chunk // taken from order, not flushed yet
flushing:
	for {
		c := pending
		pending = nil
		if c == nil {
			select {
			case next, ok := <-order:
				if !ok {
					finished = true
					break flushing
				}
				c = next
			case <-ctx.Done():
				// Interrupted or failed: stop now, even if the reader is
				// blocked on an input (stdin) that will not end.
				break flushing
			}
		}
		<-c.ready
		// A chunk read before the writer's estimate of the block size
		// settled holds fewer blocks than a commit should: the chunks
		// after it that are decoded already join its commit, so that
		// the commit has blocks for every encoder.
		group, next, closed := l.gather([]*chunk{c}, order)
		pending = next
		err := l.flush(ctx, group)
		for _, g := range group {
			l.pool <- g
		}
		if err != nil {
			flushErr = err
			cancel(err)
			break
		}
		if closed {
			finished = true
			break
		}
	}
	// A chunk taken ahead but not flushed goes back to the pool only once
	// its decoder is done with it: after a failed flush a decoder may
	// still be working on it, and the reader must not refill it meanwhile.
	if pending != nil {
		select {
		case <-pending.ready:
			l.pool <- pending
		default:
		}
	}
	if finished {
		readErr = <-readDone
		wg.Wait()
	} else {
		select {
		case readErr = <-readDone:
		default:
		}
	}
	l.bar.stop()
	l.sum.Seconds = time.Since(start).Seconds()
	if l.sum.Seconds > 0 {
		l.sum.RowsPerSec = float64(l.sum.Rows) / l.sum.Seconds
	}
	l.sum.InputBytes = l.readBytes.Load()
	if l.reports < int(l.sum.Rejected) {
		l.warnf("%s more rejected lines not shown", formatInt(l.sum.Rejected-int64(l.reports)))
	}
	if outer.Err() != nil {
		// Interrupted: say where, whatever was waiting at that moment.
		return l.sum, fmt.Errorf("%w: stopped at %s; what came before it is committed (version %d)", context.Canceled, l.where(), l.sum.Version)
	}
	if flushErr != nil {
		return l.sum, flushErr
	}
	if readErr != nil {
		return l.sum, readErr
	}
	return l.sum, nil
}

// where names the first input position not committed yet.
func (l *loader) where() string {
	if l.next == "" {
		return "the start"
	}
	return l.next
}

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }

// getChunk takes a free chunk, its buffer sized for the next block.
func (l *loader) getChunk(ctx context.Context, in *input) (*chunk, error) {
	select {
	case c := <-l.pool:
		want := int(l.chunkBytes.Load())
		if cap(c.data) < want || cap(c.data) > 2*want {
			c.data = make([]byte, 0, want)
		}
		*c = chunk{in: in, data: c.data[:0], entries: c.entries[:0], frames: c.frames[:0], ready: make(chan struct{})}
		return c, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// read cuts the inputs into chunks and hands them to the decoders (work)
// and, in the same order, to the flusher (order).
func (l *loader) read(ctx context.Context, inputs []*input, work, order chan<- *chunk) error {
	send := func(c *chunk) error {
		select {
		case order <- c:
		case <-ctx.Done():
			l.pool <- c
			return context.Cause(ctx)
		}
		work <- c // never blocks for long: decoders drain work until it closes
		return nil
	}
	for _, in := range inputs {
		counted := &countingReader{r: in.r, n: &l.readBytes}
		if in.binary {
			if err := l.readBinary(ctx, in, counted, send); err != nil {
				return err
			}
			continue
		}
		lc := &lineChunker{r: counted, maxLine: maxLineBytes, maxChunk: maxChunkBytes}
		for {
			c, err := l.getChunk(ctx, in)
			if err != nil {
				return err
			}
			data, first, skipped, err := lc.next(c.data, l.o.batchRows)
			if err == io.EOF {
				l.pool <- c
				break
			}
			if err != nil {
				l.pool <- c
				return fmt.Errorf("reading %s: %w", in.name, err)
			}
			c.data, c.firstLine, c.skipped = data, first, skipped
			if err := send(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// readBinary cuts a stream of binary batches into chunks of whole batches.
func (l *loader) readBinary(ctx context.Context, in *input, r io.Reader, send func(*chunk) error) error {
	f := &batchFramer{r: bufio.NewReaderSize(r, 1<<20)}
	for done := false; !done; {
		c, err := l.getChunk(ctx, in)
		if err != nil {
			return err
		}
		rows := 0
		for len(c.data) < cap(c.data) && (l.o.batchRows == 0 || rows < l.o.batchRows) {
			var n, entries int
			var at int64
			off := len(c.data)
			c.data, n, entries, at, err = f.next(c.data)
			if err == io.EOF {
				done = true
				break
			}
			if err != nil {
				l.pool <- c
				return fmt.Errorf("%s: %w", in.name, err)
			}
			c.frames = append(c.frames, frame{off: off, n: n, entries: entries, at: at})
			rows += entries
		}
		if len(c.frames) == 0 {
			l.pool <- c
			continue
		}
		if err := send(c); err != nil {
			return err
		}
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// decode turns a chunk's bytes into entries (on a decoder goroutine).
func (l *loader) decode(c *chunk) {
	c.entries = c.entries[:0]
	if !c.in.binary {
		c.entries, c.lineErrs = cdc.DecodeJSONLines(c.entries, c.data, &l.jsonOpts)
	} else {
		for _, fr := range c.frames {
			var err error
			c.entries, err = cdc.DecodeBinaryBatch(c.entries, c.data[fr.off:fr.off+fr.n], &l.jsonOpts)
			if err != nil {
				c.err = fmt.Errorf("%s: binary batch at byte %d: %w", c.in.name, fr.at, err)
				return
			}
		}
	}
	for i := range c.entries {
		c.entrySize += int64(c.entries[i].Size())
	}
}

// flush writes the entries of a group of decoded chunks (consecutive in
// the input) as one commit (on the flusher goroutine, in input order).
func (l *loader) flush(ctx context.Context, group []*chunk) (err error) {
	if c := group[0]; c.err != nil {
		return c.err
	}
	entries := group[0].entries
	var inBytes, entryBytes int64
	n := 0
	for _, c := range group {
		for _, s := range c.skipped {
			l.reject(c.in.name, s.line, fmt.Sprintf("%v: %d bytes, limit %d", cdc.ErrLineTooLong, s.length, maxLineBytes))
		}
		for _, le := range c.lineErrs {
			l.reject(c.in.name, c.firstLine+le.Line-1, le.Err.Error())
		}
		l.sum.Entries += int64(len(c.entries))
		inBytes += int64(len(c.data))
		entryBytes += c.entrySize
		n += len(c.entries)
		l.assignLSNs(c.entries)
	}
	if len(group) > 1 {
		// Groups are rare (the first chunks of a load): a new slice,
		// dropped after the commit.
		entries = make([]cdc.Entry, 0, n)
		for _, c := range group {
			entries = append(entries, c.entries...)
		}
	}
	if len(entries) == 0 {
		l.doneBytes.Add(inBytes)
		return l.checkRejected()
	}
	if l.o.batchRows == 0 && entryBytes > 0 && inBytes > 0 {
		l.setChunkBytes(float64(entryBytes) / float64(inBytes))
	}
	res, err := l.w.Flush(ctx, entries)
	if err != nil {
		c := group[0]
		where := fmt.Sprintf("%s line %d", c.in.name, c.firstLine)
		if c.in.binary {
			where = fmt.Sprintf("%s byte %d", c.in.name, c.frames[0].at)
		}
		return fmt.Errorf("writing the entries from %s on (what came before is committed): %w", where, err)
	}
	if len(res.Rejected) > 0 {
		rejected := slices.Clone(res.Rejected)
		slices.SortFunc(rejected, func(a, b *engine.RowError) int { return a.Index - b.Index })
		base := 0
		for _, c := range group {
			// The rows of this chunk, their indexes made the chunk's own.
			var mine []*engine.RowError
			for len(rejected) > 0 && rejected[0].Index < base+len(c.entries) {
				re := *rejected[0]
				re.Index -= base
				mine = append(mine, &re)
				rejected = rejected[1:]
			}
			base += len(c.entries)
			if c.in.binary {
				for _, re := range mine {
					l.rejectAt(binaryPosition(c, re.Index), re.Err.Error())
				}
				continue
			}
			// The shredder validated the rows (FrameData): place its
			// errors on their lines, with the validating decoder's words.
			for _, le := range engine.LineErrors(nil, c.data, c.entries, mine, &l.jsonOpts) {
				l.reject(c.in.name, c.firstLine+le.Line-1, le.Err.Error())
			}
		}
	}
	defer func() {
		if err == nil {
			err = l.checkRejected()
		}
	}()
	l.sum.Blocks += int64(len(res.BlockPaths))
	l.sum.Rows += res.RowCount
	l.sum.Bytes += res.Bytes
	l.sum.Duplicates += int64(res.Duplicates)
	l.sum.Version = res.Version
	c := group[len(group)-1]
	if c.in.binary {
		last := c.frames[len(c.frames)-1]
		l.next = fmt.Sprintf("%s byte %d", c.in.name, last.at+int64(last.n))
	} else {
		l.next = fmt.Sprintf("%s line %d", c.in.name, c.firstLine+bytes.Count(c.data, []byte{'\n'}))
	}
	l.rows.Add(res.RowCount)
	l.doneBytes.Add(inBytes)
	if l.o.batchRows == 0 {
		// The blocks just written refined the writer's estimate.
		l.setChunkBytes(l.entryPerInput)
	}
	return nil
}

// assignLSNs numbers the entries that carry no LSN after the highest LSN
// their producer has committed or sent so far.
func (l *loader) assignLSNs(entries []cdc.Entry) {
	var prod string
	var last int64
	have := false
	for i := range entries {
		e := &entries[i]
		if !have || e.Producer != prod {
			if have {
				l.lastLSN[prod] = last
			}
			prod = e.Producer
			v, ok := l.lastLSN[prod]
			if !ok {
				v, _ = l.w.CommittedLSN(prod)
			}
			last, have = v, true
		}
		if e.LSN == 0 {
			last++
			e.LSN = last
		} else if e.LSN > last {
			last = e.LSN
		}
	}
	if have {
		l.lastLSN[prod] = last
	}
}

// binaryPosition names the i-th entry of a chunk of binary batches.
func binaryPosition(c *chunk, i int) string {
	for _, fr := range c.frames {
		if i < fr.entries {
			return fmt.Sprintf("%s: batch at byte %d, entry %d", c.in.name, fr.at, i+1)
		}
		i -= fr.entries
	}
	return fmt.Sprintf("%s: batch at byte %d", c.in.name, c.frames[0].at)
}

// checkRejected fails the load once more lines were rejected than
// --max-rejected allows; what was committed before stays.
func (l *loader) checkRejected() error {
	if l.o.maxRejected >= 0 && l.sum.Rejected > int64(l.o.maxRejected) {
		return fmt.Errorf("%s lines rejected, more than --max-rejected %d; stopped at %s, what came before it is committed (version %d)",
			formatInt(l.sum.Rejected), l.o.maxRejected, l.where(), l.sum.Version)
	}
	return nil
}

func (l *loader) reject(name string, line int, msg string) {
	l.rejectAt(fmt.Sprintf("%s:%d", name, line), msg)
}

func (l *loader) rejectAt(where, msg string) {
	l.sum.Rejected++
	if l.reports >= maxRejectReports {
		return
	}
	l.reports++
	l.warnf("rejected %s: %s", where, oneLine(msg))
}

func (l *loader) warnf(format string, args ...any) {
	l.bar.println(fmt.Sprintf("%s load: %s", progName, fmt.Sprintf(format, args...)))
}
