package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evodb/writer/engine/parquet"
	"github.com/evodb/writer/upload"
)

// LastCheckpointFile is the key of the pointer to the latest checkpoint.
const LastCheckpointFile = LogDir + "_last_checkpoint"

// CheckpointFile is the key of version v's single-file checkpoint.
func CheckpointFile(v int64) string { return fmt.Sprintf("%s%020d.checkpoint.parquet", LogDir, v) }

func parseCheckpointFile(key string) (int64, bool) {
	name, ok := strings.CutPrefix(key, LogDir)
	if !ok || len(name) != 39 || !strings.HasSuffix(name, ".checkpoint.parquet") {
		return 0, false
	}
	v, err := strconv.ParseInt(name[:20], 10, 64)
	return v, err == nil && v >= 0
}

// lastCheckpoint is the content of _last_checkpoint.
type lastCheckpoint struct {
	Version int64 `json:"version"`
	Size    int64 `json:"size"`
}

// Schema-building helpers for the checkpoint file.
func optLeaf(name string, t parquet.PhysicalType, l parquet.LogicalType) *parquet.Node {
	return &parquet.Node{Name: name, Repetition: parquet.Optional, Type: t, Logical: l}
}
func optStr(name string) *parquet.Node   { return optLeaf(name, parquet.ByteArray, parquet.String) }
func optInt64(name string) *parquet.Node { return optLeaf(name, parquet.Int64, parquet.NoLogical) }
func optBool(name string) *parquet.Node  { return optLeaf(name, parquet.Boolean, parquet.NoLogical) }
func optGroup(name string, children ...*parquet.Node) *parquet.Node {
	return &parquet.Node{Name: name, Repetition: parquet.Optional, Children: children}
}
func strMap(name string) *parquet.Node {
	return &parquet.Node{Name: name, Repetition: parquet.Optional, Logical: parquet.Map, Children: []*parquet.Node{
		{Name: "key_value", Repetition: parquet.Repeated, Children: []*parquet.Node{
			{Name: "key", Repetition: parquet.Required, Type: parquet.ByteArray, Logical: parquet.String},
			optStr("value"),
		}},
	}}
}

// checkpointSchema is the checkpoint's Parquet schema: one optional
// group per action kind, each row holding one action.
func checkpointSchema() *parquet.Node {
	return &parquet.Node{Name: "spark_schema", Children: []*parquet.Node{
		optGroup("txn", optStr("appId"), optInt64("version"), optInt64("lastUpdated")),
		optGroup("add", optStr("path"), strMap("partitionValues"), optInt64("size"), optInt64("modificationTime"),
			optBool("dataChange"), optStr("stats"), strMap("tags")),
		optGroup("remove", optStr("path"), optInt64("deletionTimestamp"), optBool("dataChange"),
			optBool("extendedFileMetadata"), strMap("partitionValues"), optInt64("size")),
		optGroup("metaData", optStr("id"), optStr("name"), optStr("description"),
			optGroup("format", optStr("provider"), strMap("options")),
			optStr("schemaString"),
			&parquet.Node{Name: "partitionColumns", Repetition: parquet.Optional, Logical: parquet.List, Children: []*parquet.Node{
				{Name: "list", Repetition: parquet.Repeated, Children: []*parquet.Node{optStr("element")}},
			}},
			strMap("configuration"), optInt64("createdTime")),
		optGroup("protocol", optLeaf("minReaderVersion", parquet.Int32, parquet.NoLogical),
			optLeaf("minWriterVersion", parquet.Int32, parquet.NoLogical)),
	}}
}

// row is a value tree: groups are map[string]any, repeated groups
// []map[string]any, leaves string / int64 / int32 / bool, nulls nil.
type row = map[string]any

func mapValue(m map[string]string) any {
	if m == nil {
		return nil
	}
	kv := make([]row, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, row{"key": k, "value": m[k]})
	}
	return row{"key_value": kv}
}

func optI64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func optS(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// checkpointRows turns a snapshot into the checkpoint's rows, leaving
// out the tombstones whose deletionTimestamp is before expireBefore (Unix
// milliseconds).
func checkpointRows(s *Snapshot, expireBefore int64) []row {
	rows := []row{
		{"protocol": row{"minReaderVersion": int32(s.protocol.MinReaderVersion), "minWriterVersion": int32(s.protocol.MinWriterVersion)}},
	}
	m := s.metadata
	pc := make([]row, len(m.PartitionColumns))
	for i, c := range m.PartitionColumns {
		pc[i] = row{"element": c}
	}
	rows = append(rows, row{"metaData": row{
		"id": m.ID, "name": optS(m.Name), "description": optS(m.Description),
		"format":       row{"provider": m.Format.Provider, "options": mapValue(orEmpty(m.Format.Options))},
		"schemaString": m.SchemaString, "partitionColumns": row{"list": pc},
		"configuration": mapValue(orEmpty(m.Configuration)), "createdTime": optI64(m.CreatedTime),
	}})
	for _, app := range slices.Sorted(maps.Keys(s.txns)) {
		t := s.txns[app]
		rows = append(rows, row{"txn": row{"appId": t.AppID, "version": t.Version, "lastUpdated": optI64(t.LastUpdated)}})
	}
	for _, k := range slices.Sorted(maps.Keys(s.files)) {
		a := s.files[k]
		rows = append(rows, row{"add": row{
			"path": a.Path, "partitionValues": mapValue(orEmpty(a.PartitionValues)), "size": a.Size,
			"modificationTime": a.ModificationTime, "dataChange": a.DataChange, "stats": optS(a.Stats),
			"tags": mapValue(a.Tags),
		}})
	}
	for _, k := range slices.Sorted(maps.Keys(s.removed)) {
		r := s.removed[k]
		if r.DeletionTimestamp != nil && *r.DeletionTimestamp < expireBefore {
			continue
		}
		rows = append(rows, row{"remove": row{
			"path": r.Path, "deletionTimestamp": optI64(r.DeletionTimestamp), "dataChange": r.DataChange,
			"extendedFileMetadata": r.ExtendedFileMetadata, "partitionValues": mapValue(r.PartitionValues),
			"size": optI64(r.Size),
		}})
	}
	return rows
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// shredder turns value trees into leaf columns.
type shredder struct {
	cols  []parquet.ColumnData
	index map[*parquet.Node]int
}

func (sh *shredder) nulls(n *parquet.Node, def, rep uint8) {
	if n.IsLeaf() {
		c := &sh.cols[sh.index[n]]
		sh.level(c, def, rep)
		return
	}
	for _, ch := range n.Children {
		sh.nulls(ch, def, rep)
	}
}

func (sh *shredder) level(c *parquet.ColumnData, def, rep uint8) {
	if c.MaxDef > 0 {
		c.DefLevels = append(c.DefLevels, def)
	}
	if c.MaxRep > 0 {
		c.RepLevels = append(c.RepLevels, rep)
	}
	c.NumLevels++
}

// shred adds value v of node n; def is the definition level of n's
// parent, rep the repetition level of this entry, depth the number of
// repeated ancestors of n.
func (sh *shredder) shred(n *parquet.Node, v any, def, rep, depth uint8) error {
	switch n.Repetition {
	case parquet.Optional:
		if v == nil {
			sh.nulls(n, def, rep)
			return nil
		}
		def++
	case parquet.Required:
		if v == nil {
			return fmt.Errorf("manifest: checkpoint: required field %q is null", n.Name)
		}
	case parquet.Repeated:
		list, _ := v.([]row)
		if len(list) == 0 {
			sh.nulls(n, def, rep)
			return nil
		}
		for i, e := range list {
			r := rep
			if i > 0 {
				r = depth + 1
			}
			if err := sh.inner(n, e, def+1, r, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return sh.inner(n, v, def, rep, depth)
}

func (sh *shredder) inner(n *parquet.Node, v any, def, rep, depth uint8) error {
	if !n.IsLeaf() {
		g, ok := v.(row)
		if !ok {
			return fmt.Errorf("manifest: checkpoint: group %q holds %T", n.Name, v)
		}
		for _, ch := range n.Children {
			if err := sh.shred(ch, g[ch.Name], def, rep, depth); err != nil {
				return err
			}
		}
		return nil
	}
	c := &sh.cols[sh.index[n]]
	sh.level(c, def, rep)
	switch x := v.(type) {
	case string:
		if len(c.Offsets) == 0 {
			c.Offsets = append(c.Offsets, 0)
		}
		c.Bytes = append(c.Bytes, x...)
		c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
	case int64:
		c.Int64s = append(c.Int64s, x)
	case int32:
		c.Int32s = append(c.Int32s, x)
	case bool:
		c.Bools = append(c.Bools, x)
	default:
		return fmt.Errorf("manifest: checkpoint: leaf %q holds %T", n.Name, v)
	}
	return nil
}

// ExpiredBeforeKey is the checkpoint footer's key/value metadata entry
// that records, in Unix milliseconds, the time before which the
// checkpoint may lack tombstones: the latest expiry time of it and of the
// checkpoints it was built on (see Snapshot.TombstonesExpiredBefore).
// Delta readers ignore it.
const ExpiredBeforeKey = "evodb.tombstonesExpiredBefore"

// encodeCheckpoint writes the snapshot as a Parquet checkpoint, without
// the tombstones deleted before expireBefore (Unix milliseconds), which
// it records under ExpiredBeforeKey together with what s lacked already.
func encodeCheckpoint(s *Snapshot, expireBefore int64) ([]byte, int64, error) {
	schema := checkpointSchema()
	cols, err := parquet.LeafColumns(schema)
	if err != nil {
		return nil, 0, fmt.Errorf("manifest: checkpoint schema: %w", err)
	}
	sh := &shredder{cols: cols, index: map[*parquet.Node]int{}}
	for i := range cols {
		sh.index[cols[i].Leaf] = i
	}
	rows := checkpointRows(s, expireBefore)
	for _, r := range rows {
		for _, top := range schema.Children {
			if err := sh.shred(top, r[top.Name], 0, 0, 0); err != nil {
				return nil, 0, err
			}
		}
	}
	var buf bytes.Buffer
	expired := expireBefore
	if !s.expiredBefore.IsZero() {
		expired = max(expired, s.expiredBefore.UnixMilli())
	}
	w, err := parquet.NewWriter(&buf, schema, parquet.WriterOptions{Compression: parquet.Zstd, Concurrency: 1,
		KeyValueMetadata: []parquet.KeyValue{{Key: ExpiredBeforeKey, Value: strconv.FormatInt(expired, 10)}}})
	if err != nil {
		return nil, 0, fmt.Errorf("manifest: checkpoint: %w", err)
	}
	if err := w.WriteRowGroup(sh.cols); err != nil {
		return nil, 0, fmt.Errorf("manifest: checkpoint: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, 0, fmt.Errorf("manifest: checkpoint: %w", err)
	}
	return buf.Bytes(), int64(len(rows)), nil
}

// Checkpoint writes a checkpoint of s (which must be a committed version
// of this table) and points _last_checkpoint at it unless that already
// names a later version.
//
// Tombstones expire from it as the Delta protocol allows: a remove whose
// deletionTimestamp is older than the retention in force at s, the
// table's TombstoneRetention (delta.deletedFileRetentionDuration, a week
// by default), before now on the table's clock, is left out. A remove
// without a deletionTimestamp cannot be aged and is kept. Readers need no
// tombstone: a snapshot's files are its adds, and a reader of an older
// version starts from a checkpoint at or before that version, which holds
// what was current then.
//
// Vacuum does need them: a file whose tombstone is gone is known to it
// only as an orphan, aged by its write time. While the retention stays
// the same that is safe (the file was removed more than the retention
// ago, and written before that). But once the retention is lowered, a
// checkpoint written under it, and then raised again, the files removed
// between the two expiry times are still within the raised retention.
// So the checkpoint records the time its tombstones are complete from
// (ExpiredBeforeKey, carried over from the checkpoint s was read from
// when that one expired more), and ExpiredTombstones reads the ones a
// vacuum needs back from the commit files.
func (t *Table) Checkpoint(ctx context.Context, s *Snapshot) error {
	keep, err := s.TombstoneRetention()
	if err != nil {
		return fmt.Errorf("manifest: checkpoint of version %d: %w", s.version, err)
	}
	data, size, err := encodeCheckpoint(s, t.opts.Now().Add(-keep).UnixMilli())
	if err != nil {
		return err
	}
	key := CheckpointFile(s.version)
	if _, err := t.store.Put(ctx, key, data, upload.PutOptions{IfAbsent: true}); err != nil && !errors.Is(err, upload.ErrPreconditionFailed) {
		return fmt.Errorf("manifest: write %s: %w", key, err)
	}
	if prev, err := t.readLastCheckpoint(ctx); err == nil && prev.Version >= s.version {
		return nil
	}
	body, _ := json.Marshal(lastCheckpoint{Version: s.version, Size: size})
	if _, err := t.store.Put(ctx, LastCheckpointFile, body, upload.PutOptions{}); err != nil {
		return fmt.Errorf("manifest: write %s: %w", LastCheckpointFile, err)
	}
	return nil
}

func (t *Table) readLastCheckpoint(ctx context.Context) (lastCheckpoint, error) {
	data, _, err := t.store.Get(ctx, LastCheckpointFile)
	if err != nil {
		return lastCheckpoint{}, err
	}
	var lc lastCheckpoint
	if err := json.Unmarshal(data, &lc); err != nil {
		return lastCheckpoint{}, &LogError{File: LastCheckpointFile, Err: err}
	}
	if lc.Version < 0 {
		return lastCheckpoint{}, &LogError{File: LastCheckpointFile, Err: fmt.Errorf("negative version %d", lc.Version)}
	}
	return lc, nil
}

// leafRows splits a column into rows of (definition level, value)
// entries: row r is entries[starts[r]:starts[r+1]].
type entry struct {
	def uint8
	val any
}

type leafCol struct {
	entries []entry
	starts  []int32
}

func (l *leafCol) rows() int { return len(l.starts) - 1 }

func leafRows(c *parquet.ColumnData) (leafCol, error) {
	var rows leafCol
	rows.entries = make([]entry, 0, c.NumLevels)
	vi := 0
	bad := func(what string) error {
		return fmt.Errorf("column %s: %s", strings.Join(c.Path, "."), what)
	}
	if (c.MaxDef > 0 && len(c.DefLevels) < c.NumLevels) || (c.MaxRep > 0 && len(c.RepLevels) < c.NumLevels) {
		return rows, bad("fewer levels than entries")
	}
	for i := 0; i < c.NumLevels; i++ {
		var def uint8
		if c.MaxDef > 0 {
			def = c.DefLevels[i]
		}
		if c.MaxRep == 0 || c.RepLevels[i] == 0 {
			rows.starts = append(rows.starts, int32(i))
		} else if len(rows.starts) == 0 {
			return rows, bad("the first entry continues a row")
		}
		e := entry{def: def}
		if def == c.MaxDef {
			if vi >= c.NumValues() {
				return rows, bad("fewer values than levels say")
			}
			switch c.Leaf.Type {
			case parquet.ByteArray:
				lo, hi := c.Offsets[vi], c.Offsets[vi+1]
				if lo < 0 || hi < lo || int(hi) > len(c.Bytes) {
					return rows, bad("bad byte offsets")
				}
				e.val = string(c.Bytes[lo:hi])
			case parquet.Int64:
				e.val = c.Int64s[vi]
			case parquet.Int32:
				e.val = c.Int32s[vi]
			case parquet.Boolean:
				e.val = c.Bools[vi]
			}
			vi++
		}
		rows.entries = append(rows.entries, e)
	}
	rows.starts = append(rows.starts, int32(len(rows.entries)))
	return rows, nil
}

// checkpointReader reads actions back out of a checkpoint's columns.
type checkpointReader struct {
	cols map[string]leafCol // "add.path" → rows
	r    int
}

// at returns the entries of leaf path in the current row (nil when the
// file has no such column).
func (cr *checkpointReader) at(path string) []entry {
	col, ok := cr.cols[path]
	if !ok || cr.r >= col.rows() {
		return nil
	}
	return col.entries[col.starts[cr.r]:col.starts[cr.r+1]]
}

func (cr *checkpointReader) first(path string) (entry, bool) {
	es := cr.at(path)
	if len(es) == 0 {
		return entry{}, false
	}
	return es[0], true
}

func (cr *checkpointReader) str(path string) string {
	e, _ := cr.first(path)
	s, _ := e.val.(string)
	return s
}

func (cr *checkpointReader) i64(path string) int64 {
	e, _ := cr.first(path)
	v, _ := e.val.(int64)
	return v
}

func (cr *checkpointReader) optI64(path string) *int64 {
	e, _ := cr.first(path)
	if v, ok := e.val.(int64); ok {
		return &v
	}
	return nil
}

func (cr *checkpointReader) boolean(path string) bool {
	e, _ := cr.first(path)
	v, _ := e.val.(bool)
	return v
}

func (cr *checkpointReader) i32(path string) int {
	e, _ := cr.first(path)
	v, _ := e.val.(int32)
	return int(v)
}

// present reports whether the group holding leaf path (at definition
// level groupDef) is non-null in this row.
func (cr *checkpointReader) present(path string, groupDef uint8) bool {
	e, ok := cr.first(path)
	return ok && e.def >= groupDef
}

// strMap reads a map whose map group has definition level mapDef.
func (cr *checkpointReader) strMap(path string, mapDef uint8) map[string]string {
	keys, vals := cr.at(path+".key_value.key"), cr.at(path+".key_value.value")
	if len(keys) == 0 || keys[0].def < mapDef {
		return nil
	}
	m := map[string]string{}
	for i, k := range keys {
		if k.def <= mapDef {
			break
		}
		ks, _ := k.val.(string)
		var vs string
		if i < len(vals) {
			vs, _ = vals[i].val.(string)
		}
		m[ks] = vs
	}
	return m
}

// decodeCheckpoint reads a checkpoint file into a snapshot at version v.
// The snapshot's expiredBefore is the file's ExpiredBeforeKey, or
// written when the file has none (a checkpoint by another writer, which
// may have left out any tombstone deleted before it was written).
func decodeCheckpoint(file string, data []byte, v int64, written time.Time) (*Snapshot, error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &LogError{File: file, Err: err}
	}
	expired := written
	for _, kv := range f.KeyValueMetadata() {
		if kv.Key != ExpiredBeforeKey {
			continue
		}
		ms, err := strconv.ParseInt(kv.Value, 10, 64)
		if err != nil {
			return nil, &LogError{File: file, Err: fmt.Errorf("key/value metadata %s: %q is not a time in Unix milliseconds", ExpiredBeforeKey, kv.Value)}
		}
		expired = time.UnixMilli(ms).UTC()
	}
	cols := map[string]leafCol{}
	s := emptySnapshot()
	sawProto, sawMeta := false, false
	for g := range f.NumRowGroups() {
		cds, err := f.ReadRowGroup(g)
		if err != nil {
			return nil, &LogError{File: file, Err: err}
		}
		clear(cols)
		n := 0
		for i := range cds {
			rows, err := leafRows(&cds[i])
			if err != nil {
				return nil, &LogError{File: file, Err: err}
			}
			cols[strings.Join(cds[i].Path, ".")] = rows
			n = max(n, rows.rows())
		}
		cr := &checkpointReader{cols: cols}
		for cr.r = 0; cr.r < n; cr.r++ {
			var a Action
			switch {
			case cr.present("protocol.minReaderVersion", 1):
				a.Protocol = &Protocol{MinReaderVersion: cr.i32("protocol.minReaderVersion"), MinWriterVersion: cr.i32("protocol.minWriterVersion")}
			case cr.present("metaData.id", 1):
				var pcs []string
				for _, e := range cr.at("metaData.partitionColumns.list.element") {
					if s, ok := e.val.(string); ok {
						pcs = append(pcs, s)
					}
				}
				if pcs == nil {
					pcs = []string{}
				}
				a.Metadata = &Metadata{
					ID: cr.str("metaData.id"), Name: cr.str("metaData.name"), Description: cr.str("metaData.description"),
					Format:           Format{Provider: cr.str("metaData.format.provider"), Options: orEmpty(cr.strMap("metaData.format.options", 3))},
					SchemaString:     cr.str("metaData.schemaString"),
					PartitionColumns: pcs,
					Configuration:    orEmpty(cr.strMap("metaData.configuration", 2)),
					CreatedTime:      cr.optI64("metaData.createdTime"),
				}
			case cr.present("txn.appId", 1):
				a.Txn = &Txn{AppID: cr.str("txn.appId"), Version: cr.i64("txn.version"), LastUpdated: cr.optI64("txn.lastUpdated")}
			case cr.present("add.path", 1):
				a.Add = &AddFile{
					Path: cr.str("add.path"), PartitionValues: orEmpty(cr.strMap("add.partitionValues", 2)),
					Size: cr.i64("add.size"), ModificationTime: cr.i64("add.modificationTime"),
					DataChange: cr.boolean("add.dataChange"), Stats: cr.str("add.stats"), Tags: cr.strMap("add.tags", 2),
				}
			case cr.present("remove.path", 1):
				a.Remove = &RemoveFile{
					Path: cr.str("remove.path"), DeletionTimestamp: cr.optI64("remove.deletionTimestamp"),
					DataChange: cr.boolean("remove.dataChange"), ExtendedFileMetadata: cr.boolean("remove.extendedFileMetadata"),
					PartitionValues: cr.strMap("remove.partitionValues", 2), Size: cr.optI64("remove.size"),
				}
			default:
				continue // an action kind this package does not keep
			}
			if err := a.validate(); err != nil {
				return nil, &LogError{File: file, Err: fmt.Errorf("row %d: %w", cr.r+1, err)}
			}
			c := &commit{version: s.version + 1, file: file, actions: []Action{a}}
			if _, err := s.applyActions(c); err != nil {
				return nil, err
			}
			sawProto = sawProto || a.Protocol != nil
			sawMeta = sawMeta || a.Metadata != nil
		}
	}
	if !sawProto || !sawMeta {
		return nil, &LogError{File: file, Err: errors.New("checkpoint has no protocol or no metaData")}
	}
	s.version = v
	s.expiredBefore, s.expiredThrough = expired, v
	return s, nil
}

// ExpiredTombstones returns the removes that s lacks because a checkpoint
// in its history left them out, and that a vacuum keeping what every
// version current since since needs must still honour: the removes of
// the commits, up to the checkpoint s starts from, made at or after since
// (their commit timestamp), of files neither active in s nor among its
// tombstones (which hold the latest remove of a file). It reads them back
// from those commit files, newest first, down to the first commit made
// before since (commit timestamps are taken to increase with the
// version, as SnapshotAsOf does).
//
// It reads nothing and returns nil when s's tombstones are complete from
// since on (s.TombstonesExpiredBefore() is not after since): always so
// when the tombstone retention has not been lowered below now − since at
// a checkpoint written after since. A commit file it needs that is
// missing is an error: the tombstones it held cannot be known. The oldest
// commits may be missing, removed by a log cleanup (see cleanedUp): those
// were made before since when the table's log retention reaches back past
// it, and the reading stops there.
func (t *Table) ExpiredTombstones(ctx context.Context, s *Snapshot, since time.Time) ([]RemoveFile, error) {
	if s == nil {
		return nil, errors.New("manifest: ExpiredTombstones: nil snapshot")
	}
	if !s.expiredBefore.After(since) || s.expiredThrough < 0 {
		return nil, nil
	}
	var out []RemoveFile
	seen := map[string]bool{}
	for v := s.expiredThrough; v >= 0; v-- {
		c, err := t.readCommit(ctx, v)
		if err != nil && errors.Is(err, upload.ErrNotFound) && t.cleanedUp(ctx, s, v, since) {
			break // it and the commits before it were made before since
		}
		if err != nil {
			return nil, fmt.Errorf("manifest: reading back the tombstones expired by checkpoint %d (deleted before %s): %w",
				s.expiredThrough, s.expiredBefore.UTC().Format(time.RFC3339), err)
		}
		if c.timestamp().Before(since) {
			break
		}
		for _, a := range c.actions {
			if a.Remove == nil {
				continue
			}
			key, err := a.Remove.Key()
			if err != nil {
				return nil, &LogError{File: c.file, Err: err}
			}
			_, active := s.files[key]
			if _, tomb := s.removed[key]; active || tomb || seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, *a.Remove)
		}
	}
	return out, nil
}

// cleanedUp reports whether commit v, found missing, was removed by a log
// cleanup and so made before since. Delta writers remove only the oldest
// commits (before a checkpoint), and only once older than the table's log
// retention (LogRetentionProperty): so v must come before every commit
// file left, and that retention must reach back past since (a file older
// than it at the cleanup, which came before now, was made before
// now − retention, not after since). Anything else, or a failure to list
// the log, is not a cleanup: the caller reports the missing file.
func (t *Table) cleanedUp(ctx context.Context, s *Snapshot, v int64, since time.Time) bool {
	keep := DefaultLogRetention
	if p, ok := s.metadata.Configuration[LogRetentionProperty]; ok {
		d, err := ParseInterval(p)
		if err != nil {
			return false
		}
		keep = d
	}
	if t.opts.Now().Add(-keep).After(since) {
		return false
	}
	infos, err := t.store.List(ctx, LogDir)
	if err != nil {
		return false
	}
	for _, in := range infos {
		if c, ok := parseCommitFile(in.Key); ok && c < v {
			return false // a gap, not the cleaned-up start of the log
		}
	}
	return true
}
