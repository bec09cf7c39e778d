package benchdata

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name, base, cas, impl string
		ours                  bool
	}{
		{"KernelUnpack32/w=8/impl=evodb", "KernelUnpack32", "w=8", "evodb", true},
		{"KernelDictProbe/n=1000/impl=gomap", "KernelDictProbe", "n=1000", "gomap", false},
		{"WriteRowGroup/level=3/impl=parquet-go", "WriteRowGroup", "level=3", "parquet-go", false},
		{"Upload/size=64MiB/how=transfermanager", "Upload", "size=64MiB", "transfermanager", false},
		{"JSONLinesToParquet/orders/ours/zstd3", "JSONLinesToParquet", "orders", "ours/zstd3", true},
		{"JSONLinesToParquet/orders/duckdb-2threads", "JSONLinesToParquet", "orders", "duckdb-2threads", false},
		{"TypedRowsToParquet/arrow-go", "TypedRowsToParquet", "", "arrow-go", false},
		{"CDCAdd/mode=single", "CDCAdd", "mode=single", "", true},
	}
	for _, tc := range tests {
		base, cas, impl := Split(tc.name)
		if diff := cmp.Diff([]string{tc.base, tc.cas, tc.impl}, []string{base, cas, impl}); diff != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tc.name, diff)
		}
		if got := IsOurs(impl); got != tc.ours {
			t.Errorf("IsOurs(%q) = %v, want %v", impl, got, tc.ours)
		}
	}
}

func TestRead(t *testing.T) {
	in := `evodb-kernels: purego
cpu: Test CPU
BenchmarkKernelX/w=1/impl=evodb-2   100   12.5 ns/op   0.25 ns/value
BenchmarkKernelX/w=1/impl=evodb-2   100   13.5 ns/op   0.5 ns/value
BenchmarkKernelX/w=1/impl=evodb-2   100   11.0 ns/op   0.75 ns/value
`
	s, err := Read(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	want := map[Key][]float64{
		{"KernelX/w=1/impl=evodb", "ns/op"}:    {12.5, 13.5, 11},
		{"KernelX/w=1/impl=evodb", "ns/value"}: {0.25, 0.5, 0.75},
	}
	if diff := cmp.Diff(want, s.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if s.Config["evodb-kernels"] != "purego" || s.Config["cpu"] != "Test CPU" {
		t.Errorf("config = %v, want evodb-kernels and cpu", s.Config)
	}
	if got := Median(s.Values[Key{"KernelX/w=1/impl=evodb", "ns/op"}]); got != 12.5 {
		t.Errorf("median = %v, want 12.5", got)
	}
	if _, err := Read(strings.NewReader("BenchmarkX-2 100 abc ns/op\n"), "bad"); err == nil {
		t.Error("Read accepted a malformed value")
	}
}
