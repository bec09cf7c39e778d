package manifest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

// buildLog writes commits versions after version 0 straight into the
// store (one add per commit; every 10th commit also removes 5 files, as a
// compaction would), then, if checkpoint, a checkpoint of version
// commits-99, as the default interval of 100 can leave it.
func buildLog(b *testing.B, store upload.Store, commits int, checkpoint bool) {
	b.Helper()
	ctx := context.Background()
	// Version 0 is dated 1 ms after the epoch, so the versions' timestamps
	// increase from it (version v at v ms).
	tbl, err := manifest.Open(store, "", manifest.Options{CheckpointInterval: -1, Now: func() time.Time { return time.UnixMilli(1) }})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tbl.Create(ctx, testSchema, manifest.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	next := 0 // oldest file not yet removed
	for v := 1; v <= commits; v++ {
		acts := []manifest.Action{
			{CommitInfo: &manifest.CommitInfo{Timestamp: int64(v), Operation: "WRITE", CommitID: fmt.Sprint(v)}},
			addAction(fmt.Sprintf("data/blk_%06d.parquet", v), 1000),
			{Txn: &manifest.Txn{AppID: fmt.Sprintf("producer-%d", v%8), Version: int64(v)}},
		}
		if v%10 == 0 {
			for range 5 {
				next++
				acts = append(acts, removeAction(fmt.Sprintf("data/blk_%06d.parquet", next)))
			}
		}
		body, err := manifest.EncodeActions(acts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Put(ctx, manifest.CommitFile(int64(v)), body, upload.PutOptions{IfAbsent: true}); err != nil {
			b.Fatal(err)
		}
	}
	if checkpoint {
		// The worst case: the last checkpoint is 99 commits old.
		s, err := tbl.SnapshotAt(ctx, int64(commits-99))
		if err != nil {
			b.Fatal(err)
		}
		if err := tbl.Checkpoint(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenTable: reading the latest snapshot of a table of 10,000
// commits, from a checkpoint 99 commits behind the latest or by replaying
// the whole log.
func BenchmarkOpenTable(b *testing.B) {
	const commits = 10000
	for _, ckpt := range []bool{true, false} {
		b.Run(fmt.Sprintf("memory/commits=%d/checkpoint=%v", commits, ckpt), func(b *testing.B) {
			store := upload.NewMemory()
			buildLog(b, store, commits, ckpt)
			tbl, err := manifest.Open(store, "", manifest.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				s, err := tbl.Snapshot(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if s.Version() != commits {
					b.Fatalf("version %d", s.Version())
				}
			}
		})
	}
}

// BenchmarkCommit: one append commit (put-if-absent of the next log file)
// on a table of a few files, uncontended.
func BenchmarkCommit(b *testing.B) {
	stores := []struct {
		name string
		new  func(b *testing.B) upload.Store
	}{
		{"memory", func(b *testing.B) upload.Store { return upload.NewMemory() }},
		{"local", func(b *testing.B) upload.Store {
			s, err := upload.NewLocal(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"versitygw", func(b *testing.B) upload.Store {
			gw := uploadtest.SharedGateway(b)
			ctx := context.Background()
			bucket, err := gw.NewBucket(ctx)
			if err != nil {
				b.Fatal(err)
			}
			s, err := upload.NewS3(ctx, upload.S3Options{
				Bucket: bucket, Endpoint: gw.Endpoint, Region: gw.Region, UsePathStyle: true,
				AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey,
			})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			ctx := context.Background()
			tbl, err := manifest.Open(sc.new(b), "", manifest.Options{CheckpointInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			s, err := tbl.Create(ctx, testSchema, manifest.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				acts := []manifest.Action{addAction(fmt.Sprintf("data/blk_%d.parquet", i), 10)}
				if i%2 == 0 {
					acts = append(acts, removeAction(fmt.Sprintf("data/blk_%d.parquet", i-1)))
				}
				res, err := tbl.Commit(ctx, s, acts, manifest.CommitOptions{})
				if err != nil {
					b.Fatal(err)
				}
				s = res.Snapshot
			}
		})
	}
}

// BenchmarkSnapshotAsOf: time travel by timestamp on a table of 10,000
// commits with a checkpoint every 100 (as the default interval leaves
// them), to the time of a version in the middle and of one near the end.
func BenchmarkSnapshotAsOf(b *testing.B) {
	const commits = 10000
	store := upload.NewMemory()
	buildLog(b, store, commits, false)
	ctx := context.Background()
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for v := int64(100); v <= commits; v += 100 {
		s, err := tbl.SnapshotAt(ctx, v) // from the checkpoint before
		if err != nil {
			b.Fatal(err)
		}
		if err := tbl.Checkpoint(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	for _, v := range []int64{5050, 9950} {
		b.Run(fmt.Sprintf("memory/commits=%d/version=%d", commits, v), func(b *testing.B) {
			at := time.UnixMilli(v) // buildLog stamps version v at v ms
			b.ReportAllocs()
			for b.Loop() {
				s, err := tbl.SnapshotAsOf(ctx, at)
				if err != nil {
					b.Fatal(err)
				}
				if s.Version() != v {
					b.Fatalf("version %d, want %d", s.Version(), v)
				}
			}
		})
	}
}
