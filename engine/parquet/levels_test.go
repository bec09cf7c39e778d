package parquet

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refDefLevels is checkDefLevels a level at a time.
func refDefLevels(levels []uint8, maxDef uint8) (present, bad int) {
	for i, d := range levels {
		if d > maxDef {
			return present, i
		}
		if d == maxDef {
			present++
		}
	}
	return present, -1
}

// refRepetition is checkRepetition a level at a time.
func refRepetition(def, rep []uint8, l *leaf) (int64, string) {
	var rows int64
	for i, r := range rep {
		if r > l.maxRep {
			return 0, fmt.Sprintf("repetition level %d at entry %d exceeds %d", r, i, l.maxRep)
		}
		if r == 0 {
			rows++
			continue
		}
		if i == 0 {
			return 0, fmt.Sprintf("first repetition level is %d, want 0", r)
		}
		need := l.repDef[r-1]
		if def[i-1] < need || def[i] < need {
			return 0, fmt.Sprintf("repetition level %d at entry %d continues a list that is absent (definition levels %d, %d; need %d)",
				r, i, def[i-1], def[i], need)
		}
	}
	return rows, ""
}

type levelsResult struct {
	Present, Bad int
	Rows         int64
	Err          string
}

func TestCheckLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	leaves := []leaf{
		{maxDef: 1},
		{maxDef: 2, maxRep: 1, repDef: []uint8{1}},
		{maxDef: 3, maxRep: 1, repDef: []uint8{2}},
		{maxDef: 4, maxRep: 2, repDef: []uint8{1, 3}},
		{maxDef: 100, maxRep: 1, repDef: []uint8{100}},
	}
	for round := range 3000 {
		l := &leaves[round%len(leaves)]
		n := rng.IntN(70)
		def := make([]uint8, n)
		rep := make([]uint8, n)
		for i := range def {
			def[i] = l.maxDef
			if rng.IntN(4) == 0 {
				def[i] = uint8(rng.IntN(int(l.maxDef) + 1))
			}
			if l.maxRep > 0 && i > 0 && rng.IntN(3) > 0 {
				rep[i] = uint8(1 + rng.IntN(int(l.maxRep)))
			}
		}
		if l.maxRep > 0 {
			// make the lists present where they continue, mostly
			for i, r := range rep {
				if r > 0 && rng.IntN(20) > 0 {
					need := l.repDef[r-1]
					def[i] = max(def[i], need)
					def[i-1] = max(def[i-1], need)
				}
			}
		}
		// now and then a level out of range, anywhere
		if n > 0 && rng.IntN(5) == 0 {
			def[rng.IntN(n)] = l.maxDef + 1 + uint8(rng.IntN(200-int(l.maxDef)))
		}
		if n > 0 && l.maxRep > 0 && rng.IntN(5) == 0 {
			rep[rng.IntN(n)] = uint8(rng.IntN(256))
		}
		var want, got levelsResult
		want.Present, want.Bad = refDefLevels(def, l.maxDef)
		got.Present, got.Bad = checkDefLevels(def, l.maxDef)
		if want.Bad < 0 && l.maxRep > 0 {
			want.Rows, want.Err = refRepetition(def, rep, l)
			var err error
			got.Rows, err = checkRepetition(def, rep, l)
			if err != nil {
				got.Err = err.Error()
			}
		}
		if want.Bad >= 0 {
			// the count stops at the bad level; only the index matters
			want.Present, got.Present = 0, 0
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d, leaf %+v, def %v, rep %v: (-want +got)\n%s", round, *l, def, rep, diff)
		}
	}
}

func TestByteMasks(t *testing.T) {
	for k := 1; k <= 128; k++ {
		for v := range 256 {
			x := uint64(v) << 24
			got := geMask(x, uint8(k)) != 0
			if want := v >= k; got != want {
				t.Fatalf("geMask(byte %d, %d) = %v, want %v", v, k, got, want)
			}
		}
	}
	for v := range 256 {
		other := uint64(v^0xff) * ones8
		x := other&^(0xff<<8|0xff<<48) | uint64(v)<<8 | uint64(v)<<48
		want := 2
		if got := eqCount(x, uint8(v)); got != want {
			t.Fatalf("eqCount(%#x, %d) = %d, want %d", x, v, got, want)
		}
	}
}
