package main

import (
	"context"
	"fmt"
	"time"

	"github.com/evodb/writer"
	"github.com/evodb/writer/cdc"
)

const demoTable = "evodb-demo/orders"

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("demo", "", `
Generates a sample CDC stream (the orders of an online shop: inserts,
updates, deletes; see 'evodb-writer gen --help') and writes it into a local
table in batches, as a CDC source would, then shows the table as 'inspect'
does. Running it again appends: the stream goes on after the highest LSN
the table holds.

  evodb-writer demo
  evodb-writer inspect --table `+demoTable)
	var tf tableFlags
	tf.register(fs)
	tf.uri = demoTable
	fs.Lookup("table").DefValue = demoTable
	rows := fs.Int("rows", 20000, "number of `N` changes to generate")
	batch := fs.Int("batch", 5000, "changes per flush `N` (one block and commit each)")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random `seed` (default: the time)")
	mode := fs.String("mode", string(writer.ModeStandard), "partition `mode`: do-sqlite, standard or enterprise")
	asJSON := fs.Bool("json", false, "print the load summary and the table as JSON (two documents)")
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *rows <= 0 || *batch <= 0 {
		return usagef("--rows and --batch want 1 or more")
	}
	ref, err := parseTable(tf.uri, false)
	if err != nil {
		return err
	}
	if _, err := writer.PartitionMode(*mode).Limits(); err != nil {
		return usagef("--mode %q: want do-sqlite, standard or enterprise", *mode)
	}
	w, err := openWriter(ctx, e, &tf, ref, writer.Options{PartitionMode: writer.PartitionMode(*mode)})
	if err != nil {
		return err
	}
	defer w.Close(context.WithoutCancel(ctx))

	const producer = "shop-db"
	last, _ := w.CommittedLSN(producer)
	s := newSampleStream(*seed, producer, "orders", last+1, time.Now().UTC().Add(-time.Hour))
	start := time.Now()
	sum := loadSummary{Table: ref.display}
	entries := make([]cdc.Entry, 0, *batch)
	var data []byte
	for done := 0; done < *rows; {
		n := min(*batch, *rows-done)
		entries, data = entries[:0], data[:0]
		for range n {
			en := s.next()
			data = append(data, en.Data...)
			entries = append(entries, en)
		}
		// data may have moved while it grew: point the rows at its
		// final backing array.
		off := 0
		for i := range entries {
			l := len(entries[i].Data)
			entries[i].Data = data[off : off+l]
			off += l
		}
		sum.InputBytes += int64(len(data))
		res, err := w.Flush(ctx, entries)
		if err != nil {
			return fmt.Errorf("writing the demo stream: %w", err)
		}
		sum.Entries += int64(n)
		sum.Rows += res.RowCount
		sum.Bytes += res.Bytes
		sum.Blocks += int64(len(res.BlockPaths))
		sum.Rejected += int64(len(res.Rejected))
		sum.Duplicates += int64(res.Duplicates)
		sum.Version = res.Version
		done += n
	}
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.RowsPerSec = float64(sum.Rows) / sum.Seconds
	}
	snap, err := w.Snapshot(ctx)
	if err != nil {
		return tableError(ref, err)
	}
	rep, err := buildReport(ref, snap)
	if err != nil {
		return err
	}
	rep.addCompaction(w.Table(), snap)
	printSummary(e.stdout, sum, *asJSON)
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	fmt.Fprintln(e.stdout)
	rep.writeText(e.stdout, true)
	fmt.Fprintf(e.stdout, `
Next:
  %[1]s inspect --table %[2]s --version 1   # the table after the first batch
  %[1]s compact --table %[2]s               # merge the small blocks
  %[1]s demo --table %[2]s                  # append more changes
`, progName, tf.uri)
	if ref.scheme == "file" {
		fmt.Fprintf(e.stdout, "  duckdb -c \"SELECT status, count(*) FROM delta_scan('%s') GROUP BY ALL\"\n", ref.path)
	}
	return nil
}
