package zstdenc

import "math/bits"

// Codes of the three sequence fields (RFC 8878, 3.1.1.3.2.1.1): a code
// stands for a baseline and a number of extra bits read after it.
var (
	llBase = [36]uint32{
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
		8192, 16384, 32768, 65536,
	}
	llBits = [36]uint8{
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16,
	}
	mlBase = [53]uint32{
		3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
		35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
		4099, 8195, 16387, 32771, 65539,
	}
	mlBits = [53]uint8{
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
		12, 13, 14, 15, 16,
	}
)

// The predefined distributions (RFC 8878, 3.1.1.3.2.2): normalized
// counts, -1 meaning "less than one".
var (
	llDefault = []int16{
		4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
		-1, -1, -1, -1,
	}
	mlDefault = []int16{
		1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
		-1, -1, -1, -1, -1,
	}
	ofDefault = []int16{
		1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
	}
)

const (
	llLog = 6
	mlLog = 6
	ofLog = 5
)

// small value → code lookups; larger values take the code from their
// highest bit (see llCode, mlCode)
var (
	llCodeSmall [64]uint8
	mlCodeSmall [128]uint8
)

// fseEnc is the encoding side of one FSE table: for symbol s and the
// state X the following symbol left (0 <= X < table size),
// next[s<<log+X] is the state that encodes s from X, and nb[...] the
// number of low bits of X - baseline the decoder reads to get back to X.
type fseEnc struct {
	log  uint8
	next []uint8
	nb   []uint8
	// first[s] is a state holding symbol s, the start state of the last
	// sequence of a block
	first []uint8
	// offset[s<<log+X] = X - baseline(next state): the bits to write
	off []uint8
}

// The predefined tables, built once: about 13 KB, read only.
var llEnc, mlEnc, ofEnc = buildFSE(llDefault, llLog), buildFSE(mlDefault, mlLog), buildFSE(ofDefault, ofLog)

func init() {
	code := 0
	for v := range llCodeSmall {
		for code+1 < len(llBase) && llBase[code+1] <= uint32(v) {
			code++
		}
		llCodeSmall[v] = uint8(code)
	}
	code = 0
	for v := range mlCodeSmall {
		for code+1 < len(mlBase) && mlBase[code+1] <= uint32(v)+3 {
			code++
		}
		mlCodeSmall[v] = uint8(code)
	}
}

// llCode is the code of literal length ll (below 2^17).
func llCode(ll uint32) uint8 {
	if ll < 64 {
		return llCodeSmall[ll]
	}
	return uint8(bits.Len32(ll)-1) + 19
}

// mlCode is the code of match length ml (3 or more).
func mlCode(ml uint32) uint8 {
	v := ml - 3
	if v < 128 {
		return mlCodeSmall[v]
	}
	return uint8(bits.Len32(v)-1) + 36
}

// buildFSE lays out the decoding table of a normalized distribution as
// the format defines it (RFC 8878, 4.1.1) and inverts it into an
// encoding table.
func buildFSE(norm []int16, log uint8) *fseEnc {
	size := 1 << log
	symbols := make([]uint8, size)
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
		for range max(c, 0) {
			symbols[pos] = uint8(s)
			pos = (pos + step) & (size - 1)
			for pos > high {
				pos = (pos + step) & (size - 1)
			}
		}
	}
	if pos != 0 {
		panic("zstdenc: bad predefined distribution")
	}
	e := &fseEnc{
		log:   log,
		next:  make([]uint8, len(norm)<<log),
		nb:    make([]uint8, len(norm)<<log),
		off:   make([]uint8, len(norm)<<log),
		first: make([]uint8, len(norm)),
	}
	count := make([]int, len(norm))
	for s, c := range norm {
		count[s] = max(int(c), 1)
	}
	seen := make([]bool, len(norm))
	for u := range size {
		s := int(symbols[u])
		if !seen[s] {
			seen[s] = true
			e.first[s] = uint8(u)
		}
		nx := count[s]
		count[s]++
		nb := int(log) + 1 - bits.Len(uint(nx))
		base := nx<<nb - size
		for x := base; x < base+1<<nb; x++ {
			i := s<<log + x
			e.next[i] = uint8(u)
			e.nb[i] = uint8(nb)
			e.off[i] = uint8(x - base)
		}
	}
	return e
}
