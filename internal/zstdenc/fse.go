package zstdenc

import (
	"math"
	"math/bits"
)

// maxLog is the largest accuracy log of a sequence code table
// (literal and match lengths; offsets allow 8).
const maxLog = 9

// fseTable is the encoding side of an FSE table. The encoder's state S
// runs in [T, 2T) for a table of T = 1<<log states: S-T is the decoder's
// state. Encoding symbol s from S writes the low nb bits of S, where
// nb = (S + sym[s].deltaNb) >> 16, and moves to
// state[S>>nb + sym[s].deltaFind].
type fseTable struct {
	log   uint8
	state []uint16
	sym   [maxSymbols]symTransform
}

const maxSymbols = 53

type symTransform struct {
	deltaNb   uint32
	deltaFind int32
	first     uint16 // a state (S, not S-T) of the symbol
}

// build lays out the decoding table of the normalized distribution norm
// (counts summing to 1<<log, -1 meaning "less than one") as the format
// defines it (RFC 8878, 4.1.1), and derives the encoding transforms from
// it. spread is scratch of at least 1<<log bytes.
func (t *fseTable) build(norm []int16, log uint8, spread []uint8) {
	size := 1 << log
	t.log = log
	if cap(t.state) < size {
		t.state = make([]uint16, size)
	}
	t.state = t.state[:size]
	symbols := spread[:size]
	high := size - 1
	for s, c := range norm {
		if c == -1 {
			symbols[high] = uint8(s)
			high--
		}
	}
	step := size>>1 + size>>3 + 3
	pos := 0
	for s, c := range norm {
		for range max(int(c), 0) {
			symbols[pos] = uint8(s)
			pos = (pos + step) & (size - 1)
			for pos > high {
				pos = (pos + step) & (size - 1)
			}
		}
	}
	// cumulative counts: where each symbol's states start in t.state
	var cumul [maxSymbols + 1]int32
	for s, c := range norm {
		n := int32(c)
		if c == -1 {
			n = 1
		}
		cumul[s+1] = cumul[s] + n
		tt := &t.sym[s]
		switch {
		case n == 0:
			*tt = symTransform{}
			continue
		case n == 1:
			tt.deltaNb = uint32(log)<<16 - uint32(size)
		default:
			maxOut := uint32(log) - uint32(bits.Len32(uint32(n-1))-1)
			tt.deltaNb = maxOut<<16 - uint32(n)<<maxOut
		}
		tt.deltaFind = cumul[s] - n
	}
	next := cumul
	for u := range size {
		s := symbols[u]
		if next[s] == cumul[s] {
			t.sym[s].first = uint16(size + u)
		}
		t.state[next[s]] = uint16(size + u)
		next[s]++
	}
}

// encode writes the bits that take the decoder from the state of
// symbol s back to state S, and returns the state of s.
func (w *bitWriter) encode(t *fseTable, s uint8, S uint32) uint32 {
	tt := &t.sym[s]
	nb := (S + tt.deltaNb) >> 16
	w.acc |= uint64(S&(1<<nb-1)) << w.n
	w.n += uint(nb)
	return uint32(t.state[int32(S>>nb)+tt.deltaFind])
}

// normalize scales count (of total symbols) to a distribution summing to
// 1<<log in which every present symbol has at least 1.
func normalize(norm []int16, count []uint32, total int, log uint8) {
	size := 1 << log
	sum := 0
	largest := 0
	for s, c := range count {
		if c == 0 {
			norm[s] = 0
			continue
		}
		v := max((int(c)*size+total/2)/total, 1)
		norm[s] = int16(v)
		sum += v
		if c > count[largest] {
			largest = s
		}
	}
	if sum < size {
		norm[largest] += int16(size - sum)
		return
	}
	for sum > size {
		// take from the symbol with the most, which loses least
		m := 0
		for s := range norm {
			if norm[s] > norm[m] {
				m = s
			}
		}
		d := min(int(norm[m])-1, sum-size)
		if d == 0 {
			break // not reached: the table log leaves room for every symbol
		}
		// rather one at a time across symbols: at most half of the largest
		d = max(min(d, int(norm[m])/2), 1)
		norm[m] -= int16(d)
		sum -= d
	}
}

// tableCost is the size in bits of coding count with the distribution
// norm (sum 1<<log); ok is false if a present symbol has no probability.
func tableCost(norm []int16, count []uint32, log uint8) (bitsF float64, ok bool) {
	for s, c := range count {
		if c == 0 {
			continue
		}
		if s >= len(norm) || norm[s] == 0 {
			return 0, false
		}
		p := float64(norm[s])
		if norm[s] < 0 {
			p = 1
		}
		bitsF += float64(c) * (float64(log) - math.Log2(p))
	}
	return bitsF, true
}

// appendNCount writes the table description of norm (RFC 8878,
// 4.1.1): its accuracy log, then each symbol's count plus one in as
// few bits as the counts left allow, with runs of zeros flagged in
// 2-bit repeats.
func appendNCount(dst []byte, norm []int16, log uint8) []byte {
	w := bitWriter{dst: dst}
	w.add(uint32(log-5), 4)
	remaining := int32(1)<<log + 1
	threshold := int32(1) << log
	nbBits := uint8(log + 1)
	last := len(norm) - 1
	for last > 0 && norm[last] == 0 {
		last--
	}
	prev0 := false
	for s := 0; s <= last; {
		if prev0 {
			start := s
			for s <= last && norm[s] == 0 {
				s++
			}
			for s >= start+24 {
				start += 24
				w.add(0xFFFF, 16)
				w.flush()
			}
			for s >= start+3 {
				start += 3
				w.add(3, 2)
			}
			w.add(uint32(s-start), 2)
			w.flush()
			prev0 = false
			continue
		}
		c := int32(norm[s])
		s++
		v := c + 1
		mx := 2*threshold - 1 - remaining
		if c < 0 {
			remaining--
		} else {
			remaining -= c
		}
		if v >= threshold {
			v += mx
		}
		w.add(uint32(v), nbBits)
		if v < mx {
			w.n--
			w.acc &= 1<<w.n - 1
		}
		w.flush()
		prev0 = c == 0
		for remaining < threshold && threshold > 1 {
			nbBits--
			threshold >>= 1
		}
	}
	w.flush()
	if w.n > 0 {
		w.dst = append(w.dst, byte(w.acc))
	}
	return w.dst
}
