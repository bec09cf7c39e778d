//go:build !purego

package kernels

import "unsafe"

// Go halves of the arm64 pack kernels (the unpack ones are in
// bitpack_asm.go). The assembly stores whole 64-bit words, up to seven
// bytes past each group's width bytes; these wrappers hand it only the
// groups for which that stays inside dst, and pack the others into a small
// buffer on the stack.

// packReach is how many bytes the arm64 packers store for a group of width w.
func packReach(w int) int { return (w + 7) &^ 7 }

var packReaches = reachTable(packReach)

func pack32Neon(dst []byte, src []uint32, width uint) int {
	if width == 32 { // the layout is the values' little-endian bytes
		return copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), 4*len(src))) / 4
	}
	w := int(width)
	groups := len(src) / 8
	reach := packReach(w)
	fast := min(groups, safeGroups(len(dst), w, reach))
	if fast > 0 {
		pack32Asm(&dst[0], &src[0], fast, width)
	}
	if fast < groups { // zeroed only when needed
		var buf [stageLen]byte
		for g := fast; g < groups; {
			k := min(groups-g, safeGroups(len(buf), w, reach))
			pack32Asm(&buf[0], &src[8*g], k, width)
			copy(dst[g*w:(g+k)*w], buf[:])
			g += k
		}
	}
	return 8 * groups
}

func pack64Neon(dst []byte, src []uint64, width uint) int {
	if width == 64 {
		return copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), 8*len(src))) / 8
	}
	w := int(width)
	groups := len(src) / 8
	reach := packReach(w)
	fast := min(groups, safeGroups(len(dst), w, reach))
	if fast > 0 {
		pack64Asm(&dst[0], &src[0], fast, width)
	}
	if fast < groups { // zeroed only when needed
		var buf [stageLen]byte
		for g := fast; g < groups; {
			k := min(groups-g, safeGroups(len(buf), w, reach))
			pack64Asm(&buf[0], &src[8*g], k, width)
			copy(dst[g*w:(g+k)*w], buf[:])
			g += k
		}
	}
	return 8 * groups
}

func packMiniblocks32Neon(dst []byte, src []uint32, widths []uint8) {
	n, o := miniblockPrefix(len(src), len(dst), widths, 32, packReaches)
	if n > 0 {
		packMiniblocks32Asm(unsafe.SliceData(dst), &src[0], &widths[0], n)
	}
	if n < len(widths) { // zeroed only when needed
		var buf [stageLen]byte
		for i := n; i < len(widths); i++ {
			w := 4 * int(widths[i])
			packMiniblocks32Asm(&buf[0], &src[MiniblockLen*i], &widths[i], 1)
			copy(dst[o:o+w], buf[:w])
			o += w
		}
	}
}

func packMiniblocks64Neon(dst []byte, src []uint64, widths []uint8) {
	n, o := miniblockPrefix(len(src), len(dst), widths, 64, packReaches)
	if n > 0 {
		packMiniblocks64Asm(unsafe.SliceData(dst), &src[0], &widths[0], n)
	}
	if n < len(widths) { // zeroed only when needed
		var buf [stageLen]byte
		for i := n; i < len(widths); i++ {
			w := 4 * int(widths[i])
			packMiniblocks64Asm(&buf[0], &src[MiniblockLen*i], &widths[i], 1)
			copy(dst[o:o+w], buf[:w])
			o += w
		}
	}
}
