package parquet

import (
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildSameValues checks the builds on columns with batches of one
// value repeated (looked up once, see sameBytes) against a dictionary
// made value by value in first-seen order: the same values, indices and
// decision, for batches of one value new or already seen, of the empty
// string, mixed with ordinary batches, for long and short values.
func TestBuildSameValues(t *testing.T) {
	// batch describes dictSample values: one value repeated, or (mixed)
	// the values prefix+0, prefix+1, ... cycling through 7 of them
	type batch struct {
		value string
		mixed bool
	}
	cases := []struct {
		name    string
		batches []batch
		last    int // values in the last batch
	}{
		{"constant long", []batch{{value: "pg-orders"}, {value: "pg-orders"}}, 100},
		{"constant short", []batch{{value: "INSERT"}, {value: "INSERT"}, {value: "INSERT"}}, 1},
		{"empty", []batch{{value: ""}, {value: ""}}, 7},
		{"new then seen", []batch{{value: "a-long-producer"}, {value: "mixed", mixed: true}, {value: "another-producer"}, {value: "a-long-producer"}}, dictSample},
		{"short mixed", []batch{{value: "op", mixed: true}, {value: "UPDATE"}, {value: "op3"}}, 2},
		{"one value", []batch{{value: "solo-value"}}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var data []byte
			offsets := []int32{0}
			for i, b := range tc.batches {
				n := dictSample
				if i == len(tc.batches)-1 {
					n = tc.last
				}
				for j := range n {
					v := b.value
					if b.mixed {
						v += strconv.Itoa(j % 7)
					}
					data = append(data, v...)
					offsets = append(offsets, int32(len(data)))
				}
			}
			n := len(offsets) - 1
			// the reference: every value looked up in first-seen order
			seen := map[string]uint32{}
			var wantIdx []uint32
			var wantValues []string
			for i := range n {
				v := string(data[offsets[i]:offsets[i+1]])
				x, ok := seen[v]
				if !ok {
					x = uint32(len(wantValues))
					seen[v] = x
					wantValues = append(wantValues, v)
				}
				wantIdx = append(wantIdx, x)
			}
			builds := []struct {
				name  string
				build func(d *dictBytes, idx []uint32) bool
			}{
				{"build", func(d *dictBytes, idx []uint32) bool { return d.build(data, offsets, 1<<20, 15, idx) }},
				{"buildLong", func(d *dictBytes, idx []uint32) bool { return d.buildLong(data, offsets, 1<<20, 15, idx) }},
			}
			for _, b := range builds {
				var d dictBytes
				idx := make([]uint32, n)
				if !b.build(&d, idx) {
					t.Fatalf("%s: dictionary not kept", b.name)
				}
				slab, offs := d.values()
				var values []string
				for i := range d.len() {
					values = append(values, string(slab[offs[i]:offs[i+1]]))
				}
				if diff := cmp.Diff(wantValues, values); diff != "" {
					t.Errorf("%s: values (-want +got)\n%s", b.name, diff)
				}
				if diff := cmp.Diff(wantIdx, idx); diff != "" {
					t.Errorf("%s: indices (-want +got)\n%s", b.name, diff)
				}
			}
		})
	}
}

// TestSameBytes checks the test for a batch of one value: equal values
// of every length, values that differ anywhere, and offsets that step
// unevenly, fall, start below zero, end past the data or overflow.
func TestSameBytes(t *testing.T) {
	cases := []struct {
		name    string
		data    string
		offsets []int32
		want    bool
	}{
		{"equal", "abcabcabc", []int32{0, 3, 6, 9}, true},
		{"equal, offset start", "xxabab", []int32{2, 4, 6}, true},
		{"empty values", "", []int32{0, 0, 0, 0}, true},
		{"two equal", "zz", []int32{0, 1, 2}, true},
		{"differ last byte", "abcabcabd", []int32{0, 3, 6, 9}, false},
		{"differ first value", "abbaab", []int32{0, 2, 4, 6}, false},
		{"same bytes, other split", "aaaa", []int32{0, 1, 4}, false},
		{"uneven later", "aaaaaaa", []int32{0, 2, 4, 7}, false},
		{"falling", "aaaa", []int32{2, 0, 0}, false},
		{"below zero", "aaaa", []int32{-2, 0, 2}, false},
		{"past the data", "aaaa", []int32{0, 2, 4, 6}, false},
		{"overflow", "aaaa", []int32{0, math.MaxInt32, -2}, false},
	}
	for _, tc := range cases {
		if got := sameBytes([]byte(tc.data), tc.offsets); got != tc.want {
			t.Errorf("%s: sameBytes(%q, %v) = %v, want %v", tc.name, tc.data, tc.offsets, got, tc.want)
		}
	}
}

// BenchmarkBuildConstant builds the dictionary of a row group's
// _producer column (one 9-byte value, 122,880 times): build looks each
// batch up once; insert is every value hashed, as the build did before.
func BenchmarkBuildConstant(b *testing.B) {
	const n = 122_880
	var data []byte
	offsets := []int32{0}
	for range n {
		data = append(data, "pg-orders"...)
		offsets = append(offsets, int32(len(data)))
	}
	idx := make([]uint32, n)
	b.Run("build", func(b *testing.B) {
		var d dictBytes
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if !d.build(data, offsets, 1<<20, 15, idx) {
				b.Fatal("dictionary not kept")
			}
		}
	})
	b.Run("insert", func(b *testing.B) {
		var d dictBytes
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			d.d.Reset()
			for lo := 0; lo < n; lo += dictSample {
				hi := min(lo+dictSample, n)
				if err := d.d.Insert(asI32(idx[lo:hi]), data, offsets[lo:hi+1]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
