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

// The predefined tables, built once (about 1 KB, read only).
var llPre, mlPre, ofPre fseTable

func init() {
	var spread [1 << maxLog]uint8
	llPre.build(llDefault, llLog, spread[:])
	mlPre.build(mlDefault, mlLog, spread[:])
	ofPre.build(ofDefault, ofLog, spread[:])
}

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
