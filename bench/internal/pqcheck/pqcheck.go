// Package pqcheck holds checks of the Parquet files the interop tests
// give the independent readers.
package pqcheck

import (
	"bytes"
	"slices"

	"github.com/evodb/writer/engine/parquet"
)

// HasMixedChunk reports whether a column chunk of the file has
// dictionary-encoded pages and pages of another value encoding (a chunk
// written in pieces whose dictionary fell back), so that a test can make
// sure it shows the readers one.
func HasMixedChunk(data []byte) (bool, error) {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false, err
	}
	for _, rg := range f.RowGroups() {
		for _, c := range rg.Columns {
			if !slices.Contains(c.Encodings, parquet.EncRLEDictionary) {
				continue
			}
			for _, e := range []parquet.Encoding{parquet.EncDeltaLengthBytes, parquet.EncDeltaBinaryPacked, parquet.EncByteStreamSplit} {
				if slices.Contains(c.Encodings, e) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
