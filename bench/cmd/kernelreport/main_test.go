package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `goos: linux
BenchmarkKernelUnpack32/w=1/impl=evodb-2         	   20000	       200.0 ns/op	 0.0500 ns/value	81920.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkKernelUnpack32/w=1/impl=parquetgo-2     	   20000	       300.0 ns/op	 0.0700 ns/value	 54613.33 MB/s	       0 B/op	       0 allocs/op
BenchmarkKernelUnpack32/w=1/impl=evodb-2         	   20000	       200.0 ns/op	 0.0400 ns/value	81920.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkKernelUnpack32/w=1/impl=parquetgo-2     	   20000	       300.0 ns/op	 0.0900 ns/value	 54613.33 MB/s	       0 B/op	       0 allocs/op
BenchmarkKernelUnpack32/w=1/impl=evodb-2         	   20000	       200.0 ns/op	 0.0450 ns/value	81920.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkKernelDeltaEncode/sorted/int64/impl=evodb	   100	       1.0 ns/op	 0.5 ns/value
BenchmarkKernelDeltaEncode/sorted/int64/impl=parquetgo	   100	       1.0 ns/op	 4 ns/value
BenchmarkOther/x-2 100 1 ns/op
BenchmarkKernelNoImpl/w=1-2 100 1 ns/op 0.1 ns/value
PASS
`

func TestParseAndMedian(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := []key{{"Unpack32", "w=1"}, {"DeltaEncode", "sorted/int64"}}
	if diff := cmp.Diff(want, r.rows, cmp.AllowUnexported(key{})); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"parquetgo"}, r.peers); diff != "" {
		t.Fatalf("peers (-want +got):\n%s", diff)
	}
	if got := median(r.samples[key{"Unpack32", "w=1"}]["evodb"]); got != 0.045 {
		t.Errorf("median of ours = %v, want 0.045", got)
	}
	if got := median(r.samples[key{"Unpack32", "w=1"}]["parquetgo"]); got != 0.08 {
		t.Errorf("median of peer = %v, want 0.08", got)
	}
	var out strings.Builder
	if err := r.print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0.0450", "0.0800", "1.78x", "DeltaEncode", "sorted/int64", "8.00x"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
