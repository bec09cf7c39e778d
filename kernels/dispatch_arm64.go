//go:build !purego

package kernels

// neon is the arm64 implementation. ASIMD is mandatory on ARMv8-A, so no
// feature check is needed.
var neon = kernelSet{
	name:     "neon",
	pack32:   noPack32,
	pack64:   noPack64,
	unpack32: unpack32Kernel,
	unpack64: unpack64Kernel,

	packMiniblocks32:   packMiniblocks32Ref,
	packMiniblocks64:   packMiniblocks64Ref,
	unpackMiniblocks32: unpackMiniblocks32Kernel,
	unpackMiniblocks64: unpackMiniblocks64Kernel,

	equalMask8:     noEqualMask8,
	equalMask32:    noEqualMask32,
	levelsToBitmap: noLevelsToBitmap,
	bitmapToLevels: noBitmapToLevels,
	splitBytes32:   noSplitBytes32,
	splitBytes64:   noSplitBytes64,
	joinBytes32:    noJoinBytes32,
	joinBytes64:    noJoinBytes64,

	deltaEncode32: deltaEncode32NEON,
	deltaEncode64: deltaEncode64NEON,
	deltaDecode32: deltaDecode32NEON,
	deltaDecode64: deltaDecode64NEON,

	insert32: insert32Go,
	insert64: insert64Go,

	minMaxInt32:   minMaxInt32NEON,
	minMaxInt64:   minMaxInt64NEON,
	minMaxFloat32: minMaxFloat32Glue,
	minMaxFloat64: minMaxFloat64Glue,
}

func platformSets() []*kernelSet {
	return []*kernelSet{&neon, &reference}
}
