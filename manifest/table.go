// Package manifest is the table log of evodb writer, in the Delta Lake
// protocol (reader version 1, writer version 2).
//
// A table is a prefix in an [upload.Store]. Its history is the sequence
// of commit files _delta_log/00000000000000000000.json, ...0001.json, and
// so on: newline-delimited JSON [Action]s (protocol, metaData, add,
// remove, txn, commitInfo). Version 0 holds the protocol and the
// metaData (table id and schema). A [Snapshot] is the state after
// replaying the log up to a version: the active data files (every add
// not later removed), the latest txn version of each application, the
// schema.
//
// # Commits
//
// [Table.Commit] writes the next commit file with a put-if-absent, so two
// writers can never both create version N. The writer that loses the race
// reads the commits it did not see, checks them for conflicts, and tries
// the next version after a backoff with jitter:
//
//   - appends never conflict with each other;
//   - a commit that removes a file some unseen commit already removed
//     fails with a [*ConflictError] (a compaction lost its inputs);
//   - a commit carrying txn{appId, version} fails with a [*DuplicateError]
//     when the table already holds a txn for appId at that version or
//     later: the batch was committed before and must not be again; an
//     unseen txn for appId at a lower version is a [*ConflictError] (as in
//     Delta, concurrent transactions of one application conflict): the
//     batch was filtered against an older version and may overlap it;
//   - a commit changing the metaData conflicts with any unseen metaData
//     change; an append conflicts with an unseen schema change that is not
//     a pure addition of nullable columns.
//
// Every commit carries a unique id in commitInfo ("evodb.commitId"). When
// a put fails without a clear answer (a timeout, a 5xx, a lost response),
// the writer reads the log back and looks for its id before trying again,
// so a commit is never written twice; if it cannot tell, it returns an
// error matching [ErrCommitUnknown].
//
// # Checkpoints
//
// Every CheckpointInterval commits (default 100) Commit also writes
// _delta_log/%020d.checkpoint.parquet (protocol, metaData, txn, the active
// add and the remove actions, one per row, written with engine/parquet)
// and points _delta_log/_last_checkpoint at it; [Table.Snapshot] starts
// from the latest checkpoint and replays only the commits after it, and
// [Table.SnapshotAsOf] from the newest checkpoint not after the time
// asked. A checkpoint leaves out the tombstones older than the table's
// delta.deletedFileRetentionDuration (a week by default), and records in
// its footer the time its tombstones are complete from, so that a vacuum
// under a retention raised since can read the dropped ones back
// ([Table.ExpiredTombstones]).
package manifest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evodb/writer/upload"
)

// LogDir is the folder of the commit files, relative to the table root.
const LogDir = "_delta_log/"

// Errors of this package. Match them with errors.Is.
var (
	// ErrNoTable: the prefix holds no commit file.
	ErrNoTable = errors.New("manifest: no table (no _delta_log/00000000000000000000.json)")
	// ErrTableExists: Create found version 0 already written.
	ErrTableExists = errors.New("manifest: table already exists")
	// ErrVersionNotFound: a version or time before the first or after the
	// last commit.
	ErrVersionNotFound = errors.New("manifest: version not found")
	// ErrUnsupportedProtocol: the table needs a newer reader or writer.
	ErrUnsupportedProtocol = errors.New("manifest: unsupported protocol")
	// ErrConflict: a concurrent commit made this one invalid; matched by
	// every *ConflictError.
	ErrConflict = errors.New("manifest: conflicting concurrent commit")
	// ErrDuplicate: matched by every *DuplicateError.
	ErrDuplicate = errors.New("manifest: transaction already committed")
	// ErrCommitUnknown: the commit may or may not have been written (the
	// store did not answer and the log could not be read back). Read the
	// table and look for the commit id before trying again.
	ErrCommitUnknown = errors.New("manifest: commit outcome unknown")
)

// ConflictError reports why a commit could not be made on top of a
// concurrent one.
type ConflictError struct {
	Version int64  // the concurrent commit's version
	Reason  string // what clashed
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("manifest: commit conflicts with version %d: %s", e.Version, e.Reason)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// DuplicateError reports a txn at or below a version already committed.
type DuplicateError struct {
	AppID     string
	Version   int64 // the version this commit carried
	Committed int64 // the version the table already holds for AppID
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("manifest: application %q already committed version %d (this commit carries %d)", e.AppID, e.Committed, e.Version)
}

// Is makes errors.Is(err, ErrDuplicate) hold.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// Options tune a Table. The zero value is ready to use.
type Options struct {
	// MaxAttempts bounds the put attempts of one commit (default 100).
	MaxAttempts int
	// BaseDelay is the backoff after the first lost race (default 5 ms);
	// it doubles per attempt up to MaxDelay (default 1 s).
	BaseDelay, MaxDelay time.Duration
	// Sleep waits d or until ctx ends (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1) (default math/rand/v2).
	Jitter func() float64
	// Now is the clock for commit timestamps (default time.Now).
	Now func() time.Time
	// CheckpointInterval: Commit writes a checkpoint after every commit
	// whose version is a multiple of it (default 100; negative: never).
	CheckpointInterval int64
}

func (o *Options) defaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 100
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 5 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Second
	}
	if o.Sleep == nil {
		o.Sleep = upload.Sleep
	}
	if o.Jitter == nil {
		o.Jitter = mrand.Float64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = 100
	}
}

// Table is a Delta table in a store. It is safe for concurrent use.
type Table struct {
	store upload.Store
	opts  Options
}

// Open binds a table to store under prefix ("" for the store's root). It
// does no I/O: the table need not exist yet.
func Open(store upload.Store, prefix string, opts Options) (*Table, error) {
	if store == nil {
		return nil, errors.New("manifest: nil store")
	}
	if p := strings.Trim(prefix, "/"); p != "" {
		s, err := upload.Sub(store, p)
		if err != nil {
			return nil, fmt.Errorf("manifest: table prefix: %w", err)
		}
		store = s
	}
	opts.defaults()
	return &Table{store: store, opts: opts}, nil
}

// Store returns the table's store, rooted at the table.
func (t *Table) Store() upload.Store { return t.store }

// CommitFile is the key of version v's commit file.
func CommitFile(v int64) string { return fmt.Sprintf("%s%020d.json", LogDir, v) }

// parseCommitFile returns the version of a commit file key.
func parseCommitFile(key string) (int64, bool) {
	name, ok := strings.CutPrefix(key, LogDir)
	if !ok || len(name) != 25 || !strings.HasSuffix(name, ".json") {
		return 0, false
	}
	v, err := strconv.ParseInt(name[:20], 10, 64)
	return v, err == nil && v >= 0
}

// CreateOptions describe a new table.
type CreateOptions struct {
	Name, Description string
	Configuration     map[string]string
}

// Create writes version 0: protocol (reader 1, writer 2), metaData with a
// new table id and schema, and commitInfo. It fails with ErrTableExists
// if the table has a version 0.
func (t *Table) Create(ctx context.Context, schema StructType, opts CreateOptions) (*Snapshot, error) {
	ss, err := schema.SchemaString()
	if err != nil {
		return nil, err
	}
	id, err := newUUID()
	if err != nil {
		return nil, err
	}
	conf := opts.Configuration
	if conf == nil {
		conf = map[string]string{}
	}
	created := t.opts.Now().UnixMilli()
	meta := &Metadata{
		ID: id, Name: opts.Name, Description: opts.Description,
		Format:           Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString:     ss,
		PartitionColumns: []string{},
		Configuration:    conf,
		CreatedTime:      &created,
	}
	actions := []Action{
		{Protocol: &Protocol{MinReaderVersion: ReaderVersion, MinWriterVersion: WriterVersion}},
		{Metadata: meta},
	}
	res, err := t.commit(ctx, emptySnapshot(), actions, CommitOptions{Operation: "CREATE TABLE"})
	if err != nil {
		return nil, err
	}
	return res.Snapshot, nil
}

// readCommit reads and decodes version v. A missing file gives an error
// matching upload.ErrNotFound.
func (t *Table) readCommit(ctx context.Context, v int64) (*commit, error) {
	key := CommitFile(v)
	data, info, err := t.store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("manifest: read %s: %w", key, err)
	}
	actions, err := DecodeActions(key, data)
	if err != nil {
		return nil, err
	}
	return &commit{version: v, file: key, modTime: info.ModTime, actions: actions}, nil
}

// scanLog lists the log: the highest commit version (ErrNoTable when
// there is none) and the versions of the checkpoints, ascending.
func (t *Table) scanLog(ctx context.Context) (int64, []int64, error) {
	infos, err := t.store.List(ctx, LogDir)
	if err != nil {
		return 0, nil, fmt.Errorf("manifest: list %s: %w", LogDir, err)
	}
	latest := int64(-1)
	var ckpts []int64
	for _, in := range infos {
		if v, ok := parseCommitFile(in.Key); ok && v > latest {
			latest = v
		} else if v, ok := parseCheckpointFile(in.Key); ok {
			ckpts = append(ckpts, v)
		}
	}
	if latest < 0 && len(ckpts) == 0 {
		return 0, nil, ErrNoTable
	}
	slices.Sort(ckpts)
	if n := len(ckpts); n > 0 && ckpts[n-1] > latest {
		latest = ckpts[n-1] // older commit files may have been cleaned up
	}
	return latest, ckpts, nil
}

func (t *Table) latestVersion(ctx context.Context) (int64, error) {
	latest, _, err := t.scanLog(ctx)
	return latest, err
}

// loadCheckpoint reads the checkpoint of version v.
func (t *Table) loadCheckpoint(ctx context.Context, v int64) (*Snapshot, error) {
	key := CheckpointFile(v)
	data, info, err := t.store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("manifest: read %s: %w", key, err)
	}
	s, err := decodeCheckpoint(key, data, v, info.ModTime.UTC())
	if err != nil {
		return nil, err
	}
	s.timestamp = info.ModTime.UTC()
	if c, err := t.readCommit(ctx, v); err == nil {
		s.timestamp = c.timestamp()
	}
	return s, nil
}

// base returns the starting point for reading version upTo (< 0: the
// latest): the newest checkpoint at or before it, or the empty snapshot.
func (t *Table) base(ctx context.Context, ckpts []int64, upTo int64) (*Snapshot, error) {
	for i := len(ckpts) - 1; i >= 0; i-- {
		if upTo < 0 || ckpts[i] <= upTo {
			return t.loadCheckpoint(ctx, ckpts[i])
		}
	}
	return emptySnapshot(), nil
}

// replay applies versions base.version+1 .. to (inclusive; to < 0: until
// the first missing file) onto a copy of base.
func (t *Table) replay(ctx context.Context, base *Snapshot, to int64, visit func(*commit, *Snapshot) error) (*Snapshot, error) {
	s := base.clone()
	for v := base.version + 1; to < 0 || v <= to; v++ {
		c, err := t.readCommit(ctx, v)
		if err != nil {
			if errors.Is(err, upload.ErrNotFound) {
				if to < 0 {
					break
				}
				if v == 0 {
					return nil, ErrNoTable
				}
				return nil, fmt.Errorf("manifest: the log has a gap: %s is missing but a later version exists", CommitFile(v))
			}
			return nil, err
		}
		if err := s.apply(c); err != nil {
			return nil, err
		}
		if visit != nil {
			if err := visit(c, s); err != nil {
				return nil, err
			}
		}
	}
	if s.version < 0 {
		return nil, ErrNoTable
	}
	return s, nil
}

// Snapshot reads the latest version of the table, starting from the
// latest checkpoint.
func (t *Table) Snapshot(ctx context.Context) (*Snapshot, error) {
	lc, err := t.readLastCheckpoint(ctx)
	switch {
	case err == nil:
		s, err := t.loadCheckpoint(ctx, lc.Version)
		if err == nil {
			return t.replay(ctx, s, -1, nil)
		}
		if !errors.Is(err, upload.ErrNotFound) {
			return nil, err
		}
		// The pointer names a missing checkpoint: list the log instead.
	case errors.Is(err, upload.ErrNotFound):
	default:
		var le *LogError
		if !errors.As(err, &le) {
			return nil, fmt.Errorf("manifest: read %s: %w", LastCheckpointFile, err)
		}
		// A damaged pointer is only a hint: list the log instead.
	}
	latest, ckpts, err := t.scanLog(ctx)
	if err != nil {
		return nil, err
	}
	s, err := t.base(ctx, ckpts, -1)
	if err != nil {
		return nil, err
	}
	if s, err = t.replay(ctx, s, latest, nil); err != nil {
		return nil, err
	}
	// Commits made since the listing are picked up too.
	return t.replay(ctx, s, -1, nil)
}

// Update returns the snapshot after every commit made since s (s itself
// when there is none).
func (t *Table) Update(ctx context.Context, s *Snapshot) (*Snapshot, error) {
	return t.replay(ctx, s, -1, nil)
}

// SnapshotAt reads the table as of version v.
func (t *Table) SnapshotAt(ctx context.Context, v int64) (*Snapshot, error) {
	if v < 0 {
		return nil, fmt.Errorf("%w: negative version %d", ErrVersionNotFound, v)
	}
	latest, ckpts, err := t.scanLog(ctx)
	if err != nil {
		return nil, err
	}
	if v > latest {
		return nil, fmt.Errorf("%w: version %d is after the latest, %d", ErrVersionNotFound, v, latest)
	}
	s, err := t.base(ctx, ckpts, v)
	if err != nil {
		return nil, err
	}
	return t.replay(ctx, s, v, nil)
}

// SnapshotAsOf reads the table as of time at: the latest version whose
// commit timestamp is not after at, reading forward from the newest
// checkpoint whose version's timestamp is not after at (found by a binary
// search over the checkpoints), so the cost is one checkpoint and at
// most a checkpoint interval of commits, not the whole log.
//
// Commit timestamps are taken to increase with the version, as they do
// when the writers' clocks agree. If a clock ran backwards, the answer is
// the version before the first commit after the chosen checkpoint whose
// timestamp is after at; versions before that checkpoint are not read.
func (t *Table) SnapshotAsOf(ctx context.Context, at time.Time) (*Snapshot, error) {
	latest, ckpts, err := t.scanLog(ctx)
	if err != nil {
		return nil, err
	}
	// The first checkpoint made after at; the one before it is the base.
	lo, hi := 0, len(ckpts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		ts, err := t.versionTime(ctx, ckpts[mid])
		if err != nil {
			return nil, err
		}
		if ts.After(at) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	s := emptySnapshot()
	if lo > 0 {
		if s, err = t.loadCheckpoint(ctx, ckpts[lo-1]); err != nil {
			return nil, err
		}
	}
	for v := s.version + 1; v <= latest; v++ {
		c, err := t.readCommit(ctx, v)
		if err != nil {
			return nil, err
		}
		if c.timestamp().After(at) {
			break
		}
		if err := s.apply(c); err != nil {
			return nil, err
		}
	}
	if s.version < 0 {
		return nil, fmt.Errorf("%w: %s is before the table was created", ErrVersionNotFound, at.UTC().Format(time.RFC3339Nano))
	}
	return s, nil
}

// versionTime is the timestamp of version v, which has a checkpoint: its
// commit's, or the checkpoint file's modification time when the commit
// file is gone (as loadCheckpoint dates the snapshot).
func (t *Table) versionTime(ctx context.Context, v int64) (time.Time, error) {
	c, err := t.readCommit(ctx, v)
	if err == nil {
		return c.timestamp(), nil
	}
	if !errors.Is(err, upload.ErrNotFound) {
		return time.Time{}, err
	}
	info, err := t.store.Head(ctx, CheckpointFile(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("manifest: read %s: %w", CheckpointFile(v), err)
	}
	return info.ModTime.UTC(), nil
}

// CommitOptions describe a commit.
type CommitOptions struct {
	// Operation names the commit in commitInfo (default "WRITE").
	Operation           string
	OperationParameters map[string]string
	// StampRemoves sets the deletionTimestamp of every remove action to
	// the commit's timestamp, which Commit takes afresh at each put
	// attempt: the removes are then dated by the attempt that lands, not
	// by when the caller built them or by the first attempt of a commit
	// that lost races. Vacuum's retention counts from this time.
	StampRemoves bool
	// CommitID is the commit's unique id (default: a new random UUID).
	// Pass the same id again only to resume a commit whose outcome was
	// unknown, with the same base snapshot: the commit is looked for
	// among the versions after that base, not before it.
	CommitID string
}

// CommitResult describes a written commit.
type CommitResult struct {
	Version  int64
	CommitID string
	Attempts int       // puts tried
	Snapshot *Snapshot // the table right after this commit
	// CheckpointErr is set when the commit succeeded but the checkpoint
	// due after it could not be written; the table is intact.
	CheckpointErr error
}

// Commit writes actions as the version after base (nil: the latest
// version), retrying past concurrent commits that do not conflict. The
// actions may hold add, remove, txn and metaData; commitInfo is added.
func (t *Table) Commit(ctx context.Context, base *Snapshot, actions []Action, opts CommitOptions) (CommitResult, error) {
	if base == nil {
		var err error
		if base, err = t.Snapshot(ctx); err != nil {
			return CommitResult{}, err
		}
	}
	if base.protocol.MinWriterVersion > WriterVersion {
		return CommitResult{}, fmt.Errorf("%w: the table needs writer version %d, this package writes version %d",
			ErrUnsupportedProtocol, base.protocol.MinWriterVersion, WriterVersion)
	}
	res, err := t.commit(ctx, base, actions, opts)
	if err == nil && t.opts.CheckpointInterval > 0 && res.Version%t.opts.CheckpointInterval == 0 {
		res.CheckpointErr = t.Checkpoint(ctx, res.Snapshot)
	}
	return res, err
}

// checkOwn validates a commit's actions against its base snapshot.
func checkOwn(base *Snapshot, actions []Action) error {
	apps := map[string]bool{}
	for i, a := range actions {
		if n := a.fields(); n != 1 {
			return fmt.Errorf("manifest: action %d: an action must have exactly one field set, it has %d", i, n)
		}
		if err := a.validate(); err != nil {
			return fmt.Errorf("manifest: action %d: %w", i, err)
		}
		switch {
		case a.CommitInfo != nil:
			return fmt.Errorf("manifest: action %d: commitInfo is written by Commit; use CommitOptions", i)
		case a.Protocol != nil && base.version >= 0:
			return fmt.Errorf("manifest: action %d: protocol changes are not supported", i)
		case a.Unknown != "":
			return fmt.Errorf("manifest: action %d: unknown action %q cannot be written", i, a.Unknown)
		case a.Metadata != nil && base.version >= 0:
			next, err := a.Metadata.Schema()
			if err != nil {
				return fmt.Errorf("manifest: action %d: %w", i, err)
			}
			old, err := base.Schema()
			if err != nil {
				return err
			}
			if err := CheckEvolution(old, next); err != nil {
				return err
			}
			if a.Metadata.ID != base.metadata.ID {
				return fmt.Errorf("manifest: action %d: metaData id %q differs from the table's %q", i, a.Metadata.ID, base.metadata.ID)
			}
		case a.Add != nil:
			if _, err := a.Add.Key(); err != nil {
				return fmt.Errorf("manifest: action %d: %w", i, err)
			}
			if a.Add.Stats != "" {
				if _, err := ParseStats(a.Add.Stats); err != nil {
					return fmt.Errorf("manifest: action %d: %w", i, err)
				}
			}
		case a.Remove != nil:
			key, err := a.Remove.Key()
			if err != nil {
				return fmt.Errorf("manifest: action %d: %w", i, err)
			}
			if _, ok := base.files[key]; !ok {
				return &ConflictError{Version: base.version, Reason: fmt.Sprintf("file %q to remove is not active", key)}
			}
		case a.Txn != nil:
			if apps[a.Txn.AppID] {
				return fmt.Errorf("manifest: action %d: second txn for application %q in one commit", i, a.Txn.AppID)
			}
			apps[a.Txn.AppID] = true
			if v, ok := base.TxnVersion(a.Txn.AppID); ok && v >= a.Txn.Version {
				return &DuplicateError{AppID: a.Txn.AppID, Version: a.Txn.Version, Committed: v}
			}
		}
	}
	return nil
}

// checkConflict decides whether ours can follow the unseen commit c.
func checkConflict(c *commit, ours []Action, readSchema StructType) error {
	removes := map[string]bool{}
	txns := map[string]int64{}
	ourMeta, ourAdds := false, false
	for _, a := range ours {
		switch {
		case a.Remove != nil:
			k, _ := a.Remove.Key()
			removes[k] = true
		case a.Txn != nil:
			txns[a.Txn.AppID] = a.Txn.Version
		case a.Metadata != nil:
			ourMeta = true
		case a.Add != nil:
			ourAdds = true
		}
	}
	for _, a := range c.actions {
		switch {
		case a.Remove != nil:
			k, _ := a.Remove.Key()
			if removes[k] {
				return &ConflictError{Version: c.version, Reason: fmt.Sprintf("file %q was removed concurrently", k)}
			}
		case a.Txn != nil:
			v, ok := txns[a.Txn.AppID]
			if ok && a.Txn.Version >= v {
				return &DuplicateError{AppID: a.Txn.AppID, Version: v, Committed: a.Txn.Version}
			}
			if ok {
				// The application committed concurrently at a lower
				// version: the batch may overlap what it committed.
				return &ConflictError{Version: c.version, Reason: fmt.Sprintf(
					"application %q committed version %d concurrently; this commit's txn (version %d) was checked against an older one", a.Txn.AppID, a.Txn.Version, v)}
			}
		case a.Protocol != nil:
			return &ConflictError{Version: c.version, Reason: "the protocol changed"}
		case a.Metadata != nil:
			if ourMeta {
				return &ConflictError{Version: c.version, Reason: "the table metadata changed concurrently"}
			}
			if ourAdds {
				next, err := a.Metadata.Schema()
				if err != nil {
					return err
				}
				if err := CheckEvolution(readSchema, next); err != nil {
					return &ConflictError{Version: c.version, Reason: "the schema changed concurrently: " + err.Error()}
				}
			}
		}
	}
	return nil
}

func (t *Table) backoff(attempt int) time.Duration {
	d := float64(t.opts.BaseDelay) * math.Pow(2, float64(attempt-1))
	if d > float64(t.opts.MaxDelay) {
		d = float64(t.opts.MaxDelay)
	}
	return time.Duration(d/2 + d/2*t.opts.Jitter())
}

func (t *Table) commit(ctx context.Context, base *Snapshot, actions []Action, opts CommitOptions) (CommitResult, error) {
	if err := checkOwn(base, actions); err != nil {
		return CommitResult{}, err
	}
	var readSchema StructType
	if base.version >= 0 {
		var err error
		if readSchema, err = base.Schema(); err != nil {
			return CommitResult{}, err
		}
	}
	id := opts.CommitID
	if id == "" {
		var err error
		if id, err = newUUID(); err != nil {
			return CommitResult{}, err
		}
	}
	op := opts.Operation
	if op == "" {
		op = "WRITE"
	}
	// stamp builds the commit's actions with its timestamp taken now: the
	// commitInfo, the txns' lastUpdated the caller left unset and, with
	// StampRemoves, the removes' deletionTimestamp. It runs before every
	// put attempt, so the timestamps are those of the attempt that lands.
	stamp := func() ([]Action, []byte, error) {
		ts := t.opts.Now().UnixMilli()
		info := &CommitInfo{
			Timestamp: ts, Operation: op,
			OperationParameters: opts.OperationParameters, CommitID: id,
		}
		all := make([]Action, 0, len(actions)+1)
		all = append(all, Action{CommitInfo: info})
		for _, a := range actions {
			// The caller's actions are not modified.
			switch {
			case a.Txn != nil && a.Txn.LastUpdated == nil:
				txn := *a.Txn
				txn.LastUpdated = &ts
				a = Action{Txn: &txn}
			case a.Remove != nil && opts.StampRemoves:
				rm := *a.Remove
				rm.DeletionTimestamp = &ts
				a = Action{Remove: &rm}
			}
			all = append(all, a)
		}
		body, err := EncodeActions(all)
		return all, body, err
	}

	cur := base
	var lastErr error
	for attempt := 1; attempt <= t.opts.MaxAttempts; attempt++ {
		if attempt > 1 {
			if err := t.opts.Sleep(ctx, t.backoff(attempt-1)); err != nil {
				return CommitResult{}, t.unknownIf(lastErr, err)
			}
		}
		all, body, err := stamp()
		if err != nil {
			return CommitResult{}, err
		}
		// Our own commit, as it will read back, to build the result snapshot.
		mine := &commit{actions: all}
		v := cur.version + 1
		key := CommitFile(v)
		_, perr := t.store.Put(ctx, key, body, upload.PutOptions{IfAbsent: true})
		if perr == nil {
			return t.result(cur, mine, v, id, attempt)
		}
		if !errors.Is(perr, upload.ErrPreconditionFailed) {
			// Ambiguous: the put may have been applied.
			lastErr = perr
			if ctx.Err() != nil {
				return CommitResult{}, t.unknownIf(perr, ctx.Err())
			}
		} else {
			lastErr = nil
		}
		// Read what is now in the log from v on, looking for our id and
		// checking each unseen commit for conflicts.
		var found *Snapshot
		next, rerr := t.replay(ctx, cur, -1, func(c *commit, s *Snapshot) error {
			if ci := c.info(); ci != nil && ci.CommitID == id {
				found = s
				return errFound
			}
			if c.version == 0 && base.version < 0 {
				return ErrTableExists
			}
			return checkConflict(c, actions, readSchema)
		})
		if found != nil {
			return CommitResult{Version: found.version, CommitID: id, Attempts: attempt, Snapshot: found}, nil
		}
		if rerr != nil {
			if errors.Is(rerr, ErrNoTable) && base.version < 0 {
				continue // version 0 not there: our put did not land; retry
			}
			if errors.Is(rerr, ErrConflict) || errors.Is(rerr, ErrDuplicate) || errors.Is(rerr, ErrTableExists) ||
				errors.Is(rerr, ErrUnsupportedProtocol) {
				return CommitResult{}, rerr
			}
			var le *LogError
			if errors.As(rerr, &le) {
				return CommitResult{}, rerr
			}
			// The log could not be read: keep the put's error and try again.
			if lastErr == nil {
				lastErr = rerr
			}
			continue
		}
		cur = next
	}
	if lastErr != nil {
		return CommitResult{}, fmt.Errorf("%w: commit %s after %d attempts: %v", ErrCommitUnknown, id, t.opts.MaxAttempts, lastErr)
	}
	return CommitResult{}, fmt.Errorf("manifest: commit %s: lost the race %d times; giving up", id, t.opts.MaxAttempts)
}

var errFound = errors.New("found")

// unknownIf wraps stop (why the loop ended) in ErrCommitUnknown when the
// last put had no clear answer.
func (t *Table) unknownIf(lastPut, stop error) error {
	if lastPut != nil {
		return fmt.Errorf("%w: %v (last put: %v)", ErrCommitUnknown, stop, lastPut)
	}
	return fmt.Errorf("manifest: commit: %w", stop)
}

// result builds the snapshot at version v = cur.version+1.
func (t *Table) result(cur *Snapshot, mine *commit, v int64, id string, attempts int) (CommitResult, error) {
	s := cur.clone()
	c := *mine
	c.version = v
	c.file = CommitFile(v)
	if err := s.apply(&c); err != nil {
		return CommitResult{}, err
	}
	return CommitResult{Version: v, CommitID: id, Attempts: attempts, Snapshot: s}, nil
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("manifest: random id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
