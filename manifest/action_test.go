package manifest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/google/go-cmp/cmp"
)

// Lines as the protocol's examples write them; each must decode and
// encode back to the same JSON value.
var protocolLines = []string{
	`{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`,
	`{"metaData":{"id":"af23c9d7-fff1-4a5a-a2c8-55c59bd782aa","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{"appendOnly":"true"},"createdTime":1564524294376}}`,
	`{"add":{"path":"date=2017-12-10/part-000...c000.gz.parquet","partitionValues":{"date":"2017-12-10"},"size":841454,"modificationTime":1512909768000,"dataChange":true,"stats":"{\"numRecords\":1,\"minValues\":{\"val..."}}`,
	`{"remove":{"path":"part-00001-9…..snappy.parquet","deletionTimestamp":1515488792485,"dataChange":true}}`,
	`{"remove":{"path":"a%20b.parquet","deletionTimestamp":1,"dataChange":false,"extendedFileMetadata":true,"partitionValues":{},"size":10}}`,
	`{"txn":{"appId":"3ba13872-2d47-4e17-86a0-21afd2a22395","version":364475,"lastUpdated":1515488792485}}`,
	`{"commitInfo":{"timestamp":1515491537026,"operation":"STREAMING UPDATE","operationParameters":{"outputMode":"Append","epochId":"0"},"isBlindAppend":true,"evodb.commitId":"c1"}}`,
	`{"domainMetadata":{"domain":"d","configuration":"{}","removed":false}}`,
}

func TestActionRoundTrip(t *testing.T) {
	for _, line := range protocolLines {
		acts, err := manifest.DecodeActions("test.json", []byte(line))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out, err := manifest.EncodeActions(acts)
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal([]byte(line), &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("re-encoded %s: %v", out, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", line, diff)
		}
	}
}

func TestCommitInfoFields(t *testing.T) {
	acts, err := manifest.DecodeActions("x.json", []byte(protocolLines[6]))
	if err != nil {
		t.Fatal(err)
	}
	ci := acts[0].CommitInfo
	want := &manifest.CommitInfo{
		Timestamp: 1515491537026, Operation: "STREAMING UPDATE", CommitID: "c1",
		OperationParameters: map[string]string{"outputMode": "Append", "epochId": "0"},
		Extra:               map[string]json.RawMessage{"isBlindAppend": json.RawMessage("true")},
	}
	if diff := cmp.Diff(want, ci); diff != "" {
		t.Errorf("commitInfo (-want +got):\n%s", diff)
	}
}

func TestPaths(t *testing.T) {
	tests := []struct{ key, path string }{
		{"data/blk_1.parquet", "data/blk_1.parquet"},
		{"data/blk 1.parquet", "data/blk%201.parquet"},
		{"date=2026-11-26/a:b#c?.parquet", "date=2026-11-26/a%3Ab%23c%3F.parquet"},
		{"data/ü%.parquet", "data/%C3%BC%25.parquet"},
	}
	for _, tc := range tests {
		if got := manifest.EncodePath(tc.key); got != tc.path {
			t.Errorf("EncodePath(%q) = %q, want %q", tc.key, got, tc.path)
		}
		back, err := manifest.DecodePath(tc.path)
		if err != nil || back != tc.key {
			t.Errorf("DecodePath(%q) = %q, %v; want %q", tc.path, back, err, tc.key)
		}
	}
	for _, bad := range []string{"s3://bucket/x.parquet", "/abs/x.parquet", "%zz", "x?y=1", ""} {
		if _, err := manifest.DecodePath(bad); err == nil {
			t.Errorf("DecodePath(%q) accepted", bad)
		}
	}
}

func TestSchemaJSON(t *testing.T) {
	text := `{"type":"struct","fields":[` +
		`{"name":"id","type":"long","nullable":false,"metadata":{}},` +
		`{"name":"price","type":"decimal(10,2)","nullable":true,"metadata":{}},` +
		`{"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},` +
		`{"name":"attrs","type":{"type":"map","keyType":"string","valueType":"long","valueContainsNull":true},"nullable":true,"metadata":{}},` +
		`{"name":"addr","type":{"type":"struct","fields":[{"name":"city","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]}`
	s, err := manifest.ParseSchema(text)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.SchemaString()
	if err != nil {
		t.Fatal(err)
	}
	if out != text {
		t.Errorf("schema round trip:\n got %s\nwant %s", out, text)
	}
	bad := map[string]string{
		`{"type":"struct","fields":[{"name":"a","type":"long"},{"name":"A","type":"long"}]}`: "differ only in case",
		`{"type":"struct","fields":[{"name":"a","type":"decimal(40,2)"}]}`:                   "unknown type",
		`{"type":"struct","fields":[{"name":"","type":"long"}]}`:                             "empty name",
		`{"type":"struct","fields":[{"name":"a","type":{"type":"array"}}]}`:                  "elementType",
		`{"type":"array","fields":[]}`:                                                       "expected type",
	}
	for text, want := range bad {
		if _, err := manifest.ParseSchema(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchema(%s) = %v, want an error about %q", text, err, want)
		}
	}
}

func TestEvolution(t *testing.T) {
	base := manifest.StructType{Fields: []manifest.StructField{
		{Name: "a", Type: manifest.Type("long")},
		{Name: "s", Type: manifest.DataType{Struct: &manifest.StructType{Fields: []manifest.StructField{{Name: "x", Type: manifest.Type("string"), Nullable: true}}}}, Nullable: true},
	}}
	nested := manifest.StructType{Fields: []manifest.StructField{
		base.Fields[0],
		{Name: "s", Type: manifest.DataType{Struct: &manifest.StructType{Fields: []manifest.StructField{
			{Name: "x", Type: manifest.Type("string"), Nullable: true},
			{Name: "y", Type: manifest.Type("long"), Nullable: true}}}}, Nullable: true},
		{Name: "b", Type: manifest.Type("string"), Nullable: true},
	}}
	if err := manifest.CheckEvolution(base, nested); err != nil {
		t.Errorf("adding nullable columns: %v", err)
	}
	if err := manifest.CheckEvolution(nested, base); err == nil {
		t.Error("dropping columns accepted")
	}
	if err := manifest.CheckEvolution(base, manifest.StructType{Fields: []manifest.StructField{base.Fields[1], base.Fields[0]}}); err == nil {
		t.Error("reordering accepted")
	}
}

func TestDecodeErrors(t *testing.T) {
	_, err := manifest.DecodeActions("_delta_log/00000000000000000007.json", []byte("{\"txn\":{\"appId\":\"a\",\"version\":1}}\n[1,2]\n"))
	var le *manifest.LogError
	if !errors.As(err, &le) || le.Line != 2 || le.File != "_delta_log/00000000000000000007.json" {
		t.Fatalf("got %v, want a LogError at line 2", err)
	}
}

// FuzzDecodeActions: the decoder never panics, and whatever it accepts
// encodes and decodes again to the same actions.
func FuzzDecodeActions(f *testing.F) {
	f.Add([]byte(strings.Join(protocolLines, "\n")))
	for _, l := range protocolLines {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"add":{"path":"a","size":-1}}`))
	f.Add([]byte(`{"commitInfo":{"timestamp":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		acts, err := manifest.DecodeActions("fuzz.json", data)
		if err != nil {
			var le *manifest.LogError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		out, err := manifest.EncodeActions(acts)
		if err != nil {
			t.Fatalf("accepted actions do not encode: %v", err)
		}
		again, err := manifest.DecodeActions("fuzz.json", out)
		if err != nil {
			t.Fatalf("re-encoded actions do not decode: %v\n%s", err, out)
		}
		out2, err := manifest.EncodeActions(again)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(out2) {
			t.Fatalf("encoding not stable:\n%s\n%s", out, out2)
		}
	})
}

// FuzzSnapshotFromCheckpoint: damaged checkpoint files give errors, never
// panics, and anything accepted has a protocol and a schema.
func FuzzSnapshotFromCheckpoint(f *testing.F) {
	mem := upload.NewMemory()
	tbl, err := manifest.Open(mem, "", manifest.Options{CheckpointInterval: 2})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	s, err := tbl.Create(ctx, manifest.StructType{Fields: []manifest.StructField{{Name: "a", Type: manifest.Type("long"), Nullable: true}}},
		manifest.CreateOptions{Configuration: map[string]string{"k": "v"}})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 2 {
		res, err := tbl.Commit(ctx, s, []manifest.Action{
			{Add: &manifest.AddFile{Path: fmt.Sprintf("f%d.parquet", i), PartitionValues: map[string]string{"p": "1"}, Size: 1}},
			{Txn: &manifest.Txn{AppID: "a", Version: int64(i + 1)}},
		}, manifest.CommitOptions{})
		if err != nil || res.CheckpointErr != nil {
			f.Fatal(err, res.CheckpointErr)
		}
		s = res.Snapshot
	}
	seed, _, err := mem.Get(ctx, manifest.CheckpointFile(2))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		m := upload.NewMemory()
		if _, err := m.Put(ctx, manifest.CheckpointFile(5), data, upload.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		tb, err := manifest.Open(m, "", manifest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		snap, err := tb.Snapshot(ctx)
		if err != nil {
			return
		}
		if snap.Version() != 5 || snap.Protocol().MinReaderVersion < 1 {
			t.Fatalf("accepted checkpoint gives version %d protocol %+v", snap.Version(), snap.Protocol())
		}
		if _, err := snap.Schema(); err != nil {
			t.Fatalf("accepted checkpoint has a bad schema: %v", err)
		}
	})
}
