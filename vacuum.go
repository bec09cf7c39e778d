package writer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// Vacuum defaults and limits.
const (
	// DefaultVacuumRetention is how long files retired from the table are
	// kept when VacuumOptions.Retention is zero and the table does not set
	// delta.deletedFileRetentionDuration: a week, as in Delta Lake.
	DefaultVacuumRetention = 7 * 24 * time.Hour
	// MinVacuumRetention is the shortest retention Vacuum accepts unless
	// VacuumOptions.AllowShortRetention is set. A shorter one could delete
	// a block that a flush or a compaction has uploaded but not committed
	// yet, and the commit would then name a missing file.
	MinVacuumRetention = time.Hour
)

// DataDir is the folder of the table's blocks, the only one Vacuum
// deletes in.
const DataDir = "data/"

// ClockFile is the small object Vacuum writes (and overwrites) at the
// table's root on every run to read the store's clock: its modification
// time, as the store reports it, is the store's notion of now.
const ClockFile = "_evodb/vacuum-clock"

// VacuumOptions configure Vacuum.
type VacuumOptions struct {
	// Retention: files retired longer ago than this are deleted [the
	// table's tombstone retention, manifest.Snapshot.TombstoneRetention:
	// its delta.deletedFileRetentionDuration, or DefaultVacuumRetention].
	// It must exceed the longest a flush or a compaction takes from its
	// first upload to its commit, and the longest a reader keeps using an
	// old snapshot. It may not exceed the table's tombstone retention:
	// checkpoints forget older tombstones, and a file retired longer ago
	// than that could be deleted as an orphan before this retention ends.
	Retention time.Duration
	// AllowShortRetention accepts a Retention below MinVacuumRetention.
	AllowShortRetention bool
	// Now is the clock that tombstones are aged by, against their
	// deletionTimestamp (default time.Now). Orphans are aged by the
	// store's own clock instead (see Vacuum).
	Now func() time.Time
	// DryRun lists what would be deleted without deleting it.
	DryRun bool
}

// VacuumResult describes a vacuum.
type VacuumResult struct {
	Deleted      int   // files deleted (or, with DryRun, to delete)
	BytesDeleted int64 // their bytes
	Tombstoned   int   // of them, files removed from the table by a commit older than the retention
	Orphans      int   // of them, files no commit ever added, written before the retention
	Kept         int   // files under data/ kept: active, or retired or written within the retention
	Version      int64 // the table version whose snapshot decided
	// Retention is the retention applied: VacuumOptions.Retention, or the
	// table's tombstone retention when that was zero.
	Retention time.Duration
	// StoreNow is the store's clock at the start of the run (ClockFile's
	// modification time), which orphans were aged against.
	StoreNow time.Time
	Paths    []string
}

// Vacuum deletes the files under data/ that no snapshot within the
// retention can need:
//
//   - files removed from the table (tombstones of the latest snapshot)
//     whose remove's deletionTimestamp is older than now − retention;
//   - orphans: files no snapshot knows (left by a flush or a compaction
//     whose commit never happened) whose store modification time is older
//     than the store's now − retention.
//
// Orphans are aged on the store's clock alone, so no skew between the
// store and the machine running Vacuum can make a block that is uploaded
// but not yet committed look old: Vacuum first writes ClockFile and reads
// back its modification time (the store's now, at a moment before the
// listing and the snapshot read), and deletes an orphan only when its own
// modification time, set by the same clock, is more than the retention
// before that. The guarantee: a block whose commit lands within the
// retention of its upload's start (as the store's clock runs) is never
// deleted by a vacuum that does not see the commit. A store that reports
// whole seconds only (S3 HEAD) makes the store's now read early, which
// only makes ages shorter. Even DryRun writes ClockFile.
//
// Active files are never deleted, nor is any file retired or written
// within the retention, so every snapshot whose version was current at
// some time within the retention stays readable. A remove without a
// deletionTimestamp counts as made at the latest commit's time. Vacuum
// lists data/ before it reads the snapshot, so a file committed meanwhile
// is either in the snapshot or too recent to be an orphan. It deletes
// nothing under _delta_log/. Files it could not delete are reported in
// the error (the others are deleted); running it again retries them.
//
// Checkpoints drop tombstones older than the table's tombstone retention
// then in force (manifest.Table.Checkpoint), which is why Retention may
// not exceed today's: a file retired longer ago than that may be known to
// Vacuum only as an orphan, aged by its store modification time, which
// came before its removal, so it is deleted no earlier than its tombstone
// would allow. When the retention was shorter at a checkpoint written
// within today's retention (lowered, then raised again), that checkpoint
// may have dropped tombstones still needed: the snapshot says so
// (manifest.Snapshot.TombstonesExpiredBefore), and Vacuum then reads the
// commits made within the retention back from the log
// (manifest.Table.ExpiredTombstones) and keeps every file they removed.
func Vacuum(ctx context.Context, t *manifest.Table, opts VacuumOptions) (VacuumResult, error) {
	if t == nil {
		return VacuumResult{}, errors.New("writer: Vacuum: nil table")
	}
	if opts.Retention < 0 {
		return VacuumResult{}, fmt.Errorf("writer: Vacuum: negative retention %v", opts.Retention)
	}
	if opts.Retention != 0 {
		if err := checkShortRetention(opts); err != nil {
			return VacuumResult{}, err
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	store := t.Store()
	storeNow, err := storeClock(ctx, store, opts.Now())
	if err != nil {
		return VacuumResult{}, err
	}
	objs, err := store.List(ctx, DataDir)
	if err != nil {
		return VacuumResult{}, fmt.Errorf("writer: Vacuum: listing %s: %w", DataDir, err)
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return VacuumResult{}, fmt.Errorf("writer: Vacuum: reading the table: %w", err)
	}
	keep, err := snap.TombstoneRetention()
	if err != nil {
		return VacuumResult{}, fmt.Errorf("writer: Vacuum: %w", err)
	}
	if opts.Retention == 0 {
		opts.Retention = keep
		if err := checkShortRetention(opts); err != nil {
			return VacuumResult{}, fmt.Errorf("%w (the table's %s)", err, manifest.TombstoneRetentionProperty)
		}
	}
	if opts.Retention > keep {
		return VacuumResult{}, fmt.Errorf("writer: Vacuum: retention %v exceeds the table's tombstone retention %v (%s): checkpoints drop older tombstones, so a file retired between %v and %v ago could be taken for an orphan and deleted early; raise the table property or shorten the retention",
			opts.Retention, keep, manifest.TombstoneRetentionProperty, keep, opts.Retention)
	}
	cutoff := opts.Now().Add(-opts.Retention)
	orphanCutoff := storeNow.Add(-opts.Retention)
	res := VacuumResult{Version: snap.Version(), Retention: opts.Retention, StoreNow: storeNow}
	// Files retired within the retention whose tombstones a checkpoint
	// expired under a shorter retention than today's.
	expired, err := t.ExpiredTombstones(ctx, snap, cutoff)
	if err != nil {
		return VacuumResult{}, fmt.Errorf("writer: Vacuum: %w", err)
	}
	recent := map[string]bool{}
	for _, r := range expired {
		if key, err := r.Key(); err == nil {
			recent[key] = true
		}
	}
	retired := map[string]time.Time{}
	for _, r := range snap.Tombstones() {
		key, err := r.Key()
		if err != nil {
			continue
		}
		at := snap.Timestamp()
		if r.DeletionTimestamp != nil {
			at = time.UnixMilli(*r.DeletionTimestamp)
		}
		retired[key] = at
	}
	var errs []error
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, DataDir) {
			continue
		}
		if _, ok := snap.File(o.Key); ok || recent[o.Key] {
			res.Kept++
			continue
		}
		at, isRetired := retired[o.Key]
		limit := cutoff
		if !isRetired {
			at, limit = o.ModTime, orphanCutoff
		}
		if !at.Before(limit) {
			res.Kept++
			continue
		}
		if !opts.DryRun {
			if err := store.Delete(ctx, o.Key); err != nil {
				errs = append(errs, fmt.Errorf("deleting %s: %w", o.Key, err))
				if ctx.Err() != nil {
					break
				}
				continue
			}
		}
		res.Deleted++
		res.BytesDeleted += o.Size
		res.Paths = append(res.Paths, o.Key)
		if isRetired {
			res.Tombstoned++
		} else {
			res.Orphans++
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("writer: Vacuum: %d of the files to delete were not: %w", len(errs), errors.Join(errs...))
	}
	return res, nil
}

// storeClock writes ClockFile and returns its modification time as the
// store reports it: the store's clock at a moment between the call and its
// return. local, the caller's clock, only goes into the file's text, to
// help whoever reads it to see the skew.
func storeClock(ctx context.Context, store upload.Store, local time.Time) (time.Time, error) {
	body := []byte("written by Vacuum to read the store's clock; local time " + local.UTC().Format(time.RFC3339Nano) + "\n")
	if _, err := store.Put(ctx, ClockFile, body, upload.PutOptions{}); err != nil {
		return time.Time{}, fmt.Errorf("writer: Vacuum: writing %s to read the store's clock: %w", ClockFile, err)
	}
	// Head, not Put's answer: an S3 PutObject response has no date.
	info, err := store.Head(ctx, ClockFile)
	if err != nil {
		return time.Time{}, fmt.Errorf("writer: Vacuum: reading back %s for the store's clock: %w", ClockFile, err)
	}
	if info.ModTime.IsZero() {
		return time.Time{}, fmt.Errorf("writer: Vacuum: the store gave %s no modification time, so orphans cannot be aged", ClockFile)
	}
	return info.ModTime, nil
}

func checkShortRetention(opts VacuumOptions) error {
	if opts.Retention < MinVacuumRetention && !opts.AllowShortRetention {
		return fmt.Errorf("writer: Vacuum: retention %v is below %v, which could delete blocks of commits in progress; set AllowShortRetention to force it", opts.Retention, MinVacuumRetention)
	}
	return nil
}
