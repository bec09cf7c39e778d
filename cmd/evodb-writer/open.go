package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/evodb/writer"
)

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not a level (debug, info, warn, error)", s)
	}
	return l, nil
}

// newLogger writes text log records at level or above to stderr.
func newLogger(e *env, level string) *slog.Logger {
	l, err := parseLogLevel(level)
	if err != nil {
		l = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l}))
}

// openWriter opens (or creates) the table for writing.
func openWriter(ctx context.Context, e *env, tf *tableFlags, ref *tableRef, opts writer.Options) (*writer.LakehouseWriter, error) {
	store, err := tf.openStore(ctx, ref)
	if err != nil {
		return nil, err
	}
	opts.Store = store
	if opts.TableName == "" {
		opts.TableName = tableName(ref)
	}
	w, err := writer.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", ref.display, err)
	}
	return w, nil
}

// tableName is the last element of the table's path: the name given to a
// table this program creates.
func tableName(ref *tableRef) string {
	p := strings.TrimRight(ref.path, "/")
	if i := strings.LastIndexAny(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	return p
}
