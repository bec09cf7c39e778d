package wal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzScanRecords feeds arbitrary bytes to the record reader: it must never
// panic, the records it returns must be exactly the bytes it says it read
// (writing them again reproduces that prefix), and it stops only with a
// *TornError.
func FuzzScanRecords(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendRecord(nil, []byte("hello")))
	f.Add(appendRecord(appendRecord(nil, []byte("a")), []byte("second record")))
	two := appendRecord(appendRecord(nil, []byte("xyz")), []byte("tail"))
	f.Add(two[:len(two)-1])
	f.Add(append(appendRecord(nil, []byte("z")), 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		var again []byte
		n, err := scanRecords(b, func(off int64, payload []byte) error {
			if off != int64(len(again)) {
				t.Fatalf("record at %d, want %d", off, len(again))
			}
			again = appendRecord(again, payload)
			return nil
		})
		if n < 0 || n > int64(len(b)) {
			t.Fatalf("read %d of %d bytes", n, len(b))
		}
		if !bytes.Equal(again, b[:n]) {
			t.Fatalf("records re-encoded differ from the %d bytes read", n)
		}
		var torn *TornError
		if n < int64(len(b)) {
			if !errors.As(err, &torn) || torn.Offset != n {
				t.Fatalf("stopped at %d of %d with %v", n, len(b), err)
			}
		} else if err != nil {
			t.Fatalf("read everything but returned %v", err)
		}
	})
}
