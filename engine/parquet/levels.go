package parquet

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Checks over definition and repetition levels, eight levels at a time
// (one uint64 word, a byte per level): the writer validates every level of
// every column it is given, and a byte-at-a-time loop over them cost as
// much as encoding them.

const (
	ones8 = 0x0101010101010101
	high8 = 0x8080808080808080
)

// geMask has bit 7 of each byte of x set where that byte is at least k,
// for 1 <= k <= 128 (a byte of 128 or more is at least any such k).
func geMask(x uint64, k uint8) uint64 {
	return ((x&^high8 + (128-uint64(k))*ones8) | x) & high8
}

// eqCount is the number of bytes of x equal to v.
func eqCount(x uint64, v uint8) int {
	y := x ^ uint64(v)*ones8 // zero bytes where x has v
	return bits.OnesCount64(^((y&^high8 + ^uint64(high8)) | y) & high8)
}

// checkDefLevels returns the number of levels equal to maxDef (the
// present values) and the index of the first level above maxDef, or -1.
// maxDef is below 128 (schemas nest at most maxSchemaDepth levels).
func checkDefLevels(levels []uint8, maxDef uint8) (present, bad int) {
	full := len(levels) &^ 7
	for i := 0; i < full; i += 8 {
		x := binary.LittleEndian.Uint64(levels[i:])
		if geMask(x, maxDef+1) != 0 {
			full = i
			break
		}
		present += eqCount(x, maxDef)
	}
	for i := full; i < len(levels); i++ {
		switch d := levels[i]; {
		case d > maxDef:
			return present, i
		case d == maxDef:
			present++
		}
	}
	return present, -1
}

// checkRepetition checks repetition levels against the definition levels
// (already checked against the leaf's MaxDef) and returns the number of
// rows they describe.
func checkRepetition(def, rep []uint8, l *leaf) (int64, error) {
	if len(rep) == 0 {
		return 0, nil
	}
	if rep[0] != 0 {
		if rep[0] > l.maxRep {
			return 0, fmt.Errorf("repetition level %d at entry %d exceeds %d", rep[0], 0, l.maxRep)
		}
		return 0, fmt.Errorf("first repetition level is %d, want 0", rep[0])
	}
	rows := int64(1)
	i := 1
	if l.maxRep == 1 && len(def) == len(rep) {
		// One list level, the common case: every nonzero level is 1 and
		// needs the list present (definition level at least need) in
		// its entry and the one before.
		need := l.repDef[0]
		for ; i+8 <= len(rep); i += 8 {
			x := binary.LittleEndian.Uint64(rep[i:])
			cont := geMask(x, 1)
			d0 := binary.LittleEndian.Uint64(def[i:])
			d1 := binary.LittleEndian.Uint64(def[i-1:])
			absent := ^(geMask(d0, need) & geMask(d1, need)) & high8
			if geMask(x, 2)|cont&absent != 0 {
				break // the loop below finds and reports it
			}
			rows += int64(8 - bits.OnesCount64(cont))
		}
	}
	for ; i < len(rep); i++ {
		r := rep[i]
		if r > l.maxRep {
			return 0, fmt.Errorf("repetition level %d at entry %d exceeds %d", r, i, l.maxRep)
		}
		if r == 0 {
			rows++
			continue
		}
		// continuing the r-th list needs that list present, both in the
		// previous entry and in this one
		need := l.repDef[r-1]
		if def[i-1] < need || def[i] < need {
			return 0, fmt.Errorf("repetition level %d at entry %d continues a list that is absent (definition levels %d, %d; need %d)",
				r, i, def[i-1], def[i], need)
		}
	}
	return rows, nil
}
