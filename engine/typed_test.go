package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evodb/writer/arena"
	"github.com/evodb/writer/cdc"
	"github.com/evodb/writer/engine/parquet"
)

type typedInner struct {
	Name  *string `parquet:"name"`
	Score float64 `parquet:"score"`
}

type typedItem struct {
	SKU   string  `parquet:"sku"`
	Qty   int32   `parquet:"qty"`
	Price float64 `parquet:"price,optional"`
}

// typedAll has a field of every supported kind.
type typedAll struct {
	ID       int64      `parquet:"id"`
	N        int        `parquet:"n"`
	Small    int8       `parquet:"small"`
	Mid      int16      `parquet:"mid"`
	I32      int32      `parquet:"i32,delta"`
	U8       uint8      `parquet:"u8"`
	U16      uint16     `parquet:"u16"`
	U32      uint32     `parquet:"u32"`
	F32      float32    `parquet:"f32"`
	F64      float64    `parquet:"f64,split"`
	OK       bool       `parquet:"ok"`
	Flag     *bool      `parquet:"flag"`
	Str      string     `parquet:"str,dict"`
	OptStr   string     `parquet:"opt_str,optional"`
	PStr     *string    `parquet:"p_str"`
	Bin      []byte     `parquet:"bin"`
	OptBin   []byte     `parquet:"opt_bin,optional"`
	At       time.Time  `parquet:"at,timestamp(microsecond)"`
	PAt      *time.Time `parquet:"p_at"`
	OptAt    time.Time  `parquet:"opt_at,optional"`
	Micros   int64      `parquet:"micros,timestamp"`
	PI64     *int64     `parquet:"p_i64"`
	OptI64   int64      `parquet:"opt_i64,optional"`
	Inner    typedInner `parquet:"inner"`
	PInner   *typedInner
	Items    []typedItem `parquet:"items,list"`
	PItems   []*typedItem
	Tags     []*string `parquet:"tags"`
	Matrix   [][]int64 `parquet:"matrix"`
	skipped  int
	Ignored  string `parquet:"-"`
	Untagged uint16
}

func ptr[T any](v T) *T { return &v }

func randomTypedAll(rng *rand.Rand) typedAll {
	null := func() bool { return rng.IntN(5) == 0 }
	str := func() string {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	at := func() time.Time {
		return time.UnixMicro(rng.Int64N(4_000_000_000_000_000) - 1_000_000_000_000_000).In(time.FixedZone("x", 3600))
	}
	v := typedAll{
		ID: rng.Int64(), N: int(rng.Int32()), Small: int8(rng.IntN(256) - 128), Mid: int16(rng.IntN(1 << 16)),
		I32: rng.Int32() - 1<<30, U8: uint8(rng.IntN(256)), U16: uint16(rng.IntN(1 << 16)), U32: rng.Uint32(),
		F32: rng.Float32() * 100, F64: rng.NormFloat64(), OK: rng.IntN(2) == 0, Str: str(),
		At: at(), Micros: rng.Int64N(1 << 50), skipped: 7, Ignored: "no", Untagged: uint16(rng.IntN(100)),
		Inner: typedInner{Score: rng.Float64()},
	}
	if !null() {
		v.Flag = ptr(rng.IntN(2) == 0)
	}
	if !null() {
		v.OptStr = str()
	}
	if !null() {
		v.PStr = ptr(str())
	}
	if !null() {
		v.Bin = []byte(str())
	}
	if !null() {
		v.OptBin = []byte(str())
	}
	if !null() {
		v.PAt = ptr(at())
	}
	if !null() {
		v.OptAt = at()
	}
	if !null() {
		v.PI64 = ptr(rng.Int64())
	}
	if !null() {
		v.OptI64 = rng.Int64N(3)
	}
	if !null() {
		v.Inner.Name = ptr(str())
	}
	if !null() {
		v.PInner = &typedInner{Score: -1}
		if !null() {
			v.PInner.Name = ptr(str())
		}
	}
	if !null() {
		v.Items = []typedItem{}
		for range rng.IntN(4) {
			v.Items = append(v.Items, typedItem{SKU: str(), Qty: rng.Int32N(9), Price: float64(rng.IntN(3))})
		}
	}
	if !null() {
		v.PItems = []*typedItem{}
		for range rng.IntN(3) {
			var it *typedItem
			if !null() {
				it = &typedItem{SKU: str(), Qty: 1, Price: 2.5}
			}
			v.PItems = append(v.PItems, it)
		}
	}
	if !null() {
		v.Tags = []*string{}
		for range rng.IntN(4) {
			var s *string
			if !null() {
				s = ptr(str())
			}
			v.Tags = append(v.Tags, s)
		}
	}
	if !null() {
		v.Matrix = [][]int64{}
		for range rng.IntN(3) {
			var row []int64
			if !null() {
				row = []int64{}
				for range rng.IntN(3) {
					row = append(row, rng.Int64N(100))
				}
			}
			v.Matrix = append(v.Matrix, row)
		}
	}
	return v
}

// expectData is the Row.Data the reader should return for a value: built
// by walking the Go value with reflection, independently of the writer's
// compiled plan, by the rules documented on TypedWriter.
func expectData(t *testing.T, v any) map[string]any {
	t.Helper()
	m, _ := expectValue(t, reflect.ValueOf(v), false).(map[string]any)
	return m
}

func expectValue(t *testing.T, v reflect.Value, zeroNull bool) any {
	t.Helper()
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if zeroNull && v.IsZero() {
		return nil
	}
	if v.Type() == reflect.TypeFor[time.Time]() {
		return string(appendTimestamp(nil, v.Interface().(time.Time).UnixMicro()))
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return int64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.String:
		return v.String()
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// a required []byte: nil is written as empty
			if zeroNull && v.Len() == 0 {
				return nil
			}
			return base64.StdEncoding.EncodeToString(v.Bytes())
		}
		if v.IsNil() {
			return nil
		}
		out := []any{}
		for i := range v.Len() {
			out = append(out, expectValue(t, v.Index(i), false))
		}
		return out
	case reflect.Struct:
		m := map[string]any{}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			tag := sf.Tag.Get("parquet")
			if !sf.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = sf.Name
			}
			if x := expectValue(t, v.Field(i), strings.Contains(opts, "optional")); x != nil {
				if s, ok := x.(int64); ok && strings.Contains(opts, "timestamp") && sf.Type.Kind() == reflect.Int64 {
					x = string(appendTimestamp(nil, s))
				}
				m[name] = x
			}
		}
		return m
	}
	t.Fatalf("expectValue: unexpected %v", v.Type())
	return nil
}

func readTypedBlock(t *testing.T, data []byte) ([]Row, *BlockFile) {
	t.Helper()
	bf, err := OpenBlock(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("OpenBlock: %v", err)
	}
	rows, err := bf.Rows(context.Background())
	if err != nil {
		t.Fatalf("Rows: %v", err)
	}
	return rows, bf
}

func TestTypedRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		opts TypedOptions
		rows int
	}{
		{"zstd", TypedOptions{}, 2000},
		{"uncompressed-v2", TypedOptions{Uncompressed: true, Parquet: parquet.WriterOptions{DataPageV2: true}}, 500},
		{"snappy-small-pages", TypedOptions{Parquet: parquet.WriterOptions{Compression: parquet.Snappy, PageSize: 512}}, 700},
		{"row-groups-of-7", TypedOptions{RowGroupRows: 7}, 100},
		{"row-groups-of-8-exact", TypedOptions{RowGroupRows: 8}, 64},
		{"concurrent", TypedOptions{Parquet: parquet.WriterOptions{Concurrency: 2, PageSize: 4096}}, 3000},
		{"one-row", TypedOptions{}, 1},
		{"empty", TypedOptions{}, 0},
	}
	for k, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 9))
			w, err := NewTypedWriter[typedAll](tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			// Two blocks, to check that the writer starts clean.
			for block := range 2 {
				var want []Row
				vals := make([]typedAll, tc.rows)
				for i := range vals {
					vals[i] = randomTypedAll(rng)
				}
				// batches of varying size, with per-batch and per-row metadata
				lsn := int64(block * 1_000_000)
				for lo := 0; lo < len(vals); {
					hi := min(len(vals), lo+1+rng.IntN(40))
					meta := Meta{Op: cdc.Op(1 + rng.IntN(3)), LSN: lsn, Producer: fmt.Sprintf("p%d", rng.IntN(3))}
					if rng.IntN(3) > 0 {
						meta.CommitTime = time.UnixMicro(1_764_000_000_000_000 + lsn).UTC()
					}
					if rng.IntN(2) == 0 {
						if err := w.AppendBatch(meta, vals[lo:hi]); err != nil {
							t.Fatal(err)
						}
					} else {
						for i := lo; i < hi; i++ {
							if err := w.AppendRow(meta, &vals[i]); err != nil {
								t.Fatal(err)
							}
						}
					}
					for i := lo; i < hi; i++ {
						want = append(want, Row{Op: meta.Op, LSN: meta.LSN, Producer: meta.Producer, CommitTime: meta.CommitTime, Data: expectData(t, vals[i])})
					}
					lsn++
					lo = hi
				}
				if w.Rows() != tc.rows {
					t.Fatalf("Rows() = %d, want %d", w.Rows(), tc.rows)
				}
				var buf bytes.Buffer
				info, err := w.WriteBlock(context.Background(), &buf)
				if err != nil {
					t.Fatal(err)
				}
				if info.Rows != int64(tc.rows) || info.Bytes != int64(buf.Len()) {
					t.Fatalf("info: %d rows, %d bytes; want %d, %d", info.Rows, info.Bytes, tc.rows, buf.Len())
				}
				got, bf := readTypedBlock(t, buf.Bytes())
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("block %d differs (-want +got):\n%s", block, diff)
				}
				wantGroups := 0
				if tc.rows > 0 {
					per := tc.opts.RowGroupRows
					if per == 0 {
						per = DefaultRowGroupRows
					}
					wantGroups = (tc.rows + per - 1) / per
				}
				if bf.NumRowGroups() != wantGroups || info.RowGroups != wantGroups {
					t.Fatalf("%d row groups (info %d), want %d", bf.NumRowGroups(), info.RowGroups, wantGroups)
				}
				if w.Rows() != 0 {
					t.Fatalf("Rows() = %d after WriteBlock", w.Rows())
				}
			}
		})
	}
}

// typedOrder carries its metadata in fields, as a struct written by
// parquet-go too would.
type typedOrder struct {
	Op       string     `parquet:"_op"`
	LSN      int64      `parquet:"_lsn"`
	Producer string     `parquet:"_producer"`
	CommitTS *time.Time `parquet:"_commit_ts,timestamp(microsecond)"`
	OrderID  int64      `parquet:"order_id"`
	Amount   *float64   `parquet:"amount,optional"`
	Items    []typedItem
}

type typedOrderOp struct {
	Op       cdc.Op    `parquet:"_op"`
	LSN      int       `parquet:"_lsn"`
	Producer string    `parquet:"_producer"`
	CommitTS time.Time `parquet:"_commit_ts"`
	V        bool
}

func TestTypedMetaFields(t *testing.T) {
	ts := time.Date(2026, 11, 26, 6, 0, 0, 123456000, time.UTC)
	orders := []typedOrder{
		{Op: "INSERT", LSN: 10, Producer: "a", CommitTS: &ts, OrderID: 1, Amount: ptr(2.5), Items: []typedItem{{SKU: "x", Qty: 2}}},
		{Op: "DELETE", LSN: 11, Producer: "b", OrderID: 2},
	}
	w, err := NewTypedWriter[typedOrder](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendBatch(Meta{Op: cdc.Insert}, orders); !errors.Is(err, ErrTypedMeta) {
		t.Fatalf("AppendBatch on a type with metadata fields: %v, want ErrTypedMeta", err)
	}
	if err := w.Append(orders); err != nil {
		t.Fatal(err)
	}
	bad := []typedOrder{{Op: "INSERT", LSN: 12}, {Op: "UPSERT", LSN: 13}}
	err = w.Append(bad)
	if err == nil || !strings.Contains(err.Error(), "row 1") || !strings.Contains(err.Error(), `"UPSERT"`) {
		t.Fatalf("bad op: %v, want an error naming row 1 and the op", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	got, _ := readTypedBlock(t, buf.Bytes())
	want := []Row{
		{Op: cdc.Insert, LSN: 10, Producer: "a", CommitTime: ts, Data: map[string]any{"order_id": int64(1), "amount": 2.5,
			"Items": []any{map[string]any{"sku": "x", "qty": int64(2)}}}},
		{Op: cdc.Delete, LSN: 11, Producer: "b", Data: map[string]any{"order_id": int64(2)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}

	w2, err := NewTypedWriter[typedOrderOp](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Append([]typedOrderOp{{Op: cdc.Update, LSN: 5, Producer: "p", CommitTS: ts, V: true}, {Op: 0, LSN: 6}}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Fatalf("invalid cdc.Op: %v, want an error naming row 1", err)
	}
	if w2.Rows() != 0 {
		t.Fatalf("a rejected batch left %d rows", w2.Rows())
	}
	if err := w2.Append([]typedOrderOp{{Op: cdc.Update, LSN: 5, Producer: "p", CommitTS: ts, V: true}}); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := w2.WriteBlock(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	got, _ = readTypedBlock(t, buf.Bytes())
	want = []Row{{Op: cdc.Update, LSN: 5, Producer: "p", CommitTime: ts, Data: map[string]any{"V": true}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestTypedAppendErrors(t *testing.T) {
	w, err := NewTypedWriter[typedItem](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := []typedItem{{SKU: "a"}}
	if err := w.Append(rows); !errors.Is(err, ErrTypedMeta) {
		t.Fatalf("Append without metadata fields: %v, want ErrTypedMeta", err)
	}
	if err := w.AppendBatch(Meta{Op: 0}, rows); err == nil || !strings.Contains(err.Error(), "invalid op") {
		t.Fatalf("zero op: %v", err)
	}
	if err := w.AppendRow(Meta{Op: cdc.Insert}, nil); err == nil {
		t.Fatal("nil row accepted")
	}
	if w.Rows() != 0 {
		t.Fatalf("%d rows after rejected appends", w.Rows())
	}
	// A failed write keeps the rows for another try.
	if err := w.AppendBatch(Meta{Op: cdc.Insert, LSN: 1, Producer: "p"}, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteBlock(context.Background(), typedFailing{}); err == nil {
		t.Fatal("WriteBlock to a failing writer succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.WriteBlock(ctx, io.Discard); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteBlock(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	got, _ := readTypedBlock(t, buf.Bytes())
	want := []Row{{Op: cdc.Insert, LSN: 1, Producer: "p", Data: map[string]any{"sku": "a", "qty": int64(0)}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

type typedFailing struct{}

func (typedFailing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

type (
	badMap struct {
		M map[string]int `parquet:"m"`
	}
	badIface  struct{ X any }
	badUint64 struct {
		Inner struct{ U uint64 }
	}
	badArray  struct{ A [4]int32 }
	badCycle  struct{ Next *badCycle }
	badPtrPtr struct{ P **int64 }
	badEmbed  struct{ typedItem }
	badTag    struct {
		X int64 `parquet:"x,bloom"`
	}
	badCase struct {
		A int64 `parquet:"name"`
		B int64 `parquet:"NAME"`
	}
	badRescued struct {
		R string `parquet:"_rescued"`
	}
	badPartialMeta struct {
		LSN int64 `parquet:"_lsn"`
	}
	badMetaType struct {
		Op       cdc.Op  `parquet:"_op"`
		LSN      float64 `parquet:"_lsn"`
		Producer string  `parquet:"_producer"`
		TS       time.Time
	}
	badTimestamp struct {
		S string `parquet:"s,timestamp"`
	}
	badOptionalStruct struct {
		I typedItem `parquet:"i,optional"`
	}
	badEmptyStruct struct{ E struct{ x int } }
	badListElem    struct{ L []complex64 }
)

func TestTypedUnsupported(t *testing.T) {
	cases := []struct {
		name string
		new  func() error
		want string
	}{
		{"map", func() error { _, err := NewTypedWriter[badMap](TypedOptions{}); return err }, "field M"},
		{"interface", func() error { _, err := NewTypedWriter[badIface](TypedOptions{}); return err }, "field X"},
		{"uint64", func() error { _, err := NewTypedWriter[badUint64](TypedOptions{}); return err }, "field Inner.U"},
		{"array", func() error { _, err := NewTypedWriter[badArray](TypedOptions{}); return err }, "field A"},
		{"cycle", func() error { _, err := NewTypedWriter[badCycle](TypedOptions{}); return err }, "contains itself"},
		{"pointer-to-pointer", func() error { _, err := NewTypedWriter[badPtrPtr](TypedOptions{}); return err }, "field P"},
		{"embedded", func() error { _, err := NewTypedWriter[badEmbed](TypedOptions{}); return err }, "embedded"},
		{"tag-option", func() error { _, err := NewTypedWriter[badTag](TypedOptions{}); return err }, `"bloom"`},
		{"case-clash", func() error { _, err := NewTypedWriter[badCase](TypedOptions{}); return err }, "field B"},
		{"rescued", func() error { _, err := NewTypedWriter[badRescued](TypedOptions{}); return err }, "reserved"},
		{"partial-meta", func() error { _, err := NewTypedWriter[badPartialMeta](TypedOptions{}); return err }, "_op, _producer, _commit_ts"},
		{"meta-type", func() error { _, err := NewTypedWriter[badMetaType](TypedOptions{}); return err }, "field LSN"},
		{"timestamp-on-string", func() error { _, err := NewTypedWriter[badTimestamp](TypedOptions{}); return err }, "field S"},
		{"optional-struct", func() error { _, err := NewTypedWriter[badOptionalStruct](TypedOptions{}); return err }, "field I"},
		{"empty-struct", func() error { _, err := NewTypedWriter[badEmptyStruct](TypedOptions{}); return err }, "field E"},
		{"list-element", func() error { _, err := NewTypedWriter[badListElem](TypedOptions{}); return err }, "field L[]"},
		{"not-a-struct", func() error { _, err := NewTypedWriter[int](TypedOptions{}); return err }, "must be structs"},
		{"negative-row-group", func() error { _, err := NewTypedWriter[typedItem](TypedOptions{RowGroupRows: -1}); return err }, "RowGroupRows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.new()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// typedBenchRow is a flat-and-nested row for the allocation test.
type typedBenchRow struct {
	ID    int64
	Name  *string
	At    time.Time
	Items []typedItem
}

func TestTypedNoAllocsPerRow(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are not meaningful under -race")
	}
	rows := make([]typedBenchRow, 8000)
	for i := range rows {
		rows[i] = typedBenchRow{ID: int64(i), At: time.UnixMicro(int64(i)), Items: []typedItem{{SKU: "s", Qty: int32(i)}}}
		if i%3 > 0 {
			rows[i].Name = ptr(fmt.Sprint(i))
		}
	}
	meta := Meta{Op: cdc.Insert, LSN: 1, Producer: "p", CommitTime: time.Unix(1, 0)}
	// The allocations of a block (its BlockInfo, the column chunks'
	// metadata) do not depend on its number of rows: blocks of 1,000 and
	// of 8,000 rows, in one row group, allocate the same.
	perBlock := func(n int) float64 {
		w, err := NewTypedWriter[typedBenchRow](TypedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		block := func() {
			if err := w.AppendBatch(meta, rows[:n]); err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteBlock(context.Background(), io.Discard); err != nil {
				t.Fatal(err)
			}
		}
		block() // grow the arena and the writer's buffers
		block()
		return testing.AllocsPerRun(5, block)
	}
	small, large := perBlock(1000), perBlock(8000)
	if large > small {
		t.Fatalf("a block of 1,000 rows allocates %.0f objects, one of 8,000 rows %.0f: allocations per row", small, large)
	}
}

func TestTypedFlush(t *testing.T) {
	w, err := NewTypedWriter[typedAll](TypedOptions{RowGroupRows: 50})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	const blocks = 5
	bufs := make([]bytes.Buffer, blocks)
	wants := make([][]Row, blocks)
	infos := make([]*BlockInfo, blocks)
	errs := make([]error, blocks)
	for k := range blocks {
		vals := make([]typedAll, 120+k)
		for i := range vals {
			vals[i] = randomTypedAll(rng)
			wants[k] = append(wants[k], Row{Op: cdc.Update, LSN: int64(k), Producer: "f", Data: expectData(t, vals[i])})
		}
		if err := w.AppendBatch(Meta{Op: cdc.Update, LSN: int64(k), Producer: "f"}, vals); err != nil {
			t.Fatal(err)
		}
		var out io.Writer = &bufs[k]
		if k == 2 {
			out = typedFailing{}
		}
		if err := w.Flush(context.Background(), out, func(info *BlockInfo, err error) {
			if info != nil {
				c := *info
				infos[k] = &c
			}
			errs[k] = err
		}); err != nil {
			t.Fatal(err)
		}
	}
	w.Wait()
	for k := range blocks {
		if k == 2 {
			if errs[k] == nil {
				t.Fatal("block 2 went to a failing writer and reported no error")
			}
			continue
		}
		if errs[k] != nil {
			t.Fatalf("block %d: %v", k, errs[k])
		}
		if infos[k].Rows != int64(len(wants[k])) || infos[k].Bytes != int64(bufs[k].Len()) {
			t.Fatalf("block %d: info %+v for %d rows, %d bytes", k, infos[k], len(wants[k]), bufs[k].Len())
		}
		got, _ := readTypedBlock(t, bufs[k].Bytes())
		if diff := cmp.Diff(wants[k], got); diff != "" {
			t.Fatalf("block %d (-want +got):\n%s", k, diff)
		}
	}
	// WriteBlock after Flush waits for it and starts clean.
	if err := w.AppendBatch(Meta{Op: cdc.Insert}, []typedAll{randomTypedAll(rng)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if info, err := w.WriteBlock(context.Background(), &buf); err != nil || info.Rows != 1 {
		t.Fatalf("WriteBlock after Flush: %v, %v", info, err)
	}
}

// TestTypedLargeBlockAfterSmallOnes: a block as large as one of the last
// arena.ShrinkRounds finds its room in the arena again after smaller
// ones, instead of growing its columns by copies into new chunks.
func TestTypedLargeBlockAfterSmallOnes(t *testing.T) {
	rows := make([]typedBenchRow, 8000)
	for i := range rows {
		rows[i] = typedBenchRow{ID: int64(i), At: time.UnixMicro(int64(i)), Name: ptr(fmt.Sprint(i)),
			Items: []typedItem{{SKU: fmt.Sprint("s", i%700), Qty: int32(i)}}}
	}
	meta := Meta{Op: cdc.Insert, LSN: 1, Producer: "p", CommitTime: time.Unix(1, 0)}
	w, err := NewTypedWriter[typedBenchRow](TypedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	block := func(n int) {
		if err := w.AppendBatch(meta, rows[:n]); err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteBlock(context.Background(), io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	block(8000)
	block(8000)
	a := w.core.typedBlock.a
	capacity := a.Capacity()
	for range arena.ShrinkRounds / 2 {
		block(1000)
	}
	block(8000)
	if a.Capacity() != capacity {
		t.Fatalf("arena capacity %d after a large block that followed %d small ones, %d before them", a.Capacity(), arena.ShrinkRounds/2, capacity)
	}
}

// A writer's first block takes about the arena memory its later blocks
// do: its columns, which no block before sized, grow at once to the rows
// coming (typedCore.project), not by doublings whose copies and room the
// arena held for arena.ShrinkRounds blocks (three times the memory of the
// blocks after, and a chunk allocated again when it shrank).
func TestTypedFirstBlockArena(t *testing.T) {
	rows := make([]typedBenchRow, 60_000)
	for i := range rows {
		rows[i] = typedBenchRow{ID: int64(i), At: time.UnixMicro(int64(i)), Name: ptr(fmt.Sprint("name-", i%5000)),
			Items: []typedItem{{SKU: fmt.Sprint("s", i%700), Qty: int32(i)}, {SKU: "x", Qty: 1}}}
	}
	meta := Meta{Op: cdc.Insert, LSN: 1, Producer: "p", CommitTime: time.Unix(1, 0)}
	for _, c := range []struct {
		name string
		opts TypedOptions
	}{
		{"one row group", TypedOptions{}},
		{"RowGroupRows", TypedOptions{RowGroupRows: 25_000}},
		{"RowGroupBytes", TypedOptions{RowGroupBytes: 512 << 10}},
		{"RowGroupMemory", TypedOptions{RowGroupMemory: 512 << 10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := NewTypedWriter[typedBenchRow](c.opts)
			if err != nil {
				t.Fatal(err)
			}
			a := w.core.typedBlock.a
			var during, after []int
			for range arena.ShrinkRounds + 3 {
				if err := w.AppendBatch(meta, rows); err != nil {
					t.Fatal(err)
				}
				during = append(during, a.Capacity())
				if _, err := w.WriteBlock(context.Background(), io.Discard); err != nil {
					t.Fatal(err)
				}
				after = append(after, a.Capacity())
			}
			steady := during[len(during)-1]
			for i := range during {
				if during[i] > steady+steady/2 || after[i] > steady+steady/2 {
					t.Fatalf("block %d: arena of %d bytes while appended, %d after; %d in the last block", i, during[i], after[i], steady)
				}
			}
		})
	}
}
