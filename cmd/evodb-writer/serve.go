package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/evodb/writer"
	"github.com/evodb/writer/server"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("serve", "", `
Runs the HTTP ingest service until SIGINT or SIGTERM, then shuts down
gracefully: requests in progress finish, buffered entries are flushed and
committed. Producers POST batches (JSON lines or binary) to
/v1/tables/{table}/cdc with an X-Evodb-Producer header; a batch is
acknowledged once it is in the fsynced write-ahead log under --data-dir,
which is replayed at the next start. Tables live under --table-root
(default: DATA_DIR/tables), one per name.

Other routes: GET /v1/tables/{table}, POST /v1/tables/{table}/flush,
POST /v1/tables/{table}/compact, GET /healthz, GET /metrics (Prometheus).

Requests must carry "Authorization: Bearer <token>" when a token is set
(EVODB_TOKEN, or --token-file; prefer those to --token, which other users
of the machine can see in the process list).`)
	var (
		cfg       server.Config
		tf        tableFlags
		maxBody   = sizeFlag{n: server.DefaultMaxBodyBytes}
		flushB    = sizeFlag{n: server.DefaultFlushInputBytes}
		highWater = sizeFlag{n: server.DefaultHighWater}
		lowWater  = sizeFlag{}
		walSeg    = sizeFlag{}
		logLevel  string
		logFormat string
		mode      string
	)
	cfg.FlushInterval = server.DefaultFlushInterval
	cfg.ShutdownTimeout = server.DefaultShutdownTimeout
	fs.StringVar(&cfg.Addr, "addr", server.DefaultAddr, "`host:port` to listen on")
	fs.StringVar(&cfg.DataDir, "data-dir", "evodb-data", "`directory` of the write-ahead log (and of the tables, by default)")
	fs.StringVar(&cfg.TableRoot, "table-root", "", "`URI` under which the tables live: file:///path or s3://bucket/prefix (default DATA_DIR/tables)")
	fs.StringVar(&cfg.Token, "token", "", "bearer `token` requests must carry")
	fs.StringVar(&cfg.TokenFile, "token-file", "", "read the bearer token from `FILE`")
	fs.Var(&maxBody, "max-body", "largest batch `size` accepted, compressed or not (413 above)")
	fs.Var(durationValue{d: &cfg.FlushInterval}, "flush-interval", "flush buffered entries at least every `duration`")
	fs.IntVar(&cfg.FlushEntries, "flush-entries", server.DefaultFlushEntries, "flush a table's buffer at `N` entries")
	fs.Var(&flushB, "flush-input-bytes", "flush a table's buffer once its entries take this `size` as received\n(input bytes, not the Parquet bytes block sizes count)")
	fs.Var(&flushB, "flush-bytes", "old name of --flush-input-bytes (same `size`)")
	fs.Var(&highWater, "high-water", "refuse batches with 429 once this `size` of input bytes is buffered or flushing")
	fs.Var(&lowWater, "low-water", "accept batches again below this `size` (default half of --high-water)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate `FILE`: serve HTTPS (with --tls-key)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key `FILE`")
	fs.Var(&walSeg, "wal-segment", "`size` of a write-ahead log segment")
	fs.Var(durationValue{d: &cfg.ShutdownTimeout}, "shutdown-timeout", "the longest `duration` a graceful shutdown may take")
	fs.StringVar(&mode, "mode", "standard", "partition `mode` of the tables: do-sqlite, standard or enterprise")
	fs.StringVar(&cfg.Writer.Compression, "compression", "zstd", "Parquet page `codec`: zstd, snappy or none")
	fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	fs.StringVar(&logFormat, "log-format", "text", "log `format` on stderr: text or json")
	// The S3 settings of an s3:// table root.
	fs.StringVar(&tf.s3Endpoint, "s3-endpoint", "", "S3 endpoint `URL` of an s3:// table root (R2: https://<account id>.r2.cloudflarestorage.com)")
	fs.StringVar(&tf.s3Region, "s3-region", "", "S3 `region` of an s3:// table root (R2: auto)")
	fs.StringVar(&tf.s3PathStyle, "s3-path-style", "", "address the bucket in the URL path (`BOOL`), as self-hosted servers need")
	for flag, variable := range map[string]string{
		"addr": "EVODB_ADDR", "data-dir": "EVODB_DATA_DIR", "table-root": "EVODB_TABLE_ROOT",
		"token": "EVODB_TOKEN", "token-file": "EVODB_TOKEN_FILE", "max-body": "EVODB_MAX_BODY",
		"flush-interval": "EVODB_FLUSH_INTERVAL", "tls-cert": "EVODB_TLS_CERT", "tls-key": "EVODB_TLS_KEY",
		"mode": "EVODB_MODE", "compression": "EVODB_COMPRESSION", "log-level": "EVODB_LOG_LEVEL",
		"log-format": "EVODB_LOG_FORMAT", "s3-endpoint": "EVODB_S3_ENDPOINT", "s3-region": "EVODB_S3_REGION",
		"s3-path-style": "EVODB_S3_PATH_STYLE", "flush-input-bytes": "EVODB_FLUSH_INPUT_BYTES",
	} {
		fs.env(flag, variable)
	}
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	level, err := parseLogLevel(logLevel)
	if err != nil {
		return usagef("--log-level: %v", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, hopts))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(e.stderr, hopts))
	default:
		return usagef("--log-format %q: want text or json", logFormat)
	}
	cfg.Writer.PartitionMode = writer.PartitionMode(mode)
	if _, err := cfg.Writer.PartitionMode.Limits(); err != nil {
		return usagef("--mode %q: want do-sqlite, standard or enterprise", mode)
	}
	switch cfg.Writer.Compression {
	case "zstd", "snappy", "none":
	default:
		return usagef("--compression %q: want zstd, snappy or none", cfg.Writer.Compression)
	}
	if cfg.FlushInterval <= 0 || cfg.FlushEntries <= 0 {
		return usagef("--flush-interval and --flush-entries must be positive")
	}
	if cfg.TableRoot != "" {
		ref, err := parseTable(cfg.TableRoot, true)
		if err != nil {
			return err
		}
		cfg.TableRoot = ref.display
		if ref.scheme == "s3" && len(ref.query) > 0 {
			return usagef("--table-root %q: give S3 settings with --s3-endpoint, --s3-region and --s3-path-style", cfg.TableRoot)
		}
	}
	// The server opens tables by URI: S3 settings go through the
	// environment the store reads.
	for variable, v := range map[string]string{"AWS_ENDPOINT_URL_S3": tf.s3Endpoint, "AWS_REGION": tf.s3Region, "EVODB_S3_PATH_STYLE": tf.s3PathStyle} {
		if v != "" {
			os.Setenv(variable, v)
		}
	}
	cfg.MaxBodyBytes, cfg.FlushInputBytes, cfg.HighWater, cfg.LowWater, cfg.WALSegmentBytes = maxBody.n, flushB.n, highWater.n, lowWater.n, walSeg.n
	if cfg.LowWater != 0 && cfg.LowWater >= cfg.HighWater {
		return usagef("--low-water %s must be below --high-water %s", formatBytes(cfg.LowWater), formatBytes(cfg.HighWater))
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", cfg.Addr, err)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	cfg.Logger.Info("evodb-writer serve", "version", versionString(), "url", scheme+"://"+ln.Addr().String(), "data_dir", cfg.DataDir,
		"flush_input_bytes", cfg.FlushInputBytes)
	start := time.Now()
	err = srv.Serve(ctx, ln)
	cfg.Logger.Info("stopped", "uptime", time.Since(start).Round(time.Second))
	if err != nil {
		return err
	}
	return nil
}

// sizeFlag is a flag holding a byte count (64MiB, 1048576, ...).
type sizeFlag struct{ n int64 }

func (f *sizeFlag) String() string {
	if f == nil || f.n == 0 {
		return ""
	}
	return formatSize(f.n)
}

func (f *sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	f.n = n
	return nil
}

// formatSize writes n in the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprint(n)
}
