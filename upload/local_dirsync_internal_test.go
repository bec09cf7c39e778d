package upload

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLocalNewDirectoriesAreDurable: a write that creates directories
// (a table's _delta_log/ or data/ at its first commit) fsyncs the parent
// of each one it created before it reports success, so that a crash cannot
// take a committed file away with a directory entry that was never
// synced. Directories that existed are not synced again.
func TestLocalNewDirectoriesAreDurable(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	var synced []string
	l.syncDirFn = func(dir string) error {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		synced = append(synced, filepath.ToSlash(rel))
		return syncDir(dir)
	}
	for _, tc := range []struct {
		key  string
		opts PutOptions
		want []string // directories fsynced, relative to the root
	}{
		{"tables/t/_delta_log/00000000000000000000.json", PutOptions{IfAbsent: true}, []string{".", "tables", "tables/t", "tables/t/_delta_log"}},
		{"tables/t/_delta_log/00000000000000000001.json", PutOptions{IfAbsent: true}, []string{"tables/t/_delta_log"}},
		{"tables/t/data/blk_1.parquet", PutOptions{}, []string{"tables/t", "tables/t/data"}},
	} {
		synced = nil
		if _, err := l.Put(ctx, tc.key, []byte("x"), tc.opts); err != nil {
			t.Fatal(err)
		}
		slices.Sort(synced)
		synced = slices.Compact(synced)
		if diff := cmp.Diff(tc.want, synced); diff != "" {
			t.Fatalf("%s: directories fsynced (-want +got):\n%s", tc.key, diff)
		}
	}
}
