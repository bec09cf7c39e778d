package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/evodb/writer/engine/parquet"
)

// ErrMergeSchema wraps every reason why blocks cannot be merged into one:
// a column whose type or repetition differs between blocks, or names
// that differ only in case.
var ErrMergeSchema = errors.New("engine: blocks cannot be merged")

// DefaultMergeRowGroupBytes is the default size of the column data a
// Merger buffers before it writes a row group.
const DefaultMergeRowGroupBytes = 32 << 20

// MergeSchema returns the schema of a block that holds the rows of blocks
// with the given schemas: every column of every schema, in the order first
// seen, with _rescued kept last at the top. Columns present in several
// schemas must agree on type, logical type and repetition at every level;
// a column present in only some schemas must be optional (or repeated) at
// the first level missing elsewhere, so that the other blocks' rows read it
// as null.
func MergeSchema(schemas ...*parquet.Node) (*parquet.Node, error) {
	if len(schemas) == 0 {
		return nil, fmt.Errorf("%w: no schema", ErrMergeSchema)
	}
	var out *parquet.Node
	for i, s := range schemas {
		if s == nil || s.IsLeaf() {
			return nil, fmt.Errorf("%w: schema %d is not a group", ErrMergeSchema, i)
		}
		if out == nil {
			out = cloneNode(s)
			continue
		}
		if err := mergeInto(out, s, ""); err != nil {
			return nil, err
		}
	}
	// _rescued stays the last top-level column.
	for i, c := range out.Children {
		if c.Name == ColRescued && i != len(out.Children)-1 {
			out.Children = append(append(out.Children[:i:i], out.Children[i+1:]...), c)
			break
		}
	}
	if _, err := parquet.LeafColumns(out); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMergeSchema, err)
	}
	return out, nil
}

func cloneNode(n *parquet.Node) *parquet.Node {
	c := *n
	if n.Children != nil {
		c.Children = make([]*parquet.Node, len(n.Children))
		for i, ch := range n.Children {
			c.Children[i] = cloneNode(ch)
		}
	}
	return &c
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// sameShape compares what two nodes of the same name must share.
func sameShape(a, b *parquet.Node, path string) error {
	switch {
	case a.IsLeaf() != b.IsLeaf():
		return fmt.Errorf("%w: column %s is a group in one block and a leaf in another", ErrMergeSchema, path)
	case a.Repetition != b.Repetition:
		return fmt.Errorf("%w: column %s has repetition %d in one block and %d in another", ErrMergeSchema, path, a.Repetition, b.Repetition)
	case a.Logical != b.Logical:
		return fmt.Errorf("%w: column %s has logical type %d in one block and %d in another", ErrMergeSchema, path, a.Logical, b.Logical)
	case a.IsLeaf() && a.Type != b.Type:
		return fmt.Errorf("%w: column %s has physical type %d in one block and %d in another", ErrMergeSchema, path, a.Type, b.Type)
	}
	return nil
}

// mergeInto adds the columns of group src missing from group dst to dst.
func mergeInto(dst, src *parquet.Node, path string) error {
	for _, sc := range src.Children {
		p := joinPath(path, sc.Name)
		var match *parquet.Node
		for _, dc := range dst.Children {
			if dc.Name == sc.Name {
				match = dc
				break
			}
			if strings.EqualFold(dc.Name, sc.Name) {
				return fmt.Errorf("%w: columns %s and %s differ only in case", ErrMergeSchema, joinPath(path, dc.Name), p)
			}
		}
		if match == nil {
			if sc.Repetition == parquet.Required {
				return fmt.Errorf("%w: required column %s is missing from another block", ErrMergeSchema, p)
			}
			dst.Children = append(dst.Children, cloneNode(sc))
			continue
		}
		if err := sameShape(match, sc, p); err != nil {
			return err
		}
		if !sc.IsLeaf() {
			if err := mergeInto(match, sc, p); err != nil {
				return err
			}
		}
	}
	// Required columns of dst must be in every block.
	for _, dc := range dst.Children {
		if dc.Repetition != parquet.Required {
			continue
		}
		found := false
		for _, sc := range src.Children {
			if sc.Name == dc.Name {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: required column %s is missing from another block", ErrMergeSchema, joinPath(path, dc.Name))
		}
	}
	return nil
}

// MergeOptions configure a Merger. The zero value writes zstd (level 1)
// row groups of DefaultMergeRowGroupBytes of column data.
type MergeOptions struct {
	// Parquet configures the encoder. Its zero Compression (none) is taken
	// to mean zstd at ZstdLevel (default 1); set Uncompressed for none.
	Parquet      parquet.WriterOptions
	Uncompressed bool
	// RowGroupBytes is the amount of column data (values and levels, as
	// held in memory) buffered before a row group is written.
	RowGroupBytes int
	// RowsHint is the number of rows expected in all (0: unknown). The
	// buffers of the output row group are then sized once from the first
	// rows appended, instead of growing step by step.
	RowsHint int64
}

// MergeInfo describes a block a Merger wrote.
type MergeInfo struct {
	Schema    *parquet.Node
	Rows      int64
	RowGroups []parquet.RowGroupInfo // as written in the footer, with statistics
	Bytes     int64                  // bytes written to the io.Writer
	// Footer is the written file's footer, read back from the bytes
	// written: its metadata (schema, row groups, statistics) only; reading
	// column data from it fails.
	Footer *parquet.File
}

// Merger writes one block holding the rows of other blocks, in the order
// they are appended, under a schema that covers them all (MergeSchema):
// a column a block lacks is null in that block's rows. It holds one input
// row group at a time (the caller's) and the output row group being filled;
// output row groups are streamed to the io.Writer as they fill. Not safe
// for concurrent use.
type Merger struct {
	schema *parquet.Node
	opts   MergeOptions
	out    *footerWriter
	pw     *parquet.Writer
	cols   []parquet.ColumnData // the output row group being filled
	nodes  [][]*parquet.Node    // per output leaf: the nodes from the root's child down to it
	rows   int64                // rows buffered in cols
	total  int64
	buf    int // bytes buffered in cols
	err    error
	closed bool
}

// footerWriter counts the bytes written and keeps those written while
// capture is set: the footer, written by one call during Close.
type footerWriter struct {
	w       io.Writer
	n       int64
	capture bool
	tail    []byte
}

func (f *footerWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.n += int64(n)
	if f.capture {
		f.tail = append(f.tail, p[:n]...)
	}
	return n, err
}

// defaultCompression sets the codec of a writer's options: none when
// uncompressed is set, and zstd (level 1 unless one is given) when the
// options leave it unset.
func defaultCompression(o *parquet.WriterOptions, uncompressed bool) {
	if uncompressed {
		o.Compression = parquet.Uncompressed
	} else if o.Compression == parquet.Uncompressed {
		o.Compression = parquet.Zstd
		if o.ZstdLevel == 0 {
			o.ZstdLevel = 1
		}
	}
}

// NewMerger starts a block with the given schema (usually from
// MergeSchema) on out.
func NewMerger(out io.Writer, schema *parquet.Node, opts MergeOptions) (*Merger, error) {
	defaultCompression(&opts.Parquet, opts.Uncompressed)
	if opts.RowGroupBytes <= 0 {
		opts.RowGroupBytes = DefaultMergeRowGroupBytes
	}
	cols, err := parquet.LeafColumns(schema)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMergeSchema, err)
	}
	m := &Merger{schema: schema, opts: opts, out: &footerWriter{w: out}, cols: cols}
	for i := range cols {
		m.nodes = append(m.nodes, nodeChain(schema, cols[i].Path))
	}
	m.reset()
	pw, err := parquet.NewWriter(m.out, schema, opts.Parquet)
	if err != nil {
		return nil, fmt.Errorf("engine: parquet writer: %w", err)
	}
	m.pw = pw
	return m, nil
}

// nodeChain returns the nodes along path below root.
func nodeChain(root *parquet.Node, path []string) []*parquet.Node {
	var chain []*parquet.Node
	n := root
	for _, name := range path {
		var next *parquet.Node
		for _, c := range n.Children {
			if c.Name == name {
				next = c
				break
			}
		}
		if next == nil {
			return chain
		}
		chain = append(chain, next)
		n = next
	}
	return chain
}

func (m *Merger) reset() {
	for i := range m.cols {
		c := &m.cols[i]
		c.NumLevels = 0
		c.DefLevels = c.DefLevels[:0]
		c.RepLevels = c.RepLevels[:0]
		c.Bools, c.Int32s, c.Int64s = c.Bools[:0], c.Int32s[:0], c.Int64s[:0]
		c.Floats, c.Doubles, c.Bytes = c.Floats[:0], c.Doubles[:0], c.Bytes[:0]
		c.Offsets = c.Offsets[:0]
		if c.Leaf.Type == parquet.ByteArray {
			c.Offsets = append(c.Offsets, 0)
		}
	}
	m.rows, m.buf = 0, 0
}

// AppendBlock appends every row of b, a row group at a time.
func (m *Merger) AppendBlock(ctx context.Context, b *BlockFile) error {
	for i := range b.NumRowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		cols, err := b.Columns(i)
		if err != nil {
			return fmt.Errorf("engine: reading row group %d: %w", i, err)
		}
		if err := m.AppendRowGroup(b.Schema(), cols); err != nil {
			return fmt.Errorf("engine: row group %d: %w", i, err)
		}
	}
	return nil
}

// AppendRowGroup appends the rows of one row group (or shredded block)
// whose leaf columns cols are given in the order of schema, which must be
// covered by the Merger's schema.
func (m *Merger) AppendRowGroup(schema *parquet.Node, cols []parquet.ColumnData) error {
	if m.closed {
		return errors.New("engine: merger closed")
	}
	if m.err != nil {
		return m.err
	}
	in, err := parquet.LeafColumns(schema)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMergeSchema, err)
	}
	if len(in) != len(cols) {
		return fmt.Errorf("%w: %d columns for a schema of %d leaves", ErrCorrupt, len(cols), len(in))
	}
	byPath := make(map[string]int, len(in))
	for i := range in {
		byPath[parquet.PathKey(in[i].Path)] = i
		if err := checkCovered(m.schema, schema, in[i].Path); err != nil {
			return err
		}
	}
	rows, err := countRows(cols)
	if err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	// Keep the output's byte array columns within their int32 offsets.
	if m.rows > 0 && m.wouldOverflow(cols) {
		if err := m.flush(); err != nil {
			return err
		}
	}
	factor := m.growFactor(cols, rows)
	for j := range m.cols {
		dst := &m.cols[j]
		if i, ok := byPath[parquet.PathKey(dst.Path)]; ok {
			m.buf += appendColumn(dst, &cols[i], factor)
			continue
		}
		if err := m.appendNulls(j, schema, cols); err != nil {
			return err
		}
	}
	m.rows += rows
	m.total += rows
	if m.buf >= m.opts.RowGroupBytes {
		return m.flush()
	}
	return nil
}

// checkCovered checks that the nodes along path in the input schema have
// the same shape as in the output schema.
func checkCovered(out, in *parquet.Node, path []string) error {
	a, b := nodeChain(out, path), nodeChain(in, path)
	if len(a) != len(path) {
		return fmt.Errorf("%w: column %s is not in the merged schema", ErrMergeSchema, strings.Join(path, "."))
	}
	for k := range a {
		if err := sameShape(a[k], b[k], strings.Join(path[:k+1], ".")); err != nil {
			return err
		}
	}
	return nil
}

// countRows returns the number of rows the columns hold, checking that
// they agree.
func countRows(cols []parquet.ColumnData) (int64, error) {
	rows := int64(-1)
	for i := range cols {
		c := &cols[i]
		var n int64
		if c.MaxRep == 0 {
			n = int64(c.NumLevels)
		} else {
			if len(c.RepLevels) != c.NumLevels {
				return 0, fmt.Errorf("%w: column %v: %d repetition levels for %d entries", ErrCorrupt, c.Path, len(c.RepLevels), c.NumLevels)
			}
			for _, r := range c.RepLevels {
				if r == 0 {
					n++
				}
			}
		}
		if rows >= 0 && n != rows {
			return 0, fmt.Errorf("%w: column %v holds %d rows, another %d", ErrCorrupt, c.Path, n, rows)
		}
		rows = n
	}
	return max(rows, 0), nil
}

func (m *Merger) wouldOverflow(cols []parquet.ColumnData) bool {
	for i := range cols {
		c := &cols[i]
		if c.Leaf.Type != parquet.ByteArray || len(c.Offsets) == 0 {
			continue
		}
		add := int64(c.Offsets[len(c.Offsets)-1] - c.Offsets[0])
		for j := range m.cols {
			d := &m.cols[j]
			if parquet.PathKey(d.Path) == parquet.PathKey(c.Path) && int64(len(d.Bytes))+add > math.MaxInt32 {
				return true
			}
		}
	}
	return false
}

// columnBytes is the in-memory size of a column's levels and values.
func columnBytes(c *parquet.ColumnData) int {
	n := len(c.DefLevels) + len(c.RepLevels) + len(c.Bools) + 4*len(c.Int32s) + 8*len(c.Int64s) +
		4*len(c.Floats) + 8*len(c.Doubles) + 4*len(c.Offsets)
	if len(c.Offsets) > 1 {
		n += int(c.Offsets[len(c.Offsets)-1] - c.Offsets[0])
	}
	return n
}

// growFactor is how much room to make, relative to what the row group
// being appended needs, when a buffer is full: enough for the rows still
// expected (RowsHint), within RowGroupBytes; 1 without a hint.
func (m *Merger) growFactor(cols []parquet.ColumnData, rows int64) float64 {
	if m.opts.RowsHint <= 0 || rows == 0 {
		return 1
	}
	f := float64(max(m.opts.RowsHint-m.total, rows)) / float64(rows)
	size := 0
	for i := range cols {
		size += columnBytes(&cols[i])
	}
	if size > 0 {
		f = min(f, float64(m.opts.RowGroupBytes)/float64(size)+1)
	}
	return max(f, 1)
}

// grow makes room for add more elements in s: add × factor when it must
// grow, and at least twice its capacity.
func grow[T any](s []T, add int, factor float64) []T {
	if cap(s)-len(s) >= add {
		return s
	}
	want := max(int(float64(add)*factor), add, cap(s))
	return slices.Grow(s, want)
}

// appendColumn appends src's levels and values to dst and returns the
// bytes added.
func appendColumn(dst, src *parquet.ColumnData, factor float64) int {
	n := 0
	if dst.MaxDef > 0 {
		dst.DefLevels = append(grow(dst.DefLevels, src.NumLevels, factor), src.DefLevels[:src.NumLevels]...)
		n += src.NumLevels
	}
	if dst.MaxRep > 0 {
		dst.RepLevels = append(grow(dst.RepLevels, src.NumLevels, factor), src.RepLevels[:src.NumLevels]...)
		n += src.NumLevels
	}
	dst.NumLevels += src.NumLevels
	switch dst.Leaf.Type {
	case parquet.Boolean:
		dst.Bools = append(grow(dst.Bools, len(src.Bools), factor), src.Bools...)
		n += len(src.Bools)
	case parquet.Int32:
		dst.Int32s = append(grow(dst.Int32s, len(src.Int32s), factor), src.Int32s...)
		n += 4 * len(src.Int32s)
	case parquet.Int64:
		dst.Int64s = append(grow(dst.Int64s, len(src.Int64s), factor), src.Int64s...)
		n += 8 * len(src.Int64s)
	case parquet.Float:
		dst.Floats = append(grow(dst.Floats, len(src.Floats), factor), src.Floats...)
		n += 4 * len(src.Floats)
	case parquet.Double:
		dst.Doubles = append(grow(dst.Doubles, len(src.Doubles), factor), src.Doubles...)
		n += 8 * len(src.Doubles)
	case parquet.ByteArray:
		if len(src.Offsets) > 1 {
			first, last := src.Offsets[0], src.Offsets[len(src.Offsets)-1]
			base := int32(len(dst.Bytes)) - first
			dst.Bytes = append(grow(dst.Bytes, int(last-first), factor), src.Bytes[first:last]...)
			dst.Offsets = grow(dst.Offsets, len(src.Offsets)-1, factor)
			for _, o := range src.Offsets[1:] {
				dst.Offsets = append(dst.Offsets, base+o)
			}
			n += int(last-first) + 4*(len(src.Offsets)-1)
		}
	}
	return n
}

// appendNulls appends to output leaf j, which the input lacks, the levels
// of a null at every place the input's rows have: the levels of a sibling
// leaf under the deepest ancestor the input has, cut to that ancestor.
func (m *Merger) appendNulls(j int, schema *parquet.Node, cols []parquet.ColumnData) error {
	dst := &m.cols[j]
	chain := m.nodes[j]
	// The deepest ancestor the input has.
	inChain := nodeChain(schema, dst.Path)
	k := len(inChain) // nodes 0..k-1 exist in the input
	if k >= len(chain) {
		return fmt.Errorf("%w: column %s is in the input but was not matched", ErrCorrupt, strings.Join(dst.Path, "."))
	}
	if chain[k].Repetition == parquet.Required {
		return fmt.Errorf("%w: required column %s is missing from a block", ErrMergeSchema, strings.Join(dst.Path[:k+1], "."))
	}
	var defA, repA uint8
	for _, n := range chain[:k] {
		if n.Repetition != parquet.Required {
			defA++
		}
		if n.Repetition == parquet.Repeated {
			repA++
		}
	}
	// A sibling: the first input leaf under the common ancestor.
	sib := -1
	prefix := dst.Path[:k]
	for i := range cols {
		p := cols[i].Path
		if len(p) > k && parquet.PathKey(p[:k]) == parquet.PathKey(prefix) {
			sib = i
			break
		}
	}
	if sib < 0 {
		return fmt.Errorf("%w: no column of the input under %s to take the levels of %s from", ErrCorrupt, strings.Join(prefix, "."), strings.Join(dst.Path, "."))
	}
	s := &cols[sib]
	added := 0
	for e := range s.NumLevels {
		var rep uint8
		if s.MaxRep > 0 {
			rep = s.RepLevels[e]
		}
		if rep > repA {
			continue // a repetition below the ancestor
		}
		def := s.MaxDef
		if s.MaxDef > 0 {
			def = s.DefLevels[e]
		}
		dst.DefLevels = append(dst.DefLevels, min(def, defA))
		if dst.MaxRep > 0 {
			dst.RepLevels = append(dst.RepLevels, rep)
		}
		dst.NumLevels++
		added++
	}
	m.buf += added * (1 + int(min(dst.MaxRep, 1)))
	return nil
}

// flush writes the buffered rows as one row group.
func (m *Merger) flush() error {
	if m.rows == 0 {
		return nil
	}
	if err := m.pw.WriteRowGroup(m.cols); err != nil {
		m.err = fmt.Errorf("engine: writing a merged row group: %w", err)
		return m.err
	}
	m.reset()
	return nil
}

// Rows is the number of rows appended so far.
func (m *Merger) Rows() int64 { return m.total }

// Written is the number of bytes written to the io.Writer so far (whole
// row groups; the row group being filled is not counted).
func (m *Merger) Written() int64 { return m.out.n }

// Buffered is the size of the column data waiting for the next row group.
func (m *Merger) Buffered() int { return m.buf }

// Flush writes the rows buffered so far as a row group.
func (m *Merger) Flush() error {
	if m.closed {
		return errors.New("engine: merger closed")
	}
	if m.err != nil {
		return m.err
	}
	return m.flush()
}

// Close writes the last row group and the footer. It does not close the
// io.Writer.
func (m *Merger) Close() (*MergeInfo, error) {
	if m.closed {
		return nil, errors.New("engine: merger closed")
	}
	if err := m.Flush(); err != nil {
		m.closed = true
		return nil, err
	}
	m.closed = true
	m.out.capture = true
	if err := m.pw.Close(); err != nil {
		return nil, fmt.Errorf("engine: closing the merged block: %w", err)
	}
	info := &MergeInfo{Schema: m.schema, Rows: m.total, Bytes: m.out.n}
	// Read the footer back from the bytes Close wrote.
	f, err := parquet.OpenFile(&tailReader{tail: m.out.tail, size: m.out.n}, m.out.n)
	if err != nil {
		return nil, fmt.Errorf("engine: reading back the merged block's footer: %w", err)
	}
	info.RowGroups = f.RowGroups()
	info.Footer = f
	return info, nil
}

// tailReader serves the leading magic and the last bytes of a file.
type tailReader struct {
	tail []byte
	size int64
}

func (t *tailReader) ReadAt(p []byte, off int64) (int, error) {
	start := t.size - int64(len(t.tail))
	switch {
	case off >= start && off+int64(len(p)) <= t.size:
		return copy(p, t.tail[off-start:]), nil
	case off == 0 && len(p) <= 4:
		return copy(p, "PAR1"), nil
	}
	return 0, fmt.Errorf("engine: the merged block's footer holds no data: read of %d bytes at %d", len(p), off)
}
