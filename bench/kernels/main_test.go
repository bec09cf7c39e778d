package kernels

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/evodb/writer/kernels"
)

// TestMain records, when benchmarks run, which kernel implementation the
// process uses (avx2, neon or purego; EVODB_KERNELS chooses another) as a
// configuration line of the benchmark output, which benchreport puts in
// the report's header.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		fmt.Printf("evodb-kernels: %s\n", kernels.Implementation())
	}
	os.Exit(m.Run())
}
