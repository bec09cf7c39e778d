package writer

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// Defaults of CompactorOptions.
const (
	DefaultTargetBlockSize    = 64 << 20
	DefaultMinBlocksToCompact = 4
	// DefaultCompactReadWindow is how much of an input block one ranged
	// read fetches; inputs no larger are read whole.
	DefaultCompactReadWindow = 8 << 20
)

// CompactorOptions configure a BlockCompactor. Zero fields take the
// defaults.
type CompactorOptions struct {
	// TargetBlockSize is the size of the blocks compaction makes; blocks
	// smaller than it are candidates [DefaultTargetBlockSize, 64 MiB].
	TargetBlockSize int64
	// MinBlocksToCompact is the fewest small blocks worth merging into one
	// [DefaultMinBlocksToCompact, 4].
	MinBlocksToCompact int
	// MaxBlocksPerCompaction bounds the input blocks of one Compact call
	// (0: no bound). Later calls take the rest.
	MaxBlocksPerCompaction int
	// RowGroupBytes is the column data buffered before an output row group
	// is written [engine.DefaultMergeRowGroupBytes].
	RowGroupBytes int
	// Compression of the new blocks: "zstd" (default), "snappy", "none".
	Compression string
	// ReadWindow is the size of one ranged read of an input block
	// [DefaultCompactReadWindow].
	ReadWindow int64
	// Clock gives the modification time of new blocks (default
	// time.Now). The removed blocks' deletionTimestamp is the commit's
	// timestamp on the table's clock (manifest.Options.Now), taken at the
	// commit attempt that lands.
	Clock func() time.Time
}

func (o *CompactorOptions) defaults() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"TargetBlockSize", o.TargetBlockSize}, {"MinBlocksToCompact", int64(o.MinBlocksToCompact)},
		{"MaxBlocksPerCompaction", int64(o.MaxBlocksPerCompaction)}, {"RowGroupBytes", int64(o.RowGroupBytes)},
		{"ReadWindow", o.ReadWindow},
	} {
		if f.v < 0 {
			return fmt.Errorf("writer: CompactorOptions.%s is negative (%d)", f.name, f.v)
		}
	}
	if o.TargetBlockSize == 0 {
		o.TargetBlockSize = DefaultTargetBlockSize
	}
	if o.MinBlocksToCompact == 0 {
		o.MinBlocksToCompact = DefaultMinBlocksToCompact
	}
	if o.MinBlocksToCompact < 2 {
		return fmt.Errorf("writer: CompactorOptions.MinBlocksToCompact is %d; merging needs at least 2 blocks", o.MinBlocksToCompact)
	}
	if o.MaxBlocksPerCompaction > 0 && o.MaxBlocksPerCompaction < o.MinBlocksToCompact {
		return fmt.Errorf("writer: CompactorOptions.MaxBlocksPerCompaction %d is below MinBlocksToCompact %d", o.MaxBlocksPerCompaction, o.MinBlocksToCompact)
	}
	if o.RowGroupBytes == 0 {
		o.RowGroupBytes = engine.DefaultMergeRowGroupBytes
	}
	if o.ReadWindow == 0 {
		o.ReadWindow = DefaultCompactReadWindow
	}
	if _, _, err := compactCompression(o.Compression); err != nil {
		return err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return nil
}

func compactCompression(name string) (parquet.Compression, bool, error) {
	switch strings.ToLower(name) {
	case "", "zstd":
		return parquet.Zstd, false, nil
	case "snappy":
		return parquet.Snappy, false, nil
	case "none", "uncompressed":
		return parquet.Uncompressed, true, nil
	}
	return 0, false, fmt.Errorf("writer: CompactorOptions.Compression %q: want zstd, snappy or none", name)
}

// BlockCompactor merges the small blocks of a table into blocks of the
// target size. It is safe for concurrent use, though two compactions of
// one table at once conflict and one of them is abandoned.
//
// A compaction reads the latest snapshot, takes the active blocks smaller
// than TargetBlockSize, orders them by their smallest _lsn (from add.stats,
// then by modification time and path), and cuts that sequence into groups
// whose sizes add up to the target; the last group is merged only if it
// has at least MinBlocksToCompact blocks. Each group becomes one new
// block: the rows of its inputs in that order, under the union of their
// schemas (a column an input lacks is null in its rows; _rescued and the
// metadata columns are kept as they are), streamed to the store a row
// group at a time, with at most one input row group and one output row
// group in memory. All groups are committed at once (operation OPTIMIZE):
// a remove (dataChange false) per input and an add (dataChange false,
// with stats) per new block. If a concurrent commit removed one of the
// inputs the commit fails with an error matching manifest.ErrConflict and
// nothing changes in the table; the blocks already uploaded are orphans
// that Vacuum deletes after the retention. Compact never deletes a file.
type BlockCompactor struct {
	t    *manifest.Table
	opts CompactorOptions
}

// NewCompactor returns a compactor of table t.
func NewCompactor(t *manifest.Table, opts CompactorOptions) (*BlockCompactor, error) {
	if t == nil {
		return nil, errors.New("writer: NewCompactor: nil table")
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	return &BlockCompactor{t: t, opts: opts}, nil
}

// CompactResult describes a compaction.
type CompactResult struct {
	CompactedBlocks int // input blocks removed
	NewBlocks       int // blocks added
	// BytesReclaimed is the size of the inputs minus the size of the new
	// blocks: what the table's active files shrank by (negative if the
	// new blocks are larger, e.g. when recompressing uncompressed inputs).
	// The inputs' bytes stay in the store until Vacuum.
	BytesReclaimed int64
	BytesRead      int64 // size of the inputs
	BytesWritten   int64 // size of the new blocks
	Rows           int64 // rows moved
	// Version is the version of the compaction's commit, or the snapshot's
	// version when there was nothing to compact.
	Version  int64
	NewPaths []string // keys of the new blocks, relative to the table
}

// compactInput is a candidate block.
type compactInput struct {
	add    manifest.AddFile
	key    string
	minLSN int64
	hasLSN bool
}

// Plan returns the groups of blocks of s a compaction would merge, each
// group the keys of the blocks that become one new block.
func (c *BlockCompactor) Plan(s *manifest.Snapshot) [][]string {
	var out [][]string
	for _, g := range planCompaction(s.Files(), c.opts) {
		keys := make([]string, len(g))
		for i, in := range g {
			keys[i] = in.key
		}
		out = append(out, keys)
	}
	return out
}

// Pending is the number of new blocks a compaction of s would make: the
// Stats.CompactionsPending figure.
func (c *BlockCompactor) Pending(s *manifest.Snapshot) int {
	return len(planCompaction(s.Files(), c.opts))
}

// lsnOf reads the smallest _lsn of a block from its stats.
func lsnOf(a *manifest.AddFile) (int64, bool) {
	st, err := a.ParseStats()
	if err != nil || st == nil {
		return 0, false
	}
	v, ok := st.MinValues[engine.ColLSN]
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case float64:
		return int64(x), x == math.Trunc(x)
	}
	return 0, false
}

func planCompaction(files []manifest.AddFile, opts CompactorOptions) [][]compactInput {
	var cands []compactInput
	for _, f := range files {
		if f.Size >= opts.TargetBlockSize {
			continue
		}
		key, err := f.Key()
		if err != nil || !strings.HasSuffix(key, ".parquet") {
			continue
		}
		in := compactInput{add: f, key: key}
		in.minLSN, in.hasLSN = lsnOf(&f)
		cands = append(cands, in)
	}
	if len(cands) < opts.MinBlocksToCompact {
		return nil
	}
	slices.SortFunc(cands, func(a, b compactInput) int {
		if a.hasLSN != b.hasLSN {
			if a.hasLSN {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.minLSN, b.minLSN), cmp.Compare(a.add.ModificationTime, b.add.ModificationTime), strings.Compare(a.key, b.key))
	})
	if opts.MaxBlocksPerCompaction > 0 && len(cands) > opts.MaxBlocksPerCompaction {
		cands = cands[:opts.MaxBlocksPerCompaction]
	}
	var groups [][]compactInput
	var cur []compactInput
	var size int64
	for _, in := range cands {
		cur = append(cur, in)
		size += in.add.Size
		if size >= opts.TargetBlockSize {
			if len(cur) >= 2 {
				groups = append(groups, cur)
			}
			cur, size = nil, 0
		}
	}
	if len(cur) >= opts.MinBlocksToCompact {
		groups = append(groups, cur)
	}
	return groups
}

// Compact runs one compaction of the table's latest snapshot.
func (c *BlockCompactor) Compact(ctx context.Context) (CompactResult, error) {
	res, _, err := c.compact(ctx, nil)
	return res, err
}

// compact compacts the table from snapshot base (nil: the latest) and
// returns the snapshot after the compaction's commit (or the one it read,
// when there was nothing to do; nil on error).
func (c *BlockCompactor) compact(ctx context.Context, base *manifest.Snapshot) (CompactResult, *manifest.Snapshot, error) {
	var err error
	if base == nil {
		base, err = c.t.Snapshot(ctx)
	} else {
		base, err = c.t.Update(ctx, base)
	}
	if err != nil {
		return CompactResult{}, nil, fmt.Errorf("writer: compaction: reading the table: %w", err)
	}
	snap := base
	res := CompactResult{Version: snap.Version()}
	groups := planCompaction(snap.Files(), c.opts)
	if len(groups) == 0 {
		return res, snap, nil
	}
	tableSchema, err := snap.Schema()
	if err != nil {
		return res, nil, fmt.Errorf("writer: compaction: %w", err)
	}
	store := c.t.Store()
	var adds []manifest.Action
	var inputs []compactInput
	for _, g := range groups {
		add, rows, err := c.mergeGroup(ctx, store, g, tableSchema)
		if err != nil {
			return res, nil, fmt.Errorf("writer: compaction abandoned before its commit (%d new blocks already uploaded are left for Vacuum): %w", len(adds), err)
		}
		adds = append(adds, manifest.Action{Add: add})
		inputs = append(inputs, g...)
		res.Rows += rows
		res.BytesWritten += add.Size
		key, _ := add.Key()
		res.NewPaths = append(res.NewPaths, key)
	}
	// The removes' deletionTimestamp is set by Commit (StampRemoves) at
	// the attempt that lands: Vacuum's retention counts from it, and a
	// commit that lost races for a while must not date its removes early.
	now := c.opts.Clock()
	actions := make([]manifest.Action, 0, len(inputs)+len(adds))
	for _, in := range inputs {
		rm := in.add.Remove(now, false)
		actions = append(actions, manifest.Action{Remove: &rm})
		res.BytesRead += in.add.Size
	}
	actions = append(actions, adds...)
	cr, err := c.t.Commit(ctx, snap, actions, manifest.CommitOptions{
		Operation:    "OPTIMIZE",
		StampRemoves: true,
		OperationParameters: map[string]string{
			"targetSize":   strconv.FormatInt(c.opts.TargetBlockSize, 10),
			"inputBlocks":  strconv.Itoa(len(inputs)),
			"outputBlocks": strconv.Itoa(len(adds)),
		},
	})
	if err != nil {
		if errors.Is(err, manifest.ErrConflict) {
			return res, nil, fmt.Errorf("writer: compaction abandoned: a concurrent commit removed one of its %d inputs; its %d new blocks are left for Vacuum: %w", len(inputs), len(adds), err)
		}
		return res, nil, fmt.Errorf("writer: compaction commit (its %d new blocks are left for Vacuum unless the commit landed): %w", len(adds), err)
	}
	res.Version = cr.Version
	res.CompactedBlocks = len(inputs)
	res.NewBlocks = len(adds)
	res.BytesReclaimed = res.BytesRead - res.BytesWritten
	return res, cr.Snapshot, nil
}

// newBlockKey returns a fresh key under data/.
func newBlockKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("writer: random block id: %w", err)
	}
	return "data/blk_" + hex.EncodeToString(b[:]) + ".parquet", nil
}

// mergeGroup writes the rows of the blocks of g, in order, as one new
// block and returns its add action and row count.
func (c *BlockCompactor) mergeGroup(ctx context.Context, store upload.Store, g []compactInput, tableSchema manifest.StructType) (*manifest.AddFile, int64, error) {
	// First pass: the footers, for the merged schema. Only the footers
	// stay in memory; each input's bytes are read again in the second pass.
	readers := make([]*storeReaderAt, len(g))
	files := make([]*engine.BlockFile, len(g))
	schemas := make([]*parquet.Node, len(g))
	var want int64
	for i, in := range g {
		readers[i] = &storeReaderAt{ctx: ctx, store: store, key: in.key, size: in.add.Size, window: c.opts.ReadWindow}
		bf, err := engine.OpenBlock(readers[i], in.add.Size)
		if err != nil {
			return nil, 0, fmt.Errorf("opening input %s: %w", in.key, err)
		}
		files[i], schemas[i] = bf, bf.Schema()
		want += bf.NumRows()
		readers[i].release()
	}
	schema, err := engine.MergeSchema(schemas...)
	if err != nil {
		return nil, 0, fmt.Errorf("inputs %s: %w", groupKeys(g), err)
	}
	if err := checkTableTypes(schema, tableSchema); err != nil {
		return nil, 0, err
	}
	key, err := newBlockKey()
	if err != nil {
		return nil, 0, err
	}
	var hint int64
	for _, in := range g {
		hint += in.add.Size
	}
	w, err := store.Create(ctx, key, upload.PutOptions{IfAbsent: true, SizeHint: hint})
	if err != nil {
		return nil, 0, fmt.Errorf("creating %s: %w", key, err)
	}
	ok := false
	defer func() {
		if !ok {
			w.Abort()
		}
	}()
	comp, uncompressed, _ := compactCompression(c.opts.Compression)
	m, err := engine.NewMerger(w, schema, engine.MergeOptions{
		Parquet:       parquet.WriterOptions{Compression: comp},
		Uncompressed:  uncompressed,
		RowGroupBytes: c.opts.RowGroupBytes,
		RowsHint:      want,
	})
	if err != nil {
		return nil, 0, err
	}
	for i, in := range g {
		if err := m.AppendBlock(ctx, files[i]); err != nil {
			return nil, 0, fmt.Errorf("merging input %s into %s: %w", in.key, key, err)
		}
		readers[i].release()
	}
	info, err := m.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("writing %s: %w", key, err)
	}
	if info.Rows != want {
		return nil, 0, fmt.Errorf("writing %s: %d rows merged, the inputs hold %d", key, info.Rows, want)
	}
	if err := w.Close(); err != nil {
		return nil, 0, fmt.Errorf("uploading %s: %w", key, err)
	}
	ok = true
	st, err := deltaStats(info.Footer)
	if err != nil {
		return nil, 0, fmt.Errorf("stats of %s: %w", key, err)
	}
	stats, err := manifest.EncodeStats(st)
	if err != nil {
		return nil, 0, fmt.Errorf("stats of %s: %w", key, err)
	}
	size := info.Bytes
	if wi := w.Info(); wi.Size > 0 {
		size = wi.Size
	}
	return &manifest.AddFile{
		Path: manifest.EncodePath(key), PartitionValues: map[string]string{},
		Size: size, ModificationTime: c.opts.Clock().UnixMilli(), DataChange: false,
		Stats: stats,
	}, info.Rows, nil
}

func groupKeys(g []compactInput) string {
	keys := make([]string, len(g))
	for i, in := range g {
		keys[i] = in.key
	}
	return strings.Join(keys, ", ")
}

// storeReaderAt reads an object through ranged gets of a window at a
// time; an object no larger than the window is read whole once.
type storeReaderAt struct {
	ctx    context.Context
	store  upload.Store
	key    string
	size   int64
	window int64
	buf    []byte
	off    int64
}

func (r *storeReaderAt) release() { r.buf = nil }

func (r *storeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > r.size {
		return 0, fmt.Errorf("read of %d bytes at %d beyond the %d bytes of %s", len(p), off, r.size, r.key)
	}
	if r.buf == nil || off < r.off || off+int64(len(p)) > r.off+int64(len(r.buf)) {
		start, end := off, min(r.size, off+max(int64(len(p)), r.window))
		if r.size <= r.window {
			start, end = 0, r.size
		}
		data, err := r.store.GetRange(r.ctx, r.key, start, end-start)
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", r.key, err)
		}
		if int64(len(data)) != end-start {
			return 0, fmt.Errorf("reading %s: %d bytes at %d, want %d (the object changed size?)", r.key, len(data), start, end-start)
		}
		r.buf, r.off = data, start
	}
	return copy(p, r.buf[off-r.off:]), nil
}

// checkTableTypes checks the merged block's columns against the table
// schema: a column the table declares must have a matching type. Columns
// the table does not declare, and type names this check does not know,
// pass.
func checkTableTypes(schema *parquet.Node, table manifest.StructType) error {
	return checkStructTypes(schema.Children, table, "")
}

func checkStructTypes(cols []*parquet.Node, table manifest.StructType, path string) error {
	for _, n := range cols {
		p := n.Name
		if path != "" {
			p = path + "." + n.Name
		}
		for _, f := range table.Fields {
			if f.Name != n.Name {
				continue
			}
			if err := checkType(n, f.Type, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkType(n *parquet.Node, t manifest.DataType, path string) error {
	bad := func() error {
		return fmt.Errorf("column %s of the blocks does not match the table's type %s", path, t)
	}
	switch {
	case t.Struct != nil:
		if n.IsLeaf() || n.Logical != parquet.NoLogical {
			return bad()
		}
		return checkStructTypes(n.Children, *t.Struct, path)
	case t.Array != nil:
		if n.Logical != parquet.List || len(n.Children) != 1 || len(n.Children[0].Children) != 1 {
			return bad()
		}
		return checkType(n.Children[0].Children[0], t.Array.ElementType, path+"[]")
	case t.Map != nil:
		if n.Logical != parquet.Map {
			return bad()
		}
		return nil
	}
	if !n.IsLeaf() {
		return bad()
	}
	var ok bool
	switch t.Primitive {
	case "long":
		ok = n.Type == parquet.Int64 && n.Logical == parquet.NoLogical
	case "integer", "short", "byte":
		ok = n.Type == parquet.Int32 || n.Type == parquet.Int64
	case "double":
		ok = n.Type == parquet.Double
	case "float":
		ok = n.Type == parquet.Float || n.Type == parquet.Double
	case "boolean":
		ok = n.Type == parquet.Boolean
	case "string":
		ok = n.Type == parquet.ByteArray && n.Logical != parquet.NoLogical
	case "binary":
		ok = n.Type == parquet.ByteArray
	case "timestamp", "timestamp_ntz":
		ok = n.Type == parquet.Int64 && n.Logical == parquet.TimestampMicros
	default:
		ok = true // decimal(p,s), date, ...: not produced by this writer
	}
	if !ok {
		return bad()
	}
	return nil
}

// compactorOptions are the writer's compaction options, with its clock.
func (w *LakehouseWriter) compactorOptions() CompactorOptions {
	o := w.cfg.Compaction
	if o.Clock == nil {
		o.Clock = w.cfg.Clock
	}
	return o
}

// Compact runs one compaction of the table with Options.Compaction (see
// BlockCompactor): the small blocks become blocks of the target size in one
// commit. It may run beside Flushes of this and other writers; an error
// matching manifest.ErrConflict means another compaction took the same
// blocks first, and nothing changed.
func (w *LakehouseWriter) Compact(ctx context.Context) (CompactResult, error) {
	if w.closed.Load() {
		return CompactResult{}, ErrClosed
	}
	c, err := NewCompactor(w.table, w.compactorOptions())
	if err != nil {
		return CompactResult{}, err
	}
	res, snap, err := c.compact(ctx, w.latest())
	if snap != nil {
		w.remember(snap)
	}
	return res, err
}

// Vacuum deletes the table's files that no snapshot of the last retention
// needs (see the package function Vacuum; 0: the table's tombstone
// retention, DefaultVacuumRetention unless the table sets
// delta.deletedFileRetentionDuration; a retention under MinVacuumRetention
// or above the table's tombstone retention is refused), on the writer's
// clock for tombstones and the store's for orphans.
func (w *LakehouseWriter) Vacuum(ctx context.Context, retention time.Duration) (VacuumResult, error) {
	if w.closed.Load() {
		return VacuumResult{}, ErrClosed
	}
	return Vacuum(ctx, w.table, VacuumOptions{Retention: retention, Now: w.cfg.Clock})
}

// pendingCache keeps the CompactionsPending figure of one snapshot
// version, so that Stats plans a compaction once per version.
type pendingCache struct {
	mu      sync.Mutex
	version int64
	n       int
	valid   bool
}

// compactionsPending is the number of blocks a compaction of the latest
// snapshot the writer knows would make.
func (w *LakehouseWriter) compactionsPending() int {
	s := w.latest()
	if s == nil {
		return 0
	}
	p := &w.pending
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.valid && p.version == s.Version() {
		return p.n
	}
	opts := w.compactorOptions()
	if err := opts.defaults(); err != nil {
		return 0
	}
	p.n, p.version, p.valid = len(planCompaction(s.Files(), opts)), s.Version(), true
	return p.n
}
