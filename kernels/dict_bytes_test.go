package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// guardKey fills the key and hash entries past a kernel's output.
var guardKey = bytesKey{0xA5A5A5A5A5A5A5A5, 0xA5A5A5A5A5A5A5A5, 0xA5A5A5A5A5A5A5A5, 0xA5A5A5A5A5A5A5A5}

const guardHash = 0xA5A5A5A5

// TestDictBytesHashKernels compares every implementation's hashBytes with
// hashBytesGo on values of 0 to 40 bytes, those at the start of the slab
// included (which end before its byte 8), in a slab that ends right before
// a page without access and output arrays followed by guard entries.
func TestDictBytesHashKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	guard := newGuard(t, 1<<16)
	seed := [3]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64()}
	forEachImpl(t, func(t *testing.T) {
		for trial := range 300 {
			n := 1 + rng.IntN(300)
			offsets := make([]int32, n+1)
			for i := range n {
				l := rng.IntN(26)
				if rng.IntN(8) == 0 {
					l = 25 + rng.IntN(16)
				}
				offsets[i+1] = offsets[i] + int32(l)
			}
			// Start a trial in three of eight at offset 0, so that its first
			// values end before byte 8 of the slab.
			if trial%8 > 2 {
				shift := int32(rng.IntN(20))
				for i := range offsets {
					offsets[i] += shift
				}
			}
			slab := guard(int(offsets[n]))
			for i := range slab {
				slab[i] = byte(rng.UintN(256))
			}
			if rng.IntN(3) == 0 {
				clear(slab) // values of zero bytes: only lengths tell them apart
			}
			wantKeys, wantHashes := guardedKeys(n), guardedHashes(n)
			gotKeys, gotHashes := guardedKeys(n), guardedHashes(n)
			wantLeft := hashBytesGo(wantKeys[:n:n], wantHashes[:n:n], slab, offsets, &seed)
			gotLeft := impl.hashBytes(gotKeys[:n:n], gotHashes[:n:n], slab, offsets, &seed)
			name := fmt.Sprintf("trial %d (%d values)", trial, n)
			if gotLeft != wantLeft {
				t.Fatalf("%s: hashBytes reports values left %v, want %v", name, gotLeft, wantLeft)
			}
			if diff := cmp.Diff(wantKeys, gotKeys, cmp.AllowUnexported(bytesKey{})); diff != "" {
				t.Fatalf("%s: keys (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(wantHashes, gotHashes); diff != "" {
				t.Fatalf("%s: hashes (-want +got):\n%s", name, diff)
			}
			// The words are valueKey's.
			for i := range n {
				o, e := int(offsets[i]), int(offsets[i+1])
				if !shortValue(o, e) {
					continue
				}
				k, h := valueKey(slab, o, e, &seed)
				if k != gotKeys[i] || h != gotHashes[i] {
					t.Fatalf("%s: value %d (%d bytes): key %+v hash %#x, valueKey %+v %#x", name, i, e-o, gotKeys[i], gotHashes[i], k, h)
				}
			}
		}
	})
}

func guardedKeys(n int) []bytesKey {
	keys := make([]bytesKey, n+2)
	for i := range keys {
		keys[i] = guardKey
	}
	return keys
}

func guardedHashes(n int) []uint32 {
	hashes := make([]uint32, n+2)
	for i := range hashes {
		hashes[i] = guardHash
	}
	return hashes
}

// TestDictBytesProbeKernels compares every implementation's probeBytes with
// probeBytesGo on one table: batches of keys present, missing and longer
// than 24 bytes, in nearly full groups. A missing key's slot may differ,
// but must be an empty slot of the group the reference chose.
func TestDictBytesProbeKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var pool []string
	for i := range 3000 {
		l := 1 + rng.IntN(24)
		if i%10 == 0 {
			l = 25 + rng.IntN(20)
		}
		b := make([]byte, l)
		for j := range b {
			b[j] = byte('a' + rng.IntN(3))
		}
		pool = append(pool, string(b))
	}
	// The table: the first 2000 values, inserted by the reference.
	var d DictBytes
	prev := Implementation()
	t.Cleanup(func() { _ = Use(prev) })
	if err := Use("purego"); err != nil {
		t.Fatal(err)
	}
	slab, offsets := bytesInput(pool[:2000])
	if err := d.Insert(make([]int32, 2000), slab, offsets); err != nil {
		t.Fatal(err)
	}
	forEachImpl(t, func(t *testing.T) {
		for trial := range 200 {
			n := 1 + rng.IntN(dictBatch)
			in := make([]string, n)
			for i := range in {
				in[i] = pool[rng.IntN(len(pool))]
			}
			slab, offsets := bytesInput(in)
			keys, hashes := make([]bytesKey, n), make([]uint32, n)
			for i := range n {
				keys[i], hashes[i] = valueKey(slab, int(offsets[i]), int(offsets[i+1]), &d.seed)
			}
			wantIdx, gotIdx := make([]int32, n+1), make([]int32, n+1)
			wantIdx[n], gotIdx[n] = indexCanary, indexCanary
			for at := 0; at < n; {
				wantDone, wantSlot := probeBytesGo(d.ctrl, d.slots, d.gmask, keys[at:], hashes[at:], wantIdx[at:n])
				gotDone, gotSlot := impl.probeBytes(d.ctrl, d.slots, d.gmask, keys[at:], hashes[at:], gotIdx[at:n])
				name := fmt.Sprintf("trial %d, keys from %d", trial, at)
				if gotDone != wantDone {
					t.Fatalf("%s: %d keys settled, want %d", name, gotDone, wantDone)
				}
				switch {
				case wantSlot < 0 || at+wantDone == n:
					if gotSlot != wantSlot {
						t.Fatalf("%s: slot %d, want %d", name, gotSlot, wantSlot)
					}
				case gotSlot/dictGroup != wantSlot/dictGroup || d.ctrl[gotSlot]&0x80 != 0:
					t.Fatalf("%s: slot %d (control byte %#x) is no empty slot of the group of %d", name, gotSlot, d.ctrl[gotSlot], wantSlot)
				}
				at += wantDone + 1 // past the key the kernels left
			}
			if diff := cmp.Diff(wantIdx, gotIdx); diff != "" {
				t.Fatalf("trial %d: indexes (-want +got):\n%s", trial, diff)
			}
		}
	})
}
