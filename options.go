package writer

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"time"

	"github.com/evodb/writer/engine"
	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// PartitionMode names a set of block sizes for a kind of table.
type PartitionMode string

// The partition modes of the original writer.
const (
	// ModeDOSQLite: per-user databases; 64 KB target blocks, 2 MB at most.
	ModeDOSQLite PartitionMode = "do-sqlite"
	// ModeStandard: most applications; 4 MB target blocks, 500 MB at most.
	ModeStandard PartitionMode = "standard"
	// ModeEnterprise: high-volume analytics; 32 MB target blocks, 5 GB at most.
	ModeEnterprise PartitionMode = "enterprise"
)

// ModeLimits are the block sizes of a partition mode, in bytes of the
// Parquet blocks in the store. The buffers count entry bytes
// (cdc.Entry.Size: the JSON of a row plus a fixed overhead), so the writer
// turns them into entry bytes with its running estimate of the compression
// ratio (LakehouseWriter.InputBytesPerBlock; the rule is in blocksize.go):
// Run's buffer flushes at one target block's entry bytes and Flush cuts a
// larger batch into blocks of about that size. Once the estimate has seen
// a few blocks of like data, the blocks of Run and of a large Flush come
// out within 0.5 to 1.5 times TargetBlockBytes (a Flush of a batch smaller
// than that makes a smaller block); none is larger than MaxBlockBytes
// unless it holds a single entry.
type ModeLimits struct {
	// TargetBlockBytes is the size a block is aimed at.
	TargetBlockBytes int64
	// MaxBlockBytes is the most one block holds: a block that encodes to
	// more is written again as several smaller blocks of the same commit.
	MaxBlockBytes int64
}

// Limits returns the block sizes of mode; the zero mode is ModeStandard.
func (m PartitionMode) Limits() (ModeLimits, error) {
	switch m {
	case ModeDOSQLite:
		return ModeLimits{TargetBlockBytes: 64 << 10, MaxBlockBytes: 2 << 20}, nil
	case ModeStandard, "":
		return ModeLimits{TargetBlockBytes: 4 << 20, MaxBlockBytes: 500 << 20}, nil
	case ModeEnterprise:
		return ModeLimits{TargetBlockBytes: 32 << 20, MaxBlockBytes: 5 << 30}, nil
	}
	return ModeLimits{}, fmt.Errorf("writer: unknown partition mode %q (want %q, %q or %q)", string(m), ModeDOSQLite, ModeStandard, ModeEnterprise)
}

// Compression names.
const (
	CompressionZstd   = "zstd"
	CompressionSnappy = "snappy"
	CompressionNone   = "none"
)

// Options configure a LakehouseWriter. Zero fields take the documented
// defaults; exactly one of Store and URI must be set.
type Options struct {
	// Store is the store holding the table, under the prefix Table.
	Store upload.Store
	// Table is the prefix of the table in Store ("" for its root).
	Table string
	// URI names the table instead of Store and Table: file:///path,
	// s3://bucket/prefix or mem://name/prefix (see upload.Open).
	URI string

	// PartitionMode sets the block sizes [ModeStandard].
	PartitionMode PartitionMode
	// TargetBlockBytes and MaxBlockBytes override the mode's figures.
	TargetBlockBytes, MaxBlockBytes int64
	// RowGroupBytes, if set, is the target size of a row group inside a
	// block, in entry bytes; by default row groups are sized by memory
	// (engine.BlockOptions.RowGroupMemory).
	RowGroupBytes int
	// RowGroupMemory sizes row groups by the memory of their shredded
	// columns, as a multiple of the block's Parquet size
	// [engine.DefaultRowGroupMemory] (see engine.BlockOptions): larger row
	// groups take less CPU to encode and compress better, at the price of
	// memory. Ignored when RowGroupBytes is set.
	RowGroupMemory float64

	// BlockEncoders is how many blocks a Flush that makes several blocks
	// (a batch above InputBytesPerBlock) shreds, encodes and uploads at
	// once, each on its own goroutine with its own block writer; each
	// holds the columns of one block in memory [runtime.GOMAXPROCS(0)].
	// With 1 the blocks are written one after another through one
	// pipeline that shreds a block while the one before is encoded (two
	// blocks' columns in memory). Either way a Flush is one commit.
	BlockEncoders int

	// Compression of the data pages: "zstd" (default), "snappy", "none".
	Compression string
	// ZstdLevel is the zstd level, 1..22 [1].
	ZstdLevel int

	// Schema declares columns of the table; the others are inferred from
	// the data. Columns the table already has keep their types.
	Schema *engine.Schema
	// TableName and Description go into the metaData of a table Open
	// creates.
	TableName, Description string

	// PartSize and UploadConcurrency configure the multipart upload of
	// blocks to S3 [upload.DefaultPartSize, upload.DefaultConcurrency];
	// when both are zero the S3 store's own multipart options apply.
	// Other stores ignore them.
	PartSize          int64
	UploadConcurrency int

	// Manifest tunes the table log: commit attempts and backoff,
	// CheckpointInterval (default 100). Its Now defaults to Clock.
	Manifest manifest.Options
	// MaxRewrites bounds how often one Flush writes its blocks again after
	// a concurrent commit made them unusable (a duplicate txn or a
	// clashing schema) [10].
	MaxRewrites int
	// ResolveAttempts bounds how often a commit of unknown outcome is
	// looked for in the log (and completed if absent) before Flush gives
	// up with manifest.ErrCommitUnknown [5].
	ResolveAttempts int

	// Compaction configures Compact and the Stats.CompactionsPending
	// figure; its Clock defaults to Clock.
	Compaction CompactorOptions

	// Clock tells the time for file and commit timestamps [time.Now].
	Clock func() time.Time
	// Logger receives a record per flush and per failure [discard].
	Logger *slog.Logger
}

// config is Options with the defaults applied.
type config struct {
	Options
	limits ModeLimits
}

func (o Options) config() (config, error) {
	c := config{Options: o}
	if (o.Store == nil) == (o.URI == "") {
		return c, errors.New("writer: Options: set exactly one of Store and URI")
	}
	if o.URI != "" && o.Table != "" {
		return c, errors.New("writer: Options: Table is the prefix inside Store; with URI put the prefix in the URI")
	}
	lim, err := o.PartitionMode.Limits()
	if err != nil {
		return c, err
	}
	if c.PartitionMode == "" {
		c.PartitionMode = ModeStandard
	}
	if o.TargetBlockBytes < 0 || o.MaxBlockBytes < 0 {
		return c, fmt.Errorf("writer: Options: negative block size (target %d, max %d)", o.TargetBlockBytes, o.MaxBlockBytes)
	}
	if o.TargetBlockBytes > 0 {
		lim.TargetBlockBytes = o.TargetBlockBytes
	}
	if o.MaxBlockBytes > 0 {
		lim.MaxBlockBytes = o.MaxBlockBytes
	}
	if lim.TargetBlockBytes > lim.MaxBlockBytes {
		return c, fmt.Errorf("writer: Options: target block size %d is above the maximum %d", lim.TargetBlockBytes, lim.MaxBlockBytes)
	}
	c.limits = lim
	switch o.Compression {
	case "":
		c.Compression = CompressionZstd
	case CompressionZstd, CompressionSnappy, CompressionNone:
	default:
		return c, fmt.Errorf("writer: Options: unknown compression %q (want %q, %q or %q)", o.Compression, CompressionZstd, CompressionSnappy, CompressionNone)
	}
	if o.ZstdLevel < 0 || o.ZstdLevel > 22 {
		return c, fmt.Errorf("writer: Options: zstd level %d outside 1..22", o.ZstdLevel)
	}
	if o.RowGroupBytes < 0 {
		return c, fmt.Errorf("writer: Options: negative RowGroupBytes %d", o.RowGroupBytes)
	}
	if o.RowGroupMemory < 0 || math.IsNaN(o.RowGroupMemory) || math.IsInf(o.RowGroupMemory, 0) {
		return c, fmt.Errorf("writer: Options: RowGroupMemory %v is not a positive number (or 0 for the default)", o.RowGroupMemory)
	}
	if o.PartSize != 0 && (o.PartSize < upload.MinPartSize || o.PartSize > upload.MaxPartSize) {
		return c, fmt.Errorf("writer: Options: part size %d outside [%d, %d]", o.PartSize, int64(upload.MinPartSize), int64(upload.MaxPartSize))
	}
	if o.BlockEncoders < 0 {
		return c, fmt.Errorf("writer: Options: negative BlockEncoders %d", o.BlockEncoders)
	}
	if c.BlockEncoders == 0 {
		c.BlockEncoders = runtime.GOMAXPROCS(0)
	}
	if o.UploadConcurrency < 0 {
		return c, fmt.Errorf("writer: Options: negative UploadConcurrency %d", o.UploadConcurrency)
	}
	if o.Schema != nil {
		if err := o.Schema.Validate(); err != nil {
			return c, fmt.Errorf("writer: Options.Schema: %w", err)
		}
	}
	if c.MaxRewrites <= 0 {
		c.MaxRewrites = 10
	}
	if c.ResolveAttempts <= 0 {
		c.ResolveAttempts = 5
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Manifest.Now == nil {
		c.Manifest.Now = c.Clock
	}
	if c.Compaction.Clock == nil {
		c.Compaction.Clock = c.Clock
	}
	if co := c.Compaction; co.defaults() != nil {
		return c, fmt.Errorf("writer: Options.Compaction: %w", co.defaults())
	}
	return c, nil
}
