package manifest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Protocol versions this package reads and writes.
const (
	ReaderVersion = 1
	WriterVersion = 2
)

// Snapshot is the state of the table at one version. It is immutable.
type Snapshot struct {
	version   int64
	timestamp time.Time // of the commit that made this version
	protocol  Protocol
	metadata  Metadata
	files     map[string]AddFile // store key → add
	removed   map[string]RemoveFile
	txns      map[string]Txn
	// expiredBefore: a checkpoint in this snapshot's history left out the
	// tombstones deleted before this time, its retention having expired
	// them (zero: none was left out); expiredThrough is the version of the
	// checkpoint this snapshot starts from (-1: none), the last commit
	// whose removes may be missing. The commits after it are all here.
	expiredBefore  time.Time
	expiredThrough int64
}

// Version is the table version this snapshot shows.
func (s *Snapshot) Version() int64 { return s.version }

// Timestamp is the commit time of this version (commitInfo.timestamp, or
// the log file's modification time when the commit has none).
func (s *Snapshot) Timestamp() time.Time { return s.timestamp }

// Protocol returns the table's protocol action.
func (s *Snapshot) Protocol() Protocol { return s.protocol }

// Metadata returns the table's current metaData action.
func (s *Snapshot) Metadata() Metadata { return s.metadata }

// Schema parses the current schema.
func (s *Snapshot) Schema() (StructType, error) { return s.metadata.Schema() }

// Files returns the active data files, sorted by path.
func (s *Snapshot) Files() []AddFile {
	keys := slices.Sorted(maps.Keys(s.files))
	out := make([]AddFile, len(keys))
	for i, k := range keys {
		out[i] = s.files[k]
	}
	return out
}

// Tombstones returns the remove actions of files no longer active, sorted
// by path: what a vacuum may delete once their deletionTimestamp is older
// than the retention.
func (s *Snapshot) Tombstones() []RemoveFile {
	keys := slices.Sorted(maps.Keys(s.removed))
	out := make([]RemoveFile, len(keys))
	for i, k := range keys {
		out[i] = s.removed[k]
	}
	return out
}

// TombstonesExpiredBefore is the time before which this snapshot may lack
// tombstones: a checkpoint in its history left out the removes deleted
// before it, as the retention then in force allowed (the latest of those
// times over the chain of checkpoints it was read from). Zero when the
// snapshot holds every remove of its history. [Table.ExpiredTombstones]
// reads the missing ones back from the commit files.
func (s *Snapshot) TombstonesExpiredBefore() time.Time { return s.expiredBefore }

// TombstoneRetention is how long the table keeps a removed file's
// tombstone: its delta.deletedFileRetentionDuration property ("interval
// 7 days", "interval 36 hours", ...), or DefaultTombstoneRetention when
// the property is unset. Checkpoints drop the tombstones older than it,
// and Vacuum refuses a longer retention, since it could no longer tell
// such files from orphans.
func (s *Snapshot) TombstoneRetention() (time.Duration, error) {
	v, ok := s.metadata.Configuration[TombstoneRetentionProperty]
	if !ok {
		return DefaultTombstoneRetention, nil
	}
	d, err := ParseInterval(v)
	if err != nil {
		return 0, fmt.Errorf("manifest: table property %s: %w", TombstoneRetentionProperty, err)
	}
	return d, nil
}

// NumFiles is the number of active data files.
func (s *Snapshot) NumFiles() int { return len(s.files) }

// File returns the active file at the store key (relative to the table).
func (s *Snapshot) File(key string) (AddFile, bool) {
	f, ok := s.files[key]
	return f, ok
}

// TxnVersion returns the latest version committed by appID, and whether
// appID has committed at all.
func (s *Snapshot) TxnVersion(appID string) (int64, bool) {
	t, ok := s.txns[appID]
	return t.Version, ok
}

// Txns returns the latest txn of every application.
func (s *Snapshot) Txns() map[string]Txn { return maps.Clone(s.txns) }

func emptySnapshot() *Snapshot {
	return &Snapshot{
		version: -1,
		files:   map[string]AddFile{},
		removed: map[string]RemoveFile{},
		txns:    map[string]Txn{},

		expiredThrough: -1,
	}
}

func (s *Snapshot) clone() *Snapshot {
	c := *s
	c.files = maps.Clone(s.files)
	c.removed = maps.Clone(s.removed)
	c.txns = maps.Clone(s.txns)
	return &c
}

// commit is one decoded log file.
type commit struct {
	version int64
	file    string
	modTime time.Time
	actions []Action
}

func (c *commit) info() *CommitInfo {
	for _, a := range c.actions {
		if a.CommitInfo != nil {
			return a.CommitInfo
		}
	}
	return nil
}

func (c *commit) timestamp() time.Time {
	if ci := c.info(); ci != nil && ci.Timestamp > 0 {
		return time.UnixMilli(ci.Timestamp).UTC()
	}
	return c.modTime.UTC()
}

// apply adds commit c (which must be version s.version+1) to s in place.
func (s *Snapshot) apply(c *commit) error {
	if c.version != s.version+1 {
		return fmt.Errorf("manifest: %s: expected version %d next", c.file, s.version+1)
	}
	sawMeta, err := s.applyActions(c)
	if err != nil {
		return err
	}
	if c.version == 0 {
		if s.protocol.MinReaderVersion == 0 {
			return &LogError{File: c.file, Err: errors.New("version 0 has no protocol action")}
		}
		if !sawMeta {
			return &LogError{File: c.file, Err: errors.New("version 0 has no metaData action")}
		}
	}
	s.version = c.version
	s.timestamp = c.timestamp()
	return nil
}

// applyActions applies c's actions to s in place and reports whether
// they held a metaData action.
func (s *Snapshot) applyActions(c *commit) (bool, error) {
	sawMeta := false
	for i, a := range c.actions {
		line := i + 1
		bad := func(err error) error { return &LogError{File: c.file, Line: line, Err: err} }
		switch {
		case a.Protocol != nil:
			if a.Protocol.MinReaderVersion > ReaderVersion {
				return false, bad(fmt.Errorf("%w: the table needs reader version %d, this package reads version %d",
					ErrUnsupportedProtocol, a.Protocol.MinReaderVersion, ReaderVersion))
			}
			s.protocol = *a.Protocol
		case a.Metadata != nil:
			if _, err := a.Metadata.Schema(); err != nil {
				return false, bad(err)
			}
			s.metadata = *a.Metadata
			sawMeta = true
		case a.Add != nil:
			key, err := a.Add.Key()
			if err != nil {
				return false, bad(err)
			}
			s.files[key] = *a.Add
			delete(s.removed, key)
		case a.Remove != nil:
			key, err := a.Remove.Key()
			if err != nil {
				return false, bad(err)
			}
			delete(s.files, key)
			s.removed[key] = *a.Remove
		case a.Txn != nil:
			s.txns[a.Txn.AppID] = *a.Txn
		}
	}
	return sawMeta, nil
}
