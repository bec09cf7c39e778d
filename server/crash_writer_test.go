package server

// The crash test's child opens tables with crashTableOpener and the parent
// reads them back with readTableLSNs.
var (
	crashTableOpener = openFake
	readTableLSNs    = readFakeTable
)
