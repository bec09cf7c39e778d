package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDictShareMemory builds, in turn and with a Reset before each build,
// an integer and a string dictionary that share one DictMemory, in sizes
// that make either table the larger one and grow it mid-build: each build
// gives the indices and values of dictionary encoding, the integer
// dictionary's values stay readable after the string one's build and
// after the slots' memory (Spare) was written over between builds, and the
// shared memory ends up the size of the largest table, not the sum.
func TestDictShareMemory(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		var mem DictMemory
		var di DictInt64
		var ds DictBytes
		di.ShareMemory(&mem)
		ds.ShareMemory(&mem)
		pool := make([]string, 6000)
		for i := range pool {
			b := make([]byte, 1+rng.IntN(30))
			for j := range b {
				b[j] = byte('a' + rng.UintN(26))
			}
			pool[i] = string(b)
		}
		tests := []struct {
			name           string
			ints, distinct int // values of the integer build and their range
			strs, strRange int // values of the string build and how many of pool
		}{
			{"small both", 100, 50, 100, 50},
			{"integers larger", 20000, 9000, 300, 200},
			{"strings larger", 500, 400, 20000, 6000},
			{"integers grow past strings", 30000, 20000, 1000, 900},
			{"empty after large", 0, 1, 0, 1},
			{"one each", 1, 1, 1, 1},
		}
		for _, tc := range tests {
			di.Reset()
			ints := randomInt64s(rng, tc.ints, tc.distinct)
			idx := make([]int32, len(ints))
			if err := di.Insert(idx, ints); err != nil {
				t.Fatalf("%s: DictInt64.Insert: %v", tc.name, err)
			}
			wantIdx, wantDict := oracleEncode(ints)
			checkEncoding(t, wantIdx, idx, wantDict, di.Values())

			ds.Reset()
			in := make([]string, tc.strs)
			for i := range in {
				in[i] = pool[rng.IntN(tc.strRange)]
			}
			slab, offsets := bytesInput(in)
			sidx := make([]int32, len(in))
			if err := ds.Insert(sidx, slab, offsets); err != nil {
				t.Fatalf("%s: DictBytes.Insert: %v", tc.name, err)
			}
			wantS, wantSDict := oracleEncode(in)
			dslab, doffs := ds.Values()
			gotSDict := make([]string, ds.Len())
			for i := range gotSDict {
				gotSDict[i] = string(dslab[doffs[i]:doffs[i+1]])
			}
			checkEncoding(t, wantS, sidx, wantSDict, gotSDict)
			// the string build overwrote the shared table, not the values
			if diff := cmp.Diff(wantDict, di.Values(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s: integer values after the string build (-want +got):\n%s", tc.name, diff)
			}
			// the slots' memory, lent out between builds (Spare) and
			// scribbled over: the values stay, and the next builds
			// (after Reset) are right
			sp := mem.Spare()
			if len(sp) != 0 || cap(sp) == 0 || cap(sp) > mem.Bytes() {
				t.Fatalf("%s: Spare gives %d bytes of %d, want none of at most %d", tc.name, len(sp), cap(sp), mem.Bytes())
			}
			sp = sp[:cap(sp)]
			for i := range sp {
				sp[i] = 0xa5
			}
			if diff := cmp.Diff(wantDict, di.Values(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s: integer values after the spare was written (-want +got):\n%s", tc.name, diff)
			}
			dslab, doffs = ds.Values()
			for i := range gotSDict {
				gotSDict[i] = string(dslab[doffs[i]:doffs[i+1]])
			}
			checkEncoding(t, wantS, sidx, wantSDict, gotSDict)
		}
		// one table's memory: the largest (30,000 values of 20,000
		// distinct: 32,768 slots of 16 bytes), not that plus the strings'
		if got, most := mem.Bytes(), 32768*17; got > most {
			t.Errorf("shared memory holds %d bytes, want at most %d", got, most)
		}
		var own DictInt64
		if err := own.Insert(make([]int32, 3), []int64{1, 2, 1}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{1, 2}, own.Values()); diff != "" {
			t.Errorf("unshared dictionary (-want +got):\n%s", diff)
		}
	})
}
