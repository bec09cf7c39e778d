package main

import (
	"context"
	"fmt"
	"time"

	"github.com/evodb/writer"
	"github.com/evodb/writer/manifest"
)

func runCompact(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("compact", "", `
Merges the table's small blocks into blocks of about --target-size, in one
commit that adds the new blocks and removes the old ones (dataChange false:
readers see the same rows). The old files stay in the store for time travel
until 'vacuum' deletes them. Runs until nothing is left to compact, or once
with --once.`)
	var tf tableFlags
	tf.register(fs)
	target := fs.String("target-size", "64MiB", "`size` of the blocks compaction makes; smaller blocks are candidates")
	minBlocks := fs.Int("min-blocks", writer.DefaultMinBlocksToCompact, "fewest small blocks `N` worth merging")
	compression := fs.String("compression", "zstd", "`codec` of the new blocks: zstd, snappy or none")
	once := fs.Bool("once", false, "one compaction commit, even if more blocks could be merged")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.env("compression", "EVODB_COMPRESSION")
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if err := tf.takeArg(fs, pos); err != nil {
		return err
	}
	size, err := parseSize(*target)
	if err != nil {
		return usagef("--target-size: %v", err)
	}
	if *minBlocks < 2 {
		return usagef("--min-blocks %d: want 2 or more", *minBlocks)
	}
	switch *compression {
	case "zstd", "snappy", "none":
	default:
		return usagef("--compression %q: want zstd, snappy or none", *compression)
	}
	ref, err := parseTable(tf.uri, false)
	if err != nil {
		return err
	}
	t, err := openExistingTable(ctx, &tf, ref)
	if err != nil {
		return err
	}
	if _, err := t.Snapshot(ctx); err != nil {
		return tableError(ref, err)
	}
	c, err := writer.NewCompactor(t, writer.CompactorOptions{TargetBlockSize: size, MinBlocksToCompact: *minBlocks, Compression: *compression})
	if err != nil {
		return usagef("%v", err)
	}
	type total struct {
		Table           string  `json:"table"`
		Commits         int     `json:"commits"`
		CompactedBlocks int     `json:"compacted_blocks"`
		NewBlocks       int     `json:"new_blocks"`
		Rows            int64   `json:"rows"`
		BytesRead       int64   `json:"bytes_read"`
		BytesWritten    int64   `json:"bytes_written"`
		Version         int64   `json:"version"`
		Seconds         float64 `json:"duration_seconds"`
	}
	sum := total{Table: ref.display}
	start := time.Now()
	for {
		res, err := c.Compact(ctx)
		if err != nil {
			return fmt.Errorf("table %s: %w", ref.display, err)
		}
		sum.Version = res.Version
		if res.CompactedBlocks == 0 {
			break
		}
		sum.Commits++
		sum.CompactedBlocks += res.CompactedBlocks
		sum.NewBlocks += res.NewBlocks
		sum.Rows += res.Rows
		sum.BytesRead += res.BytesRead
		sum.BytesWritten += res.BytesWritten
		if *once {
			break
		}
	}
	sum.Seconds = time.Since(start).Seconds()
	if *asJSON {
		return writeJSON(e.stdout, sum)
	}
	if sum.Commits == 0 {
		fmt.Fprintf(e.stdout, "nothing to compact in %s (version %d): fewer than %d blocks below %s\n",
			ref.display, sum.Version, *minBlocks, formatBytes(size))
		return nil
	}
	fmt.Fprintf(e.stdout, "compacted %s: %d blocks into %d (%s rows, %s into %s) in %d commit(s), now version %d, %s\n",
		ref.display, sum.CompactedBlocks, sum.NewBlocks, formatInt(sum.Rows), formatBytes(sum.BytesRead),
		formatBytes(sum.BytesWritten), sum.Commits, sum.Version, time.Duration(sum.Seconds*float64(time.Second)).Round(time.Millisecond))
	return nil
}

func runVacuum(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("vacuum", "", `
Deletes data files that no snapshot within the retention can need: files
removed from the table (by compaction) longer ago than --retention, and
orphans (blocks of commits that never happened) older than it. Active files
and the log are never touched. Time travel to versions older than the
retention may fail afterwards.`)
	var tf tableFlags
	tf.register(fs)
	// Without --retention the table's own tombstone retention applies
	// (delta.deletedFileRetentionDuration, else writer.DefaultVacuumRetention),
	// as in the library: a fixed default could exceed a table's shorter
	// setting and be refused.
	var retention time.Duration
	retentionSet := false
	fs.Var(durationValue{d: &retention, set: &retentionSet}, "retention", "keep files retired within this `duration` (e.g. 168h, 7d; default: the table's "+manifest.TombstoneRetentionProperty+", else "+formatRetention(writer.DefaultVacuumRetention)+")")
	force := fs.Bool("allow-short-retention", false, "accept a retention below "+writer.MinVacuumRetention.String()+" (a writer's upload in progress could lose its block)")
	dry := fs.Bool("dry-run", false, "list what would be deleted, delete nothing")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.env("retention", "EVODB_VACUUM_RETENTION")
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if err := tf.takeArg(fs, pos); err != nil {
		return err
	}
	if retention < 0 {
		return usagef("--retention %s: must not be negative", retention)
	}
	if retentionSet && retention < writer.MinVacuumRetention && !*force {
		return usagef("--retention %s is below %s: a block uploaded but not yet committed could be deleted; add --allow-short-retention if no writer is running", retention, writer.MinVacuumRetention)
	}
	ref, err := parseTable(tf.uri, false)
	if err != nil {
		return err
	}
	t, err := openExistingTable(ctx, &tf, ref)
	if err != nil {
		return err
	}
	if _, err := t.Snapshot(ctx); err != nil {
		return tableError(ref, err)
	}
	keep := retention // zero: the library applies the table's retention
	if retentionSet && keep == 0 {
		keep = time.Nanosecond // --retention 0 means none; the library's zero means the table's
	}
	res, err := writer.Vacuum(ctx, t, writer.VacuumOptions{Retention: keep, AllowShortRetention: *force, DryRun: *dry})
	if err != nil {
		return fmt.Errorf("table %s: %w", ref.display, err)
	}
	if *asJSON {
		return writeJSON(e.stdout, struct {
			Table  string `json:"table"`
			DryRun bool   `json:"dry_run"`
			writer.VacuumResult
		}{ref.display, *dry, res})
	}
	verb := "deleted"
	if *dry {
		verb = "would delete"
		for _, p := range res.Paths {
			fmt.Fprintln(e.stdout, p)
		}
	}
	fmt.Fprintf(e.stdout, "%s %d files (%s) from %s: %d retired, %d orphans; %d kept (retention %s, version %d)\n",
		verb, res.Deleted, formatBytes(res.BytesDeleted), ref.display, res.Tombstoned, res.Orphans, res.Kept, formatRetention(res.Retention), res.Version)
	return nil
}

// formatRetention prints a retention in whole days when it is one ("7d"),
// else as a Go duration; the one nanosecond that stands for --retention 0
// prints as 0s.
func formatRetention(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d <= time.Nanosecond:
		return "0s"
	case d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}
