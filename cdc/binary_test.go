package cdc

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleEntries() []Entry {
	return []Entry{
		{Op: Insert, Table: "events", Producer: "db-1", LSN: 1, Data: []byte(`{"a":1}`)},
		{Op: Update, Table: "events", Producer: "db-1", LSN: 2, CommitTime: time.UnixMicro(1764064800123456).UTC(), Data: []byte(`{"a":2,"s":"é"}`)},
		{Op: Delete, Table: "users", Producer: "db-2", LSN: 1 << 62, Data: []byte(`{"id":9}`)},
	}
}

func TestBinaryBatchRoundTrip(t *testing.T) {
	for _, in := range [][]Entry{nil, sampleEntries()} {
		b, err := AppendBinaryBatch([]byte("prefix"), in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBinaryBatch(nil, b[len("prefix"):], nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(in, got, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" && len(in) > 0 {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if len(in) == 0 && len(got) != 0 {
			t.Errorf("empty batch decoded to %d entries", len(got))
		}
	}
}

func TestBinaryBatchRejects(t *testing.T) {
	good, err := AppendBinaryBatch(nil, sampleEntries())
	if err != nil {
		t.Fatal(err)
	}
	flip := append([]byte(nil), good...)
	flip[10] ^= 1
	badJSON, _ := AppendBinaryBatch(nil, []Entry{{Op: Insert, Data: []byte(`{"a":}`)}})
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"bad magic", append([]byte("XXXX"), good[4:]...)},
		{"flipped bit", flip},
		{"truncated", good[:len(good)-1]},
		{"bad row JSON", badJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep := []Entry{{Op: Insert, Data: []byte(`{}`)}}
			got, err := DecodeBinaryBatch(keep, tt.b, nil)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if len(got) != 1 {
				t.Errorf("dst changed on error: %d entries", len(got))
			}
		})
	}
	if _, err := AppendBinaryBatch(nil, []Entry{{Op: Insert, LSN: -1, Data: []byte(`{}`)}}); err == nil {
		t.Error("negative LSN accepted")
	}
}

// FuzzDecodeBinaryBatch feeds arbitrary bytes (with a valid checksum fixed
// up half of the time, so the decoder's body parsing is reached) and checks
// that decoding never panics and that what it accepts re-encodes.
func FuzzDecodeBinaryBatch(f *testing.F) {
	good, _ := AppendBinaryBatch(nil, sampleEntries())
	f.Add(good, false)
	f.Add(good[:len(good)-4], true)
	f.Add([]byte("EVB1\x00\x00"), true)
	f.Fuzz(func(t *testing.T, b []byte, fixChecksum bool) {
		if fixChecksum {
			b = appendChecksum(b)
		}
		entries, err := DecodeBinaryBatch(nil, b, nil)
		if err != nil {
			return
		}
		again, err := AppendBinaryBatch(nil, entries)
		if err != nil {
			t.Fatalf("accepted entries do not re-encode: %v", err)
		}
		back, err := DecodeBinaryBatch(nil, again, nil)
		if err != nil || len(back) != len(entries) {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
	})
}

func appendChecksum(b []byte) []byte {
	out := append([]byte(nil), b...)
	var sum [4]byte
	c := crc32Castagnoli(out)
	sum[0], sum[1], sum[2], sum[3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
	return append(out, sum[:]...)
}
