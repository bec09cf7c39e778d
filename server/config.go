package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	writer "github.com/evodb/writer"
	"github.com/evodb/writer/server/wal"
)

// Defaults for the zero fields of Config.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultMaxBodyBytes    = 64 << 20
	DefaultFlushInterval   = time.Second
	DefaultFlushEntries    = 500_000
	DefaultFlushInputBytes = 64 << 20
	// Deprecated: DefaultFlushBytes is DefaultFlushInputBytes's old name.
	DefaultFlushBytes      = DefaultFlushInputBytes
	DefaultHighWater       = 512 << 20
	DefaultShutdownTimeout = 30 * time.Second
	// ProducerHeader names the producer of a batch's entries.
	ProducerHeader = "X-Evodb-Producer"
	// Content types of a batch body.
	ContentTypeJSONLines = "application/x-ndjson"
	ContentTypeBinary    = "application/x-evodb-batch"
)

// Config configures a Server. Zero fields take the documented defaults;
// only DataDir is required.
type Config struct {
	// Addr is the address ListenAndServe listens on [DefaultAddr].
	Addr string
	// DataDir holds the server's own files: the write-ahead log in
	// DataDir/wal and, unless TableRoot says otherwise, the tables in
	// DataDir/tables.
	DataDir string
	// TableRoot is the URI under which tables live: table "orders" is
	// TableRoot + "/orders". file:///path, s3://bucket/prefix or
	// mem://name [file://DataDir/tables].
	TableRoot string

	// Token is the bearer token every request but GET /healthz must carry
	// ("Authorization: Bearer <token>"). TokenFile names a file holding it
	// instead (surrounding white space is ignored). With neither, requests
	// are not authenticated.
	Token     string
	TokenFile string

	// MaxBodyBytes limits a batch, both as sent and after decompression;
	// a larger one is answered 413 [DefaultMaxBodyBytes].
	MaxBodyBytes int64

	// FlushInterval: buffered entries are flushed at least this often
	// [DefaultFlushInterval].
	FlushInterval time.Duration
	// FlushEntries and FlushInputBytes: a table's buffer is flushed as
	// soon as it holds this many entries or this many input bytes
	// [DefaultFlushEntries, DefaultFlushInputBytes].
	//
	// Input bytes are what the entries take as received (cdc.Entry.Size:
	// the row's JSON and its envelope, decompressed), the unit the buffer
	// and the backpressure below count in. They are not the Parquet bytes
	// that block sizes count (Writer.TargetBlockBytes, MaxBlockBytes): a
	// flush of FlushInputBytes is written as blocks of the target Parquet
	// size, splitting at the input-per-block ratio the writer learns
	// (writer.LakehouseWriter.InputBytesPerBlock); with zstd a JSON row
	// commonly takes 3 to 10 times fewer bytes in Parquet.
	FlushEntries    int
	FlushInputBytes int64
	// Deprecated: FlushBytes is FlushInputBytes's old name, taken when
	// FlushInputBytes is zero; setting both to different values is an
	// error.
	FlushBytes int64
	// HighWater: once the input bytes buffered and flushing in all tables
	// reach it, batches are refused with 429 and Retry-After until they
	// fall below LowWater [DefaultHighWater, half of HighWater].
	HighWater, LowWater int64

	// TLSCert and TLSKey are PEM files; with both set the server speaks
	// HTTPS only.
	TLSCert, TLSKey string

	// WALSegmentBytes is the size of a write-ahead log segment
	// [wal.DefaultSegmentBytes].
	WALSegmentBytes int64

	// ShutdownTimeout bounds the graceful shutdown Serve does when its
	// context ends [DefaultShutdownTimeout].
	ShutdownTimeout time.Duration

	// Logger receives structured logs [slog.Default()].
	Logger *slog.Logger

	// Writer holds the options every table is opened with (partition
	// mode, compression, schema...). Its Store, Table and URI are set by
	// the server per table.
	Writer writer.Options

	// openTable replaces the real table writer in tests.
	openTable func(ctx context.Context, name, uri string) (tableWriter, error)
}

// withDefaults checks c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, errors.New("server: Config.DataDir is required (it holds the write-ahead log)")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, fmt.Errorf("server: Config.DataDir: %w", err)
	}
	c.DataDir = abs
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.TableRoot == "" {
		c.TableRoot = "file://" + filepath.ToSlash(filepath.Join(c.DataDir, "tables"))
	}
	c.TableRoot = strings.TrimRight(c.TableRoot, "/")
	if !strings.Contains(c.TableRoot, "://") {
		return c, fmt.Errorf("server: Config.TableRoot %q is not a URI (file:///path, s3://bucket/prefix, mem://name)", c.TableRoot)
	}
	if c.Token != "" && c.TokenFile != "" {
		return c, errors.New("server: set Config.Token or Config.TokenFile, not both")
	}
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return c, fmt.Errorf("server: token file: %w", err)
		}
		c.Token = strings.TrimSpace(string(b))
		if c.Token == "" {
			return c, fmt.Errorf("server: token file %s is empty", c.TokenFile)
		}
	}
	if c.MaxBodyBytes < 0 || c.FlushEntries < 0 || c.FlushInputBytes < 0 || c.FlushBytes < 0 || c.HighWater < 0 || c.LowWater < 0 || c.FlushInterval < 0 || c.WALSegmentBytes < 0 || c.ShutdownTimeout < 0 {
		return c, errors.New("server: Config: sizes, counts and durations must not be negative")
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if limit := int64(wal.MaxRecordBytes - maxRecordHeaderBytes); c.MaxBodyBytes > limit {
		// A batch is logged whole, in one record.
		return c, fmt.Errorf("server: Config.MaxBodyBytes %d is above %d, the most a write-ahead log record holds besides its header", c.MaxBodyBytes, limit)
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.FlushEntries == 0 {
		c.FlushEntries = DefaultFlushEntries
	}
	switch {
	case c.FlushInputBytes != 0 && c.FlushBytes != 0 && c.FlushBytes != c.FlushInputBytes:
		return c, fmt.Errorf("server: Config.FlushBytes (%d) is the old name of FlushInputBytes (%d): set one of them", c.FlushBytes, c.FlushInputBytes)
	case c.FlushInputBytes == 0:
		c.FlushInputBytes = c.FlushBytes
	}
	if c.FlushInputBytes == 0 {
		c.FlushInputBytes = DefaultFlushInputBytes
	}
	c.FlushBytes = c.FlushInputBytes
	if c.HighWater == 0 {
		c.HighWater = DefaultHighWater
	}
	if c.LowWater == 0 {
		c.LowWater = c.HighWater / 2
	}
	if c.LowWater >= c.HighWater {
		return c, fmt.Errorf("server: Config.LowWater (%d) must be below HighWater (%d)", c.LowWater, c.HighWater)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, errors.New("server: set both Config.TLSCert and Config.TLSKey, or neither")
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// tableURI is the URI of the table name under root.
func tableURI(root, name string) string { return root + "/" + name }

// validTableName reports why name cannot be a table name, or "" if it can:
// 1 to 128 of A-Z a-z 0-9 _ -.
func validTableName(name string) string {
	if name == "" {
		return "empty table name"
	}
	if len(name) > 128 {
		return fmt.Sprintf("table name of %d bytes (at most 128)", len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Sprintf("table name %q: byte %d (%q) is not one of A-Z a-z 0-9 _ -", name, i, c)
		}
	}
	return ""
}

// validProducer reports why p cannot name a producer, or "" if it can.
func validProducer(p string) string {
	if len(p) > 256 {
		return fmt.Sprintf("producer name of %d bytes (at most 256)", len(p))
	}
	for i, r := range p {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return fmt.Sprintf("producer name %q: character %d is a control or invalid character", p, i)
		}
	}
	return ""
}
