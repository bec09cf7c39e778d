package kernels

import (
	"math"
	"testing"

	evk "github.com/evodb/writer/kernels"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go/encoding/delta"
)

var interopLengths = []int{0, 1, 2, 31, 127, 128, 129, 130, 4*128 + 1, 4*128 + 50, 3000}

func extremes64(n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = math.MaxInt64
		if i%2 == 0 {
			v[i] = math.MinInt64
		}
	}
	return v
}

// TestDeltaInt64InteropParquetGo encodes with ours and decodes with
// parquet-go's DELTA_BINARY_PACKED, and the reverse, under every kernel
// implementation this CPU runs.
func TestDeltaInt64InteropParquetGo(t *testing.T) {
	var peer delta.BinaryPackedEncoding
	for _, impl := range evk.Available() {
		if err := evk.Use(impl); err != nil {
			t.Fatal(err)
		}
		for _, n := range interopLengths {
			ins := append(deltaInputs64(n), deltaInput[int64]{"extremes", extremes64(n)})
			for _, in := range ins {
				ours := evk.AppendDeltaInt64(nil, in.values)
				got, err := peer.DecodeInt64(nil, ours)
				if err != nil {
					t.Fatalf("%s %s n=%d: parquet-go rejects our stream: %v", impl, in.name, n, err)
				}
				if diff := cmp.Diff(in.values, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s %s n=%d: parquet-go decodes ours (-want +got):\n%s", impl, in.name, n, diff)
				}
				theirs, err := peer.EncodeInt64(nil, in.values)
				if err != nil {
					t.Fatal(err)
				}
				back, used, err := evk.DecodeDeltaInt64(nil, theirs)
				if err != nil {
					t.Fatalf("%s %s n=%d: we reject parquet-go's stream: %v", impl, in.name, n, err)
				}
				if used != len(theirs) {
					t.Errorf("%s %s n=%d: consumed %d of %d bytes", impl, in.name, n, used, len(theirs))
				}
				if diff := cmp.Diff(in.values, back, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s %s n=%d: we decode parquet-go's (-want +got):\n%s", impl, in.name, n, diff)
				}
			}
		}
	}
	if err := evk.Use(evk.Available()[0]); err != nil {
		t.Fatal(err)
	}
}

// TestDeltaInt32InteropParquetGo is the int32 counterpart.
func TestDeltaInt32InteropParquetGo(t *testing.T) {
	var peer delta.BinaryPackedEncoding
	for _, impl := range evk.Available() {
		if err := evk.Use(impl); err != nil {
			t.Fatal(err)
		}
		for _, n := range interopLengths {
			ext := make([]int32, n)
			for i := range ext {
				ext[i] = math.MaxInt32
				if i%2 == 0 {
					ext[i] = math.MinInt32
				}
			}
			ins := append(deltaInputs32(n), deltaInput[int32]{"extremes", ext})
			for _, in := range ins {
				ours := evk.AppendDeltaInt32(nil, in.values)
				got, err := peer.DecodeInt32(nil, ours)
				if err != nil {
					t.Fatalf("%s %s n=%d: parquet-go rejects our stream: %v", impl, in.name, n, err)
				}
				if diff := cmp.Diff(in.values, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s %s n=%d: parquet-go decodes ours (-want +got):\n%s", impl, in.name, n, diff)
				}
				theirs, err := peer.EncodeInt32(nil, in.values)
				if err != nil {
					t.Fatal(err)
				}
				back, used, err := evk.DecodeDeltaInt32(nil, theirs)
				if err != nil {
					t.Fatalf("%s %s n=%d: we reject parquet-go's stream: %v", impl, in.name, n, err)
				}
				if used != len(theirs) {
					t.Errorf("%s %s n=%d: consumed %d of %d bytes", impl, in.name, n, used, len(theirs))
				}
				if diff := cmp.Diff(in.values, back, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("%s %s n=%d: we decode parquet-go's (-want +got):\n%s", impl, in.name, n, diff)
				}
			}
		}
	}
	if err := evk.Use(evk.Available()[0]); err != nil {
		t.Fatal(err)
	}
}
