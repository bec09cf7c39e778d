package e2e

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkTypedMixedBlocks writes 200 blocks of orders rows at random
// offsets with one typed writer (zstd level 1, no budget), of sizes that
// alternate between 1,300 and 14,000 rows (alt) or are drawn from 1,300
// to 30,000 (random), as a stream of time-triggered flushes makes them.
// It measures what judging the encodings costs when blocks change size:
// a verdict against a column's dictionary is judged again on a chunk of
// over rejudgeGrowth times its values (the skus of 1,300 rows lose their
// dictionary, those of 14,000 win it); judging again on every change of
// size, both ways, took a quarter more CPU per row on alt.
func BenchmarkTypedMixedBlocks(b *testing.B) {
	td := loadTyped(b)
	ctx := context.Background()
	for _, name := range []string{"alt", "random"} {
		b.Run(name, func(b *testing.B) {
			w := newOrderWriterBytes(b, 0, 0)
			rows := 0
			run := func() int64 {
				rng := rand.New(rand.NewPCG(1, 2))
				var out counter
				rows = 0
				for block := range 200 {
					n := 1_300
					switch {
					case name == "alt" && block%2 == 1:
						n = 14_000
					case name == "random":
						n = []int{1_300, 5_000, 14_000, 30_000}[rng.IntN(4)]
					}
					lo := rng.IntN(len(td.orders) - n)
					if err := w.Append(td.orders[lo : lo+n]); err != nil {
						b.Fatal(err)
					}
					if _, err := w.WriteBlock(ctx, &out); err != nil {
						b.Fatal(err)
					}
					rows += n
				}
				return out.n
			}
			run()
			measureRows(b, rows, run)
		})
	}
}
