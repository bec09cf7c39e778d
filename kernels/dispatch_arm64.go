//go:build !purego

package kernels

// neon is the arm64 implementation. ASIMD is mandatory on ARMv8-A, so no
// feature check is needed.
var neon = kernelSet{
	name:     "neon",
	pack32:   pack32Neon,
	pack64:   pack64Neon,
	unpack32: unpack32Kernel,
	unpack64: unpack64Kernel,

	packMiniblocks32:   packMiniblocks32Neon,
	packMiniblocks64:   packMiniblocks64Neon,
	unpackMiniblocks32: unpackMiniblocks32Kernel,
	unpackMiniblocks64: unpackMiniblocks64Kernel,

	equalMask8:     equalMask8Neon,
	equalMask32:    equalMask32Neon,
	levelsToBitmap: levelsToBitmapNeon,
	bitmapToLevels: bitmapToLevelsNeon,
	splitBytes32:   splitBytes32Neon,
	splitBytes64:   splitBytes64Neon,
	joinBytes32:    joinBytes32Neon,
	joinBytes64:    joinBytes64Neon,

	deltaEncode32: deltaEncode32NEON,
	deltaEncode64: deltaEncode64NEON,
	deltaDecode32: deltaDecode32NEON,
	deltaDecode64: deltaDecode64NEON,

	insert32: insert32Glue,
	insert64: insert64Glue,

	hashBytes:  hashBytesGo,
	probeBytes: probeBytesGo,

	minMaxInt32:   minMaxInt32NEON,
	minMaxInt64:   minMaxInt64NEON,
	minMaxFloat32: minMaxFloat32Glue,
	minMaxFloat64: minMaxFloat64Glue,
}

func platformSets() []*kernelSet {
	return []*kernelSet{&neon, &reference}
}
