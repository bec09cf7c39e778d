package upload_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/evodb/writer/upload"
)

// A Delta log commit is a put-if-absent: the second writer of version 1
// learns that it lost the race and must re-read the log.
func Example_commit() {
	ctx := context.Background()
	store, err := upload.Open(ctx, "mem://example/tables/orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	commit := func(writer string) error {
		_, err := store.Put(ctx, "_delta_log/00000000000000000001.json", []byte(`{"commitInfo":{"writer":"`+writer+`"}}`), upload.PutOptions{IfAbsent: true})
		return err
	}
	fmt.Println("a:", commit("a"))
	err = commit("b")
	fmt.Println("b lost the race:", errors.Is(err, upload.ErrPreconditionFailed))
	// Output:
	// a: <nil>
	// b lost the race: true
}

// Blocks are streamed: the writer holds at most one part per upload slot
// plus the one being filled.
func ExampleStore_Create() {
	ctx := context.Background()
	store := upload.NewMemory()
	w, err := store.Create(ctx, "data/blk_1.parquet", upload.PutOptions{SizeHint: 12})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Fprint(w, "PAR1")
	fmt.Fprint(w, "....PAR1")
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Info().Key, w.Info().Size)
	// Output: data/blk_1.parquet 12
}
