package interop

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// TestDeltaCheckpointArrow reads a table checkpoint written by the
// manifest package with arrow-go: the action groups, maps and lists come
// out with the types of the Delta checkpoint schema, and the add paths,
// txn versions and protocol match the snapshot.
func TestDeltaCheckpointArrow(t *testing.T) {
	ctx := context.Background()
	store := upload.NewMemory()
	tbl, err := manifest.Open(store, "", manifest.Options{CheckpointInterval: 4})
	if err != nil {
		t.Fatal(err)
	}
	schema := manifest.StructType{Fields: []manifest.StructField{{Name: "id", Type: manifest.Type("long"), Nullable: true}}}
	s, err := tbl.Create(ctx, schema, manifest.CreateOptions{Configuration: map[string]string{"delta.appendOnly": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 4; v++ {
		acts := []manifest.Action{
			{Add: &manifest.AddFile{Path: manifest.EncodePath(fmt.Sprintf("data/blk %d.parquet", v)), PartitionValues: map[string]string{"d": fmt.Sprint(v)},
				Size: int64(100 * v), ModificationTime: 1, DataChange: true, Stats: manifest.Stats{NumRecords: int64(v)}.String()}},
			{Txn: &manifest.Txn{AppID: fmt.Sprintf("p%d", v%2), Version: int64(v)}},
		}
		if v == 3 {
			acts = append(acts, manifest.Action{Remove: &manifest.RemoveFile{Path: manifest.EncodePath("data/blk 1.parquet")}})
		}
		res, err := tbl.Commit(ctx, s, acts, manifest.CommitOptions{})
		if err != nil || res.CheckpointErr != nil {
			t.Fatal(err, res.CheckpointErr)
		}
		s = res.Snapshot
	}
	data, _, err := store.Get(ctx, manifest.CheckpointFile(4))
	if err != nil {
		t.Fatal(err)
	}
	at, err := pqarrow.ReadTable(ctx, bytes.NewReader(data), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("arrow-go cannot read the checkpoint: %v", err)
	}
	defer at.Release()
	// protocol, metaData, 2 txns, 3 adds, 1 remove.
	if at.NumRows() != 8 {
		t.Errorf("%d rows, want 8", at.NumRows())
	}
	sc := at.Schema()
	wantTypes := map[string][]string{
		"add":      {"path: utf8", "partitionValues: map<utf8, utf8", "size: int64", "dataChange: bool", "stats: utf8"},
		"metaData": {"partitionColumns: list<element: utf8", "configuration: map<utf8, utf8", "format: struct<provider: utf8"},
		"protocol": {"minReaderVersion: int32", "minWriterVersion: int32"},
		"txn":      {"appId: utf8", "version: int64"},
		"remove":   {"path: utf8", "deletionTimestamp: int64"},
	}
	for name, parts := range wantTypes {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("arrow schema lacks %s: %v", name, sc)
		}
		typ := sc.Field(idx[0]).Type.String()
		for _, p := range parts {
			if !strings.Contains(typ, p) {
				t.Errorf("%s: arrow type %s lacks %q", name, typ, p)
			}
		}
	}
	// The add paths, read through arrow-go's struct column.
	var paths []string
	col := at.Column(sc.FieldIndices("add")[0])
	for _, chunk := range col.Data().Chunks() {
		st := chunk.(*array.Struct)
		p := st.Field(0).(*array.String)
		for i := range st.Len() {
			if st.IsValid(i) {
				paths = append(paths, p.Value(i))
			}
		}
	}
	var want []string
	for _, f := range s.Files() {
		want = append(want, f.Path)
	}
	slices.Sort(paths)
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("add paths (-snapshot +arrow-go):\n%s", diff)
	}
}
