package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/evodb/writer/cdc"
)

var sampleStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func runGen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("gen", "", `
Writes a sample CDC stream to stdout (or --out): the changes of an online
shop's orders table, as JSON lines envelopes or binary batches. Orders are
placed (INSERT), move through their states (UPDATE, which adds a tracking
column once shipped) or are deleted (DELETE, with only the key). The stream
follows from --seed; LSNs start at --start-lsn.

  evodb-writer gen --rows 100000 > orders.jsonl
  evodb-writer gen --rows 100000 | evodb-writer load --table /tmp/lake/orders`)
	rows := fs.Int("rows", 10000, "number of `N` changes to write")
	seed := fs.Uint64("seed", 1, "random `seed`")
	format := fs.String("format", "jsonl", "output `format`: jsonl or binary (EVB1 batches)")
	batch := fs.Int("batch", 1000, "entries per binary batch `N`")
	out := fs.String("out", "", "write to `FILE` instead of stdout")
	producer := fs.String("producer", "shop-db", "producer `id` of the changes")
	table := fs.String("source-table", "orders", "source table `name` in the envelopes")
	startLSN := fs.Int64("start-lsn", 1, "`LSN` of the first change")
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	switch {
	case *rows < 0:
		return usagef("--rows %d: want 0 or more", *rows)
	case *format != "jsonl" && *format != "binary":
		return usagef("--format %q: want jsonl or binary", *format)
	case *batch <= 0:
		return usagef("--batch %d: want 1 or more", *batch)
	case *startLSN <= 0:
		return usagef("--start-lsn %d: want 1 or more", *startLSN)
	case *producer == "":
		return usagef("--producer must not be empty")
	}
	w := e.stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	s := newSampleStream(*seed, *producer, *table, *startLSN, sampleStart)
	if err := writeSample(ctx, bw, s, *rows, *format == "binary", *batch); err != nil {
		if f != nil {
			f.Close()
		}
		return err
	}
	if err := bw.Flush(); err != nil {
		if f != nil {
			f.Close()
		}
		return fmt.Errorf("writing the stream: %w", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}

// writeSample writes n changes of s to w.
func writeSample(ctx context.Context, w io.Writer, s *sampleStream, n int, binary bool, batch int) error {
	var buf []byte
	var pending []cdc.Entry
	var data []byte // row bytes of pending (the stream reuses its buffer)
	flushBinary := func() error {
		// Rebase Data onto data's final backing array.
		off := 0
		for i := range pending {
			l := len(pending[i].Data)
			pending[i].Data = data[off : off+l]
			off += l
		}
		var err error
		buf, err = cdc.AppendBinaryBatch(buf[:0], pending)
		if err != nil {
			return err
		}
		pending, data = pending[:0], data[:0]
		_, err = w.Write(buf)
		return err
	}
	for i := range n {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := s.next()
		if !binary {
			var err error
			if buf, err = cdc.AppendJSONLine(buf[:0], &e); err != nil {
				return err
			}
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("writing the stream: %w", err)
			}
			continue
		}
		data = append(data, e.Data...)
		pending = append(pending, e)
		if len(pending) == batch {
			if err := flushBinary(); err != nil {
				return fmt.Errorf("writing the stream: %w", err)
			}
		}
	}
	if binary && len(pending) > 0 {
		if err := flushBinary(); err != nil {
			return fmt.Errorf("writing the stream: %w", err)
		}
	}
	return nil
}
