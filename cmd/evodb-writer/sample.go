package main

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/evodb/writer/cdc"
)

// sampleStream generates the CDC stream of an online shop's orders table:
// orders are placed (INSERT), move through their states (UPDATE) and some
// are deleted (DELETE). LSNs increase by one per change, commit times by a
// few milliseconds; everything follows from the seed.
type sampleStream struct {
	r        *rand.Rand
	producer string
	table    string
	lsn      int64
	micros   int64
	nextID   int64
	open     []int64          // orders that can still change
	state    map[int64]*order // the current row of each open order
	buf      []byte
}

type order struct {
	id       int64
	customer int64
	status   int
	amount   int64 // cents
	currency string
	placed   int64 // micros
	items    int
	express  bool
}

var (
	sampleStatuses   = []string{"placed", "paid", "packed", "shipped", "delivered"}
	sampleCurrencies = []string{"EUR", "USD", "GBP", "JPY"}
	sampleCities     = []string{"Berlin", "Lisbon", "Osaka", "Toronto", "Lyon", "Austin", "Leeds", "Porto", "Kyoto", "Graz"}
	sampleSKUs       = []string{"mug", "tee", "cap", "pen", "bag", "book", "lamp", "sock"}
)

func newSampleStream(seed uint64, producer, table string, firstLSN int64, start time.Time) *sampleStream {
	return &sampleStream{
		r:        rand.New(rand.NewPCG(seed, 0x5eed)),
		producer: producer,
		table:    table,
		lsn:      firstLSN,
		micros:   start.UnixMicro(),
		nextID:   1000,
		state:    map[int64]*order{},
	}
}

// next returns the next change. Its Data is valid until the next call.
func (s *sampleStream) next() cdc.Entry {
	e := cdc.Entry{Table: s.table, Producer: s.producer, LSN: s.lsn}
	s.lsn++
	s.micros += 1000 + s.r.Int64N(20000)
	e.CommitTime = time.UnixMicro(s.micros).UTC()
	x := s.r.IntN(100)
	switch {
	case len(s.open) == 0 || x < 55:
		o := &order{
			id:       s.nextID,
			customer: 1 + int64(s.r.ExpFloat64()*2000),
			amount:   199 + s.r.Int64N(50000),
			currency: sampleCurrencies[s.r.IntN(len(sampleCurrencies))],
			placed:   s.micros,
			items:    1 + s.r.IntN(4),
			express:  s.r.IntN(5) == 0,
		}
		s.nextID++
		s.open = append(s.open, o.id)
		s.state[o.id] = o
		e.Op = cdc.Insert
		e.Data = s.row(o)
	case x < 95:
		i := s.r.IntN(len(s.open))
		o := s.state[s.open[i]]
		o.status++
		if o.status == len(sampleStatuses)-1 {
			s.closeAt(i) // delivered: no more changes
		}
		e.Op = cdc.Update
		e.Data = s.row(o)
	default:
		i := s.r.IntN(len(s.open))
		o := s.state[s.open[i]]
		s.closeAt(i)
		e.Op = cdc.Delete
		s.buf = append(s.buf[:0], `{"order_id":`...)
		s.buf = strconv.AppendInt(s.buf, o.id, 10)
		s.buf = append(s.buf, '}')
		e.Data = s.buf
	}
	return e
}

func (s *sampleStream) closeAt(i int) {
	delete(s.state, s.open[i])
	s.open[i] = s.open[len(s.open)-1]
	s.open = s.open[:len(s.open)-1]
}

func (s *sampleStream) row(o *order) []byte {
	b := append(s.buf[:0], `{"order_id":`...)
	b = strconv.AppendInt(b, o.id, 10)
	b = append(b, `,"customer_id":`...)
	b = strconv.AppendInt(b, o.customer, 10)
	b = append(b, `,"status":"`...)
	b = append(b, sampleStatuses[o.status]...)
	b = append(b, `","amount":`...)
	b = strconv.AppendFloat(b, float64(o.amount)/100, 'f', 2, 64)
	b = append(b, `,"currency":"`...)
	b = append(b, o.currency...)
	b = append(b, `","placed_at":"`...)
	b = time.UnixMicro(o.placed).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","express":`...)
	b = strconv.AppendBool(b, o.express)
	b = append(b, `,"ship_to":{"city":"`...)
	b = append(b, sampleCities[o.customer%int64(len(sampleCities))]...)
	b = append(b, `","zip":"`...)
	b = strconv.AppendInt(b, 10000+o.customer*37%89999, 10)
	b = append(b, `"},"items":[`...)
	for i := range o.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":"`...)
		b = append(b, sampleSKUs[(o.id+int64(i))%int64(len(sampleSKUs))]...)
		b = append(b, `","qty":`...)
		b = strconv.AppendInt(b, 1+(o.id+int64(i))%3, 10)
		b = append(b, '}')
	}
	b = append(b, ']')
	if o.status >= 3 {
		b = append(b, `,"tracking":"TRK`...)
		b = strconv.AppendInt(b, o.id*7919%1000003, 10)
		b = append(b, '"')
	}
	b = append(b, '}')
	s.buf = b
	return b
}
