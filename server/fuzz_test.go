package server

import (
	"bytes"
	"testing"

	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine"
)

// FuzzDecodeBatch feeds arbitrary bodies to the batch decoder in both
// formats: it never panics, a refused batch says where, and an accepted one
// holds only entries of the URL's table with a producer and increasing
// LSNs per producer, whose rows the writer's shredder all takes (a row it
// refused at the flush would be lost after its acknowledgement). The log
// record of an accepted batch decodes back to the same entries.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"op":"INSERT","data":{"a":1},"lsn":1}`+"\n"), "p", false)
	f.Add([]byte(`{"op":"UPDATE","table":"t","producer":"q","data":{},"lsn":"7"}`+"\n\n{\"x\":1}\n"), "", false)
	f.Add([]byte(`{"op":"INSERT","data":{},"lsn":2}`+"\n"+`{"op":"INSERT","data":{},"lsn":1}`), "p", false)
	es, _ := cdc.DecodeJSONLines(nil, []byte(`{"op":"DELETE","data":{"k":"v"},"lsn":3}`), &cdc.JSONOptions{Table: "t", Producer: "p"})
	bin, _ := cdc.AppendBinaryBatch(nil, es)
	f.Add(bin, "p", true)
	f.Add(bin, "", true)
	f.Add([]byte(`{"op":"INSERT","data":{"a":1,"\u0061":2},"lsn":1}`+"\n"), "p", false)
	f.Fuzz(func(t *testing.T, body []byte, producer string, binary bool) {
		if validProducer(producer) != "" {
			return
		}
		fm := formatJSONLines
		if binary {
			fm = formatBinary
		}
		es, be := decodeBatch(nil, fm, body, "t", producer)
		if be != nil {
			if be.Message == "" || len(es) != 0 {
				t.Fatalf("refusal without a message or with entries: %+v, %d entries", be, len(es))
			}
			if fm == formatJSONLines && be.Line > 0 && (be.Offset < 0 || be.Offset > len(body)) {
				t.Fatalf("line %d at offset %d of a %d-byte body", be.Line, be.Offset, len(body))
			}
			return
		}
		last := map[string]int64{}
		for i, e := range es {
			if e.Table != "t" || e.Producer == "" || (producer != "" && e.Producer != producer) || e.LSN < 0 || !e.Op.Valid() {
				t.Fatalf("entry %d accepted: %+v", i, e)
			}
			if l, ok := last[e.Producer]; ok && e.LSN <= l {
				t.Fatalf("entry %d: LSN %d after %d", i, e.LSN, l)
			}
			last[e.Producer] = e.LSN
		}
		sh, err := engine.NewShredder(engine.Options{Table: "t"})
		if err != nil {
			t.Fatal(err)
		}
		blk, err := sh.Shred(es)
		if err != nil {
			t.Fatalf("shredding an accepted batch: %v", err)
		}
		if len(blk.Errors) > 0 {
			t.Fatalf("the shredder refuses a row of an accepted batch: %v", blk.Errors[0])
		}
		rec := append(appendRecordHeader(nil, fm, "t", producer), body...)
		f2, table, p2, body2, err := parseRecord(rec)
		if err != nil || f2 != fm || table != "t" || p2 != producer || !bytes.Equal(body2, body) {
			t.Fatalf("record round trip: %v %v %q %q", err, f2, table, p2)
		}
		again, be := decodeLogged(f2, body2, table, p2)
		if be != nil || len(again) != len(es) {
			t.Fatalf("replayed record decodes differently: %v, %d vs %d entries", be, len(again), len(es))
		}
		for i := range es {
			if es[i].LSN != again[i].LSN || es[i].Producer != again[i].Producer || !bytes.Equal(es[i].Data, again[i].Data) {
				t.Fatalf("entry %d differs after replay", i)
			}
		}
	})
}
