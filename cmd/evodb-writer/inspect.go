package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evodb/writer"
	"github.com/evodb/writer/manifest"
)

func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("inspect", "", `
Shows a table's snapshot: its version and commit time, schema, the producers
it has committed (their highest LSN), every data file with its row count and
size, and per-column statistics gathered from the files' stats (null count,
min, max). Nothing is written: a table that does not exist is an error.

--version N and --as-of TIME show the table as it was (time travel).`)
	var tf tableFlags
	tf.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON document for machines instead of text")
	atVersion := fs.Int64("version", -1, "show the snapshot at commit `N` instead of the latest")
	asOf := fs.String("as-of", "", "show the snapshot current at `TIME` (RFC 3339, e.g. 2026-11-26T10:00:00Z)")
	noFiles := fs.Bool("no-files", false, "leave out the list of files (text output)")
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if err := tf.takeArg(fs, pos); err != nil {
		return err
	}
	var at time.Time
	if *asOf != "" {
		if *atVersion >= 0 {
			return usagef("--version and --as-of exclude each other")
		}
		at, err = parseTime(*asOf)
		if err != nil {
			return usagef("--as-of: %v", err)
		}
	}
	ref, err := parseTable(tf.uri, false)
	if err != nil {
		return err
	}
	t, err := openExistingTable(ctx, &tf, ref)
	if err != nil {
		return err
	}
	var snap *manifest.Snapshot
	switch {
	case *atVersion >= 0:
		snap, err = t.SnapshotAt(ctx, *atVersion)
	case !at.IsZero():
		snap, err = t.SnapshotAsOf(ctx, at)
	default:
		snap, err = t.Snapshot(ctx)
	}
	if err != nil {
		return tableError(ref, err)
	}
	rep, err := buildReport(ref, snap)
	if err != nil {
		return err
	}
	rep.addCompaction(t, snap)
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	rep.writeText(e.stdout, !*noFiles)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, e.g. 2026-11-26T10:00:00Z)", s)
}

// openExistingTable opens the table's log without creating anything.
func openExistingTable(ctx context.Context, tf *tableFlags, ref *tableRef) (*manifest.Table, error) {
	if ref.scheme == "file" {
		if _, err := os.Stat(ref.path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no table at %s: the directory does not exist", ref.display)
			}
			return nil, fmt.Errorf("table %s: %w", ref.display, err)
		}
	}
	store, err := tf.openStore(ctx, ref)
	if err != nil {
		return nil, err
	}
	t, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", ref.display, err)
	}
	return t, nil
}

func tableError(ref *tableRef, err error) error {
	switch {
	case errors.Is(err, manifest.ErrNoTable):
		return fmt.Errorf("no table at %s: it has no _delta_log/00000000000000000000.json", ref.display)
	case errors.Is(err, manifest.ErrVersionNotFound):
		return fmt.Errorf("table %s: %v", ref.display, err)
	}
	return fmt.Errorf("table %s: %w", ref.display, err)
}

// inspectReport is what inspect prints; its JSON form is the --json output.
type inspectReport struct {
	Table     string              `json:"table"`
	Version   int64               `json:"version"`
	Timestamp time.Time           `json:"timestamp"`
	TableID   string              `json:"table_id"`
	Protocol  manifest.Protocol   `json:"protocol"`
	Schema    manifest.StructType `json:"schema"`
	Producers map[string]int64    `json:"producers"`
	Totals    inspectTotals       `json:"totals"`
	Columns   []inspectColumn     `json:"columns"`
	Files     []inspectFile       `json:"files"`
	// Compaction is what compact with its defaults would merge now.
	Compaction *inspectCompaction `json:"compaction,omitempty"`
}

// inspectCompaction is what `compact` with its defaults would do now.
type inspectCompaction struct {
	Groups      int   `json:"groups"`       // new blocks it would make
	SmallBlocks int   `json:"small_blocks"` // blocks it would merge
	TargetBytes int64 `json:"target_bytes"` // its target block size
}

func (r *inspectReport) addCompaction(t *manifest.Table, snap *manifest.Snapshot) {
	c, err := writer.NewCompactor(t, writer.CompactorOptions{})
	if err != nil {
		return
	}
	plan := c.Plan(snap)
	r.Compaction = &inspectCompaction{Groups: len(plan), TargetBytes: writer.DefaultTargetBlockSize}
	for _, g := range plan {
		r.Compaction.SmallBlocks += len(g)
	}
}

type inspectTotals struct {
	Files        int   `json:"files"`
	Rows         int64 `json:"rows"`
	Bytes        int64 `json:"bytes"`
	RowsUnknown  int   `json:"files_without_stats,omitempty"`
	RemovedFiles int   `json:"removed_files"` // tombstones vacuum may delete after the retention
}

type inspectFile struct {
	Path       string          `json:"path"`
	Rows       int64           `json:"rows"` // -1: the file carries no stats
	Size       int64           `json:"size"`
	Modified   time.Time       `json:"modified"`
	DataChange bool            `json:"data_change"`
	Stats      *manifest.Stats `json:"stats,omitempty"`
}

// inspectColumn is a top-level column's statistics over every file of the
// snapshot; Min, Max and NullCount are present only when every file has them.
type inspectColumn struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Nullable  bool   `json:"nullable"`
	NullCount *int64 `json:"null_count,omitempty"`
	Min       any    `json:"min,omitempty"`
	Max       any    `json:"max,omitempty"`
}

func buildReport(ref *tableRef, snap *manifest.Snapshot) (*inspectReport, error) {
	schema, err := snap.Schema()
	if err != nil {
		return nil, fmt.Errorf("table %s: version %d: %w", ref.display, snap.Version(), err)
	}
	rep := &inspectReport{
		Table:     ref.display,
		Version:   snap.Version(),
		Timestamp: snap.Timestamp().UTC(),
		TableID:   snap.Metadata().ID,
		Protocol:  snap.Protocol(),
		Schema:    schema,
		Producers: map[string]int64{},
		Files:     []inspectFile{},
		Columns:   []inspectColumn{},
	}
	for id, txn := range snap.Txns() {
		rep.Producers[id] = txn.Version
	}
	files := snap.Files()
	slices.SortFunc(files, func(a, b manifest.AddFile) int {
		if c := cmpInt(a.ModificationTime, b.ModificationTime); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	var stats []*manifest.Stats
	for i := range files {
		a := &files[i]
		key, err := a.Key()
		if err != nil {
			key = a.Path
		}
		f := inspectFile{Path: key, Rows: -1, Size: a.Size,
			Modified: time.UnixMilli(a.ModificationTime).UTC(), DataChange: a.DataChange}
		if a.Stats != "" {
			st, err := a.ParseStats()
			if err != nil {
				return nil, fmt.Errorf("table %s: file %s: %w", ref.display, key, err)
			}
			f.Rows, f.Stats = st.NumRecords, st
			rep.Totals.Rows += st.NumRecords
		} else {
			rep.Totals.RowsUnknown++
		}
		stats = append(stats, f.Stats)
		rep.Totals.Bytes += a.Size
		rep.Files = append(rep.Files, f)
	}
	rep.Totals.Files = len(files)
	rep.Totals.RemovedFiles = len(snap.Tombstones())
	for _, field := range schema.Fields {
		rep.Columns = append(rep.Columns, columnStats(field, stats))
	}
	return rep, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// columnStats folds the files' statistics of one top-level column.
func columnStats(f manifest.StructField, stats []*manifest.Stats) inspectColumn {
	c := inspectColumn{Name: f.Name, Type: typeName(f.Type), Nullable: f.Nullable}
	if len(stats) == 0 {
		return c
	}
	var nulls int64
	nullsKnown := true
	var lo, hi any
	boundsKnown := f.Type.Primitive != "" && f.Type.Primitive != "boolean" && f.Type.Primitive != "binary"
	for _, st := range stats {
		if st == nil {
			return c
		}
		_, hasN := st.NullCount[f.Name]
		_, hasMin := st.MinValues[f.Name]
		_, hasMax := st.MaxValues[f.Name]
		if !hasN && !hasMin && !hasMax {
			// A file with no statistics at all for the column was
			// written before the column existed: all its rows are null.
			nulls += st.NumRecords
			continue
		}
		if n, ok := asInt(st.NullCount[f.Name]); ok && nullsKnown {
			nulls += n
		} else {
			nullsKnown = false
		}
		if !boundsKnown {
			continue
		}
		// A file whose column is all null has no min/max: that takes
		// nothing away from the others.
		mn, okMin := st.MinValues[f.Name]
		mx, okMax := st.MaxValues[f.Name]
		if !okMin || !okMax {
			if n, ok := asInt(st.NullCount[f.Name]); ok && n == st.NumRecords {
				continue
			}
			boundsKnown = false
			continue
		}
		if lo == nil || less(mn, lo) {
			lo = mn
		}
		if hi == nil || less(hi, mx) {
			hi = mx
		}
	}
	if nullsKnown {
		c.NullCount = &nulls
	}
	if boundsKnown {
		c.Min, c.Max = lo, hi
	}
	return c
}

// typeName writes a column type the way SQL engines show it:
// long, struct<city: string, zip: string>, array<long>, map<string, long>.
func typeName(t manifest.DataType) string {
	switch {
	case t.Struct != nil:
		parts := make([]string, len(t.Struct.Fields))
		for i, f := range t.Struct.Fields {
			parts[i] = f.Name + ": " + typeName(f.Type)
		}
		return "struct<" + strings.Join(parts, ", ") + ">"
	case t.Array != nil:
		return "array<" + typeName(t.Array.ElementType) + ">"
	case t.Map != nil:
		return "map<" + typeName(t.Map.KeyType) + ", " + typeName(t.Map.ValueType) + ">"
	}
	return t.Primitive
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case float64:
		return int64(x), float64(int64(x)) == x
	case int64:
		return x, true
	}
	return 0, false
}

// less orders two statistics values of one column: numbers by value (exact
// for integers of any size), strings (and timestamps, written in one format)
// by their bytes.
func less(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, okx := new(big.Float).SetString(string(x))
		fy, oky := new(big.Float).SetString(string(y))
		if !okx || !oky {
			return false
		}
		return fx.Cmp(fy) < 0
	case float64:
		y, ok := b.(float64)
		return ok && x < y
	case string:
		y, ok := b.(string)
		return ok && x < y
	}
	return false
}

func (r *inspectReport) writeText(w io.Writer, withFiles bool) {
	fmt.Fprintf(w, "table      %s\n", r.Table)
	fmt.Fprintf(w, "version    %d  (committed %s)\n", r.Version, r.Timestamp.Format(time.RFC3339))
	fmt.Fprintf(w, "table id   %s  (protocol reader %d, writer %d)\n", r.TableID, r.Protocol.MinReaderVersion, r.Protocol.MinWriterVersion)
	rows := formatInt(r.Totals.Rows)
	if r.Totals.RowsUnknown > 0 {
		rows += fmt.Sprintf(" (+ %d files without stats)", r.Totals.RowsUnknown)
	}
	fmt.Fprintf(w, "data       %s rows in %d files, %s", rows, r.Totals.Files, formatBytes(r.Totals.Bytes))
	if r.Totals.Files > 0 {
		fmt.Fprintf(w, " (%s per file)", formatBytes(r.Totals.Bytes/int64(r.Totals.Files)))
	}
	fmt.Fprintln(w)
	if c := r.Compaction; c != nil && c.Groups > 0 {
		fmt.Fprintf(w, "compaction %d small blocks would become %d of up to %s ('compact')\n", c.SmallBlocks, c.Groups, formatBytes(c.TargetBytes))
	}
	if r.Totals.RemovedFiles > 0 {
		fmt.Fprintf(w, "removed    %d files kept for time travel until vacuumed\n", r.Totals.RemovedFiles)
	}
	if len(r.Producers) > 0 {
		ids := make([]string, 0, len(r.Producers))
		for id := range r.Producers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		fmt.Fprintf(w, "\nproducers  (highest committed LSN)\n")
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		for _, id := range ids {
			fmt.Fprintf(tw, "  %s\t%d\n", id, r.Producers[id])
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\ncolumns\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  name\ttype\tnulls\tmin\tmax\n")
	for _, c := range r.Columns {
		nulls := "?"
		if c.NullCount != nil {
			nulls = formatInt(*c.NullCount)
		}
		typ := c.Type
		if len(typ) > 40 {
			typ = typ[:37] + "..."
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Name, typ, nulls, showValue(c.Min), showValue(c.Max))
	}
	tw.Flush()
	if !withFiles {
		return
	}
	fmt.Fprintf(w, "\nfiles\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "rows\tbytes\tmodified\t  path\t\n")
	for _, f := range r.Files {
		rows := "?"
		if f.Rows >= 0 {
			rows = formatInt(f.Rows)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t  %s\t\n", rows, formatInt(f.Size), f.Modified.Format(time.RFC3339), f.Path)
	}
	tw.Flush()
}

func showValue(v any) string {
	if v == nil {
		return ""
	}
	s := fmt.Sprint(v)
	if len(s) > 32 {
		s = s[:29] + "..."
	}
	return s
}

// formatInt writes n with thousands separators.
func formatInt(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= unit
		if f < unit {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return fmt.Sprintf("%.1f PiB", f/unit)
}
