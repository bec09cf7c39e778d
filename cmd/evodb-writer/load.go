package main

import (
	"bufio"
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

Input is read in chunks of whole lines, each about one block of the
partition mode's target size (do-sqlite 64 KB, standard 4 MB, enterprise
32 MB of Parquet; the input per block is sized by the compression of the
blocks written so far, the first chunks conservatively), or of
--batch-rows entries. The block writers (--encoders, default one per CPU)
take the chunks in turn, each writing its chunk as a block, while the
next chunks are read and decoded; every --blocks-per-commit blocks are one
commit (one with --batch-rows). Memory is a few chunks, whatever the size
of a commit or of the input.

A line is an envelope, {"op":"INSERT","data":{...},"lsn":7,"producer":"db-1",
"commit_ts":"2026-11-26T10:00:00Z"}, or a plain object, loaded as an INSERT.
Entries without an LSN get the next numbers after the highest LSN their
producer (--producer when the line names none) has committed, so that loads
append; entries with an LSN that their producer has already committed are
duplicates and are skipped, so a CDC file can be loaded again safely.

The garbage collector runs only when the heap nears a limit well above
what a load holds (128 blocks of the mode's target size, at least 512 MiB
and an eighth of the machine's memory, raised to three times the live heap
when that is more; a load reuses its memory and makes little garbage);
GOGC or GOMEMLIMIT in the environment restore the Go runtime's own policy.

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
	gc              *gcLimit // the collector's policy (nil: the runtime's)
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
		PartitionMode:  writer.PartitionMode(o.mode),
		Compression:    o.compression,
		BlockEncoders:  o.encoders,
		RowGroupMemory: loadRowGroupMemory,
		Logger:         newLogger(e, o.logLevel),
	}
	lim, err := wopts.PartitionMode.Limits()
	if err != nil {
		return usagef("--mode: %v", err)
	}
	gc, restoreGC := loadGC(e.getenv, lim.TargetBlockBytes)
	defer restoreGC()
	o.gc = gc
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

// A chunk travels from the reader through a decoder to a block writer;
// chunks (their buffers and entry slices) are recycled, which bounds the
// memory of a load to a few chunks of one block's input each, whatever
// the size of a commit.
type chunk struct {
	in        *input
	buf       []byte // the buffer data was read into, kept for the next chunk
	data      []byte
	firstLine int       // JSON lines: number of data's first line in its input
	lines     int       // JSON lines: lines in data
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
	// chunkBytes is the input size of the next chunk: one block of the
	// mode's target size (the writer's InputBytesPerBlock: the entry bytes
	// of one target block at the compression ratio of the blocks written
	// so far) at the ratio of entry bytes to input bytes seen so far.
	chunkBytes atomic.Int64
	sized      atomic.Bool // chunkBytes was set from a block written
	perCommit  int
	encoders   int // block writers at once
	pool       chan *chunk
	readBytes  atomic.Int64
	doneBytes  atomic.Int64 // input bytes of the chunks committed so far
	rows       atomic.Int64
	// Set by the writer's goroutines (one batch at a time, in order):
	// the chunk taken from order but not loaded yet, the ratio's sums.
	pending         *chunk
	inSum, entrySum int64
	// Chunk k is sized by the writer's estimate as it stood after chunk
	// k-sizeLag, learnt in chunk order (writer.BlockSizer): sizes[j] is
	// the size that gives, and sizedMu guards it and learnt, closed and
	// replaced when sizes grows. So the chunks, and the blocks, are the
	// same on every run, and the reader seldom waits: the chunks in
	// flight (depth) are fewer than sizeLag (with one block writer, which
	// writes them in order, as many), so chunk k-sizeLag is written before
	// chunk k can be read, unless one block lags far behind. The first
	// depth chunks, read before any is written, keep the initial size;
	// the ones up to sizeLag take the estimate after the first chunk.
	sizeLag, depth int
	sent           int // chunks handed to the writer (by the reader)
	sizedMu        sync.Mutex
	sizes          []int64
	learnt         chan struct{}
	lastLSN        map[string]int64
	rejectMu       sync.Mutex // guards reports and sum.Rejected
	reports        int
	sum            loadSummary
	next           string // the first input position not committed, for messages
}

// loadRowGroupMemory sizes the row groups of a load's blocks
// (writer.Options.RowGroupMemory): columns of four times the block's
// Parquet size, about half a block, instead of the library's default of
// three quarters (a row group of about a tenth of a block, which bounds
// the memory of a writer that shares its process). A load owns its
// process: for a 3 M line load of the events table, 7 % smaller files and
// 5 % less CPU (fewer dictionaries, pages and chunks to encode) for about
// 70 MB more resident memory.
const loadRowGroupMemory = 4

const (
	// initialRatio is the guess of entry bytes (what the writer's block
	// sizes count) per input byte before the first chunk tells.
	initialRatio  = 1.3
	minChunkBytes = 16 << 10
	maxChunkBytes = 1 << 30
	maxLineBytes  = 1 << 20
)

// pipeline returns how many decoders a load with encoders block writers
// runs on procs cores (GOMAXPROCS), and how many chunks it holds in flight
// (depth). The first depth chunks are read before any block is written:
// they keep the initial size, so a load's first depth blocks are its
// warm-up, longer on a machine with more cores.
func pipeline(encoders, procs int) (decoders, depth int) {
	decoders = max(1, procs/2)
	return decoders, max(encoders, 2) + decoders - 1
}

// setChunkBytes sizes the input chunk so that it makes one block of the
// target size, with the writer's latest estimate of the entry bytes of
// one block and entryPerInput entry bytes per input byte.
func (l *loader) setChunkBytes(entryPerInput float64) {
	block := float64(l.w.InputBytesPerBlock()) / entryPerInput // input bytes
	l.chunkBytes.Store(clamp(int64(block), minChunkBytes, maxChunkBytes))
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

	// One goroutine reads chunks of one block's input, decoders frame
	// their lines into entries, and the writer's block writers (--encoders
	// of them, each on its own goroutine) take the decoded chunks in turn
	// and write each as a block; every --blocks-per-commit blocks are one
	// commit, made while the block writers go on with the next ones. The
	// chunks in flight are the load's memory: one per block writer (and
	// one more per decoder beyond the first). A block writer that gives
	// its chunk back waits for the next to be read and decoded, but not
	// its core: that core reads and decodes it (reading and framing are a
	// sixth of the work), while the other block writers go on; a chunk
	// read ahead would only add a block's input to the memory. With one
	// block writer, one chunk is read and decoded while it writes.
	encoders := o.encoders
	if encoders == 0 {
		encoders = runtime.GOMAXPROCS(0)
	}
	l.encoders = encoders
	decoders, depth := pipeline(encoders, runtime.GOMAXPROCS(0))
	l.pool = make(chan *chunk, depth)
	l.depth, l.sizeLag, l.learnt = depth, depth+1, make(chan struct{})
	if encoders == 1 {
		l.sizeLag = depth
	}
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
	var finished bool // the reader handed out everything
	src := &commitSource{l: l, order: order, stop: cancel}
	_, err := w.FlushBlocks(ctx, src)
	finished = src.end
	cause := context.Cause(ctx)
	switch {
	case src.limit != nil:
		err = src.limit
	case err == nil:
	case outer.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled):
		// The reader failed and stopped the load: its error says why.
		readErr, err = cause, nil
	case src.fatal != nil && errors.Is(err, src.fatal):
	default:
		err = fmt.Errorf("writing the entries from %s on (what came before is committed): %w", src.firstUncommitted(), err)
	}
	if err != nil {
		flushErr = err
		cancel(err)
	}
	if finished {
		readErr = <-readDone
		wg.Wait()
	} else if readErr == nil {
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
	if flushErr != nil && !(readErr != nil && errors.Is(flushErr, readErr)) {
		return l.sum, flushErr
	}
	if readErr != nil {
		return l.sum, readErr
	}
	return l.sum, nil
}

// commitSource hands the writer the decoded chunks, one block's input
// each, a commit every --blocks-per-commit of them (writer.BlockSource).
type commitSource struct {
	l     *loader
	order <-chan *chunk
	stop  context.CancelCauseFunc // ends the load (--max-rejected)
	n     int                     // chunks handed out in the current commit
	mu    sync.Mutex              // guards what follows: Next, Done and Committed run on different goroutines
	taken []*chunk                // handed out, by batch number; nil once done
	// Per batch: the input positions of its start and of its end, its
	// input bytes and its entries' bytes.
	starts, ends      []string
	sizes, entrySizes []int64
	committed         int // batches committed
	// reports holds the rejected lines of the chunks done, until their
	// commit.
	reports map[int][]rejectedLine
	// fatal is the error of a chunk that could not be decoded; limit the
	// error of a load stopped by --max-rejected; end: the reader handed
	// out everything.
	fatal, limit error
	end          bool
}

// Next implements writer.BlockSource.
func (s *commitSource) Next(ctx context.Context) ([]cdc.Entry, error) {
	l := s.l
	if s.n >= l.perCommit {
		s.n = 0
		return nil, writer.ErrEndOfCommit
	}
	c := l.pending
	l.pending = nil
	if c == nil {
		select {
		case next, ok := <-s.order:
			if !ok {
				s.end = true
				return nil, io.EOF
			}
			c = next
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		l.pending = c
		return nil, context.Cause(ctx)
	}
	if c.err != nil {
		if s.n > 0 {
			// Commit what comes before it first.
			l.pending = c
			s.n = 0
			return nil, writer.ErrEndOfCommit
		}
		s.fatal = c.err
		return nil, c.err
	}
	start := fmt.Sprintf("%s line %d", c.in.name, c.firstLine)
	end := fmt.Sprintf("%s line %d", c.in.name, c.firstLine+c.lines)
	if c.in.binary {
		first, last := c.frames[0], c.frames[len(c.frames)-1]
		start = fmt.Sprintf("%s byte %d", c.in.name, first.at)
		end = fmt.Sprintf("%s byte %d", c.in.name, last.at+int64(last.n))
	}
	s.n++
	l.sum.Entries += int64(len(c.entries))
	l.assignLSNs(c.entries)
	s.mu.Lock()
	s.taken = append(s.taken, c)
	s.starts, s.ends = append(s.starts, start), append(s.ends, end)
	s.sizes = append(s.sizes, int64(len(c.data)))
	s.entrySizes = append(s.entrySizes, c.entrySize)
	s.mu.Unlock()
	return c.entries, nil
}

// firstUncommitted names the input position of the first batch not
// committed.
func (s *commitSource) firstUncommitted() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed < len(s.starts) {
		return s.starts[s.committed]
	}
	return s.l.where()
}

// Done implements writer.BlockSource: the chunk's rejected lines are
// described (they are reported once the chunk is committed) and the
// chunk goes back to the pool.
func (s *commitSource) Done(batch int, rejected []*engine.RowError) {
	l := s.l
	s.mu.Lock()
	c := s.taken[batch]
	s.taken[batch] = nil
	s.mu.Unlock()
	lines := l.rejectedLines(c, rejected)
	s.mu.Lock()
	if s.reports == nil {
		s.reports = map[int][]rejectedLine{}
	}
	s.reports[batch] = lines
	s.mu.Unlock()
	l.pool <- c
	// The memory limit follows the working set (see loadGC).
	l.o.gc.follow(liveHeap())
}

// Learnt implements writer.BlockSizer: the writer's estimate after the
// blocks of chunk batch and of all before it sizes chunk batch+sizeLag,
// with the entry bytes per input byte of the same chunks.
func (s *commitSource) Learnt(batch int, inputBytesPerBlock int64) {
	l := s.l
	s.mu.Lock()
	l.inSum += s.sizes[batch]
	l.entrySum += s.entrySizes[batch]
	s.mu.Unlock()
	perInput := initialRatio
	if l.inSum > 0 && l.entrySum > 0 {
		perInput = float64(l.entrySum) / float64(l.inSum)
	}
	size := clamp(int64(float64(inputBytesPerBlock)/perInput), minChunkBytes, maxChunkBytes)
	l.sizedMu.Lock()
	l.sizes = append(l.sizes, size)
	if l.learnt != nil {
		close(l.learnt)
	}
	l.learnt = make(chan struct{})
	l.sizedMu.Unlock()
}

// sizeNext sizes the next chunk (chunkBytes): by the estimate after the
// chunk sizeLag before it (the first chunk at least) once the writer has
// learnt it, waiting for that if need be; the first depth chunks keep the
// initial size.
func (l *loader) sizeNext(ctx context.Context) error {
	if l.o.batchRows != 0 || l.sizeLag == 0 || l.sent < l.depth {
		return nil
	}
	j := max(l.sent-l.sizeLag, 0)
	for {
		l.sizedMu.Lock()
		learnt := l.learnt
		if j < len(l.sizes) {
			l.chunkBytes.Store(l.sizes[j])
			l.sizedMu.Unlock()
			l.sized.Store(true)
			return nil
		}
		l.sizedMu.Unlock()
		select {
		case <-learnt:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// Committed implements writer.BlockSource: the commit's rejected lines
// are reported, in input order, and the summary and the progress take the
// commit in; past --max-rejected the load stops.
func (s *commitSource) Committed(res writer.FlushResult, end int) {
	l := s.l
	s.mu.Lock()
	var in int64
	var lines []rejectedLine
	for b := s.committed; b < end; b++ {
		in += s.sizes[b]
		lines = append(lines, s.reports[b]...)
		delete(s.reports, b)
	}
	l.next = s.ends[end-1]
	s.committed = end
	s.mu.Unlock()
	l.report(lines)
	l.sum.Blocks += int64(len(res.BlockPaths))
	l.sum.Rows += res.RowCount
	l.sum.Bytes += res.Bytes
	l.sum.Duplicates += int64(res.Duplicates)
	l.sum.Version = res.Version
	l.rows.Add(res.RowCount)
	l.doneBytes.Add(in)
	l.rejectMu.Lock()
	err := l.checkRejected()
	l.rejectMu.Unlock()
	if err != nil && s.limit == nil {
		s.limit = err
		s.stop(err)
	}
}

// rejectedLine is a rejected line of a chunk, described.
type rejectedLine struct {
	where string
	line  int
	msg   string
}

// rejectedLines describes the lines of a chunk that were rejected: too
// long, undecodable, or refused by the shredder (rejected, indexes into
// the chunk's entries); in line order.
func (l *loader) rejectedLines(c *chunk, rejected []*engine.RowError) []rejectedLine {
	var all []rejectedLine
	for _, s := range c.skipped {
		all = append(all, rejectedLine{line: s.line, msg: fmt.Sprintf("%v: %d bytes, limit %d", cdc.ErrLineTooLong, s.length, maxLineBytes)})
	}
	for _, le := range c.lineErrs {
		all = append(all, rejectedLine{line: c.firstLine + le.Line - 1, msg: le.Err.Error()})
	}
	if c.in.binary {
		for _, re := range rejected {
			all = append(all, rejectedLine{where: binaryPosition(c, re.Index), line: re.Index, msg: re.Err.Error()})
		}
	} else if len(rejected) > 0 {
		// The shredder validated the rows (FrameData): place its errors
		// on their lines, with the validating decoder's words.
		for _, le := range engine.LineErrors(nil, c.data, c.entries, rejected, &l.jsonOpts) {
			all = append(all, rejectedLine{line: c.firstLine + le.Line - 1, msg: le.Err.Error()})
		}
	}
	slices.SortStableFunc(all, func(a, b rejectedLine) int { return a.line - b.line })
	for i := range all {
		if all[i].where == "" {
			all[i].where = fmt.Sprintf("%s:%d", c.in.name, all[i].line)
		}
	}
	return all
}

// report counts and reports rejected lines.
func (l *loader) report(lines []rejectedLine) {
	if len(lines) == 0 {
		return
	}
	l.rejectMu.Lock()
	defer l.rejectMu.Unlock()
	for _, r := range lines {
		l.rejectAt(r.where, r.msg)
	}
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
		if err := l.sizeNext(ctx); err != nil {
			l.pool <- c
			return nil, err
		}
		// Buffers only grow, with room for the estimate to grow a little:
		// a new one is tens of megabytes of fresh memory for the kernel
		// to fault in and for the collector to account for.
		want := int(l.chunkBytes.Load())
		if cap(c.buf) < want {
			size := want + want/4
			if !l.sized.Load() {
				// The first chunks are cut small, before the compression
				// is known; later ones are several times larger. Fresh
				// memory is not touched beyond what is read into it, so
				// a larger buffer now spares replacing it soon.
				size = 8 * want
			}
			c.buf = make([]byte, 0, min(size, maxChunkBytes))
		}
		*c = chunk{in: in, buf: c.buf, data: c.buf[:0:want], entries: c.entries[:0], frames: c.frames[:0], ready: make(chan struct{})}
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
			l.sent++
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
			if in.size >= 0 && l.o.batchRows == 0 {
				c.data = c.data[:0:l.tailChunk(in.size-lc.offset, cap(c.data))]
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
			c.lines = lc.line - first + 1 // the lines after this chunk start at firstLine+lines
			if len(data) > 0 && data[len(data)-1] != '\n' {
				c.lines-- // the input's last line, without its newline
			}
			if err := send(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// tailChunk returns the size of the next chunk of an input with rest
// bytes left when chunks are of want bytes: near the end of the input,
// where whole chunks would leave one block writer alone with the last
// one, the rest is shared evenly among the block writers (rest between
// encoders-1 and encoders chunks: that many chunks of equal size).
func (l *loader) tailChunk(rest int64, want int) int {
	e := int64(l.encoders)
	if e < 2 || rest <= (e-1)*int64(want) || rest > e*int64(want) {
		return want
	}
	// A little more than an even share, so that the cut at the last
	// newline leaves no small chunk after the others.
	return int(min(rest/e+min(rest/e/16, maxLineBytes), int64(want)))
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
	if n := c.lines + 1; cap(c.entries) < n && !c.in.binary {
		// One entry per line: grown once, not by doubling as it fills,
		// and for as many lines of this size as the chunk's buffer holds
		// (the first chunks are cut small, the later ones fill the
		// buffer): entries grown again later would be fresh memory, and
		// the room not used costs no memory until it is (at most eight
		// times the lines of this chunk: the heap counts the room).
		size := n + n/8
		if avg := len(c.data) / n; avg > 0 {
			size = max(size, min(cap(c.buf)/avg, 8*n))
		}
		c.entries = make([]cdc.Entry, 0, size)
	}
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
