// Package blockwriter compares writing one row group of typed columns to
// Parquet (zstd) with our writer, parquet-go's GenericWriter and
// arrow-go's pqarrow writer, on the same rows.
package blockwriter

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	aparquet "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"
	pgo "github.com/parquet-go/parquet-go"
	pcompress "github.com/parquet-go/parquet-go/compress"
	pzstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/evodb/writer/bench/internal/cputime"
	"github.com/evodb/writer/engine/parquet"
)

// dataset is one row group: int64 ids (increasing with gaps), UTC
// timestamps in micros (increasing with jitter), a low-cardinality string
// (10% null), a high-cardinality string (10% null), a double (10% null)
// and a low-cardinality int32 (10% null).
type dataset struct {
	n      int
	ids    []int64
	ts     []int64
	city   []*string
	user   []*string
	amount []*float64
	status []*int32
}

var cities = []string{"Amsterdam", "Berlin", "Cairo", "Denver", "Lagos", "Lima", "Mumbai", "Osaka", "Paris", "Quito", "Seoul", "Sydney", "Tokyo", "Toronto", "Warsaw", "Zurich"}

func makeDataset(n int) *dataset {
	rng := rand.New(rand.NewPCG(42, 1))
	d := &dataset{n: n}
	id := int64(1_000_000)
	ts := int64(1_764_000_000_000_000)
	for range n {
		id += 1 + int64(rng.IntN(3))
		ts += int64(rng.IntN(2000))
		d.ids = append(d.ids, id)
		d.ts = append(d.ts, ts)
		if rng.IntN(10) == 0 {
			d.city = append(d.city, nil)
		} else {
			c := cities[min(rng.IntN(len(cities)), rng.IntN(len(cities)))] // skewed
			d.city = append(d.city, &c)
		}
		if rng.IntN(10) == 0 {
			d.user = append(d.user, nil)
		} else {
			u := fmt.Sprintf("user-%016x", rng.Uint64())
			d.user = append(d.user, &u)
		}
		if rng.IntN(10) == 0 {
			d.amount = append(d.amount, nil)
		} else {
			a := float64(rng.IntN(1_000_000)) / 100
			d.amount = append(d.amount, &a)
		}
		if rng.IntN(10) == 0 {
			d.status = append(d.status, nil)
		} else {
			s := int32(rng.IntN(5))
			d.status = append(d.status, &s)
		}
	}
	return d
}

// rawBytes is the size of the data in PLAIN form, for b.SetBytes.
func (d *dataset) rawBytes() int64 {
	n := int64(16 * d.n)
	for i := range d.n {
		if d.city[i] != nil {
			n += int64(len(*d.city[i]))
		}
		if d.user[i] != nil {
			n += int64(len(*d.user[i]))
		}
		if d.amount[i] != nil {
			n += 8
		}
		if d.status[i] != nil {
			n += 4
		}
	}
	return n
}

// ---- ours ----

var oursSchema = &parquet.Node{Name: "events", Children: []*parquet.Node{
	{Name: "id", Repetition: parquet.Required, Type: parquet.Int64},
	{Name: "ts", Repetition: parquet.Required, Type: parquet.Int64, Logical: parquet.TimestampMicros},
	{Name: "city", Repetition: parquet.Optional, Type: parquet.ByteArray, Logical: parquet.String},
	{Name: "user", Repetition: parquet.Optional, Type: parquet.ByteArray, Logical: parquet.String},
	{Name: "amount", Repetition: parquet.Optional, Type: parquet.Double},
	{Name: "status", Repetition: parquet.Optional, Type: parquet.Int32},
}}

func (d *dataset) columns() []parquet.ColumnData {
	cols, err := parquet.LeafColumns(oursSchema)
	if err != nil {
		panic(err)
	}
	for i := range cols {
		cols[i].NumLevels = d.n
	}
	cols[0].Int64s = d.ids
	cols[1].Int64s = d.ts
	strs := func(c *parquet.ColumnData, v []*string) {
		c.Offsets = append(c.Offsets, 0)
		for _, s := range v {
			if s == nil {
				c.DefLevels = append(c.DefLevels, 0)
				continue
			}
			c.DefLevels = append(c.DefLevels, 1)
			c.Bytes = append(c.Bytes, *s...)
			c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
		}
	}
	strs(&cols[2], d.city)
	strs(&cols[3], d.user)
	for _, a := range d.amount {
		if a == nil {
			cols[4].DefLevels = append(cols[4].DefLevels, 0)
			continue
		}
		cols[4].DefLevels = append(cols[4].DefLevels, 1)
		cols[4].Doubles = append(cols[4].Doubles, *a)
	}
	for _, s := range d.status {
		if s == nil {
			cols[5].DefLevels = append(cols[5].DefLevels, 0)
			continue
		}
		cols[5].DefLevels = append(cols[5].DefLevels, 1)
		cols[5].Int32s = append(cols[5].Int32s, *s)
	}
	return cols
}

// ---- parquet-go ----

type pgoRow struct {
	ID     int64    `parquet:"id,delta"`
	TS     int64    `parquet:"ts,delta,timestamp(microsecond:utc)"`
	City   *string  `parquet:"city,dict,optional"`
	User   *string  `parquet:"user,optional"`
	Amount *float64 `parquet:"amount,optional"`
	Status *int32   `parquet:"status,dict,optional"`
}

func (d *dataset) pgoRows() []pgoRow {
	rows := make([]pgoRow, d.n)
	for i := range rows {
		rows[i] = pgoRow{ID: d.ids[i], TS: d.ts[i], City: d.city[i], User: d.user[i], Amount: d.amount[i], Status: d.status[i]}
	}
	return rows
}

// ---- arrow-go ----

func (d *dataset) arrowRecord() arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(d.ids, nil)
	tsb := b.Field(1).(*array.TimestampBuilder)
	for _, t := range d.ts {
		tsb.Append(arrow.Timestamp(t))
	}
	for i := range d.n {
		if d.city[i] == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(*d.city[i])
		}
		if d.user[i] == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.StringBuilder).Append(*d.user[i])
		}
		if d.amount[i] == nil {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Float64Builder).Append(*d.amount[i])
		}
		if d.status[i] == nil {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.Int32Builder).Append(*d.status[i])
		}
	}
	return b.NewRecordBatch()
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

const benchRows = 1 << 20

// benchConcurrency is the writer's page-compression concurrency in the
// benchmark: 1 (the default), as the peers compress on one goroutine too.
var benchConcurrency = 1

var benchData *dataset

func data(b *testing.B) *dataset {
	b.Helper()
	if benchData == nil {
		benchData = makeDataset(benchRows)
	}
	return benchData
}

// report adds rows/s, the CPU time per row (all goroutines, GC included:
// robust where the machine's cores are shared) and the file size.
func report(b *testing.B, d *dataset, size int64, cpu0 int64) {
	b.ReportMetric(float64(d.n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cputime.Used().Nanoseconds()-cpu0)/float64(d.n*b.N), "cpu-ns/row")
	b.ReportMetric(float64(size), "file-bytes")
}

// BenchmarkWriteRowGroup writes one row group of 1 Mi rows uncompressed
// (level=0) and with zstd level 1 (fastest) and 3 (the zstd default), each
// writer on the same rows.
func BenchmarkWriteRowGroup(b *testing.B) {
	d := data(b)
	for _, level := range []int{0, 1, 3} {
		b.Run(fmt.Sprintf("level=%d/impl=ours", level), func(b *testing.B) {
			cols := d.columns()
			var out countingWriter
			opts := parquet.WriterOptions{Compression: parquet.Zstd, ZstdLevel: level, Concurrency: benchConcurrency}
			if level == 0 {
				opts.Compression = parquet.Uncompressed
			}
			w, err := parquet.NewWriter(&out, oursSchema, opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(d.rawBytes())
			b.ReportAllocs()
			cpu0 := cputime.Used().Nanoseconds()
			for b.Loop() {
				out.n = 0
				if err := w.Reset(&out); err != nil {
					b.Fatal(err)
				}
				if err := w.WriteRowGroup(cols); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			report(b, d, out.n, cpu0)
		})
		b.Run(fmt.Sprintf("level=%d/impl=parquet-go", level), func(b *testing.B) {
			rows := d.pgoRows()
			var codec compressCodec = &pzstd.Codec{Level: zstd.EncoderLevelFromZstd(level)}
			if level == 0 {
				codec = &pgo.Uncompressed
			}
			var out countingWriter
			b.SetBytes(d.rawBytes())
			b.ReportAllocs()
			cpu0 := cputime.Used().Nanoseconds()
			for b.Loop() {
				out.n = 0
				w := pgo.NewGenericWriter[pgoRow](&out, pgo.Compression(codec))
				if _, err := w.Write(rows); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			report(b, d, out.n, cpu0)
		})
		b.Run(fmt.Sprintf("level=%d/impl=arrow-go", level), func(b *testing.B) {
			rec := d.arrowRecord()
			defer rec.Release()
			// locals only: the closure runs once per -count
			codec, clevel := compress.Codecs.Zstd, level
			if level == 0 {
				codec, clevel = compress.Codecs.Uncompressed, compress.DefaultCompressionLevel
			}
			props := aparquet.NewWriterProperties(aparquet.WithCompression(codec),
				aparquet.WithCompressionLevel(clevel), aparquet.WithMaxRowGroupLength(benchRows), aparquet.WithStats(true))
			var out countingWriter
			b.SetBytes(d.rawBytes())
			b.ReportAllocs()
			cpu0 := cputime.Used().Nanoseconds()
			for b.Loop() {
				out.n = 0
				w, err := pqarrow.NewFileWriter(rec.Schema(), &out, props, pqarrow.DefaultWriterProps())
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Write(rec); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			report(b, d, out.n, cpu0)
		})
	}
}

// TestSameRows checks that the three writers in the benchmark write the
// same rows: each file is read back with arrow-go and compared.
func TestSameRows(t *testing.T) {
	d := makeDataset(5000)
	var ours bytes.Buffer
	w, err := parquet.NewWriter(&ours, oursSchema, parquet.WriterOptions{Compression: parquet.Zstd})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRowGroup(d.columns()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var pg bytes.Buffer
	pw := pgo.NewGenericWriter[pgoRow](&pg, pgo.Compression(&pgo.Zstd))
	if _, err := pw.Write(d.pgoRows()); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	rec := d.arrowRecord()
	defer rec.Release()
	var ar bytes.Buffer
	aw, err := pqarrow.NewFileWriter(rec.Schema(), &ar, aparquet.NewWriterProperties(aparquet.WithCompression(compress.Codecs.Zstd)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := aw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	want := tableString(t, ar.Bytes())
	for name, data := range map[string][]byte{"ours": ours.Bytes(), "parquet-go": pg.Bytes()} {
		if got := tableString(t, data); got != want {
			t.Errorf("%s: rows differ from arrow-go's file", name)
		}
	}
}

// tableString reads a file with arrow-go and renders its rows.
func tableString(t *testing.T, data []byte) string {
	t.Helper()
	rdr, err := pqarrow.ReadTable(t.Context(), bytes.NewReader(data), nil, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	var sb bytes.Buffer
	tr := array.NewTableReader(rdr, 1024)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := range int(rec.NumCols()) {
			fmt.Fprintf(&sb, "%s=%v\n", rec.ColumnName(i), rec.Column(i))
		}
	}
	return sb.String()
}

var _ io.Writer = (*countingWriter)(nil)

type compressCodec = pcompress.Codec
