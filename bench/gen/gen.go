// Package gen generates realistic CDC streams for tests and benchmarks,
// deterministically from a seed: several tables with monotonic LSNs and
// commit times, skewed (Zipf) ids, low- and high-cardinality strings, about
// 10% nulls (half written as null, half as missing keys), nested objects
// and arrays.
package gen

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/evodb/writer/cdc"
)

// Tables the generator knows, each with its own row shape:
//
//	users:  id (zipf), name, email (high cardinality), country (low),
//	        age, score (double), active, created_at (RFC 3339),
//	        address {city, zip, geo {lat, lon}}, tags [string]
//	orders: order_id (increasing), user_id (zipf), amount (double),
//	        currency, status (low), placed_at, items [{sku, qty, price}],
//	        note (high cardinality, often null)
//	events: event_id, type (low), user_id (zipf), at, session (high),
//	        payload {page, referrer, duration_ms}, flags [bool]
var Tables = []string{"users", "orders", "events"}

// Config says what to generate. The zero value of a field means its
// default.
type Config struct {
	Seed     uint64
	Tables   []string  // default: all of Tables
	Start    time.Time // commit time of the first entry; default 2026-01-01 UTC
	StartLSN int64     // default 1
	NullRate float64   // fraction of nullable values that are null or missing; default 0.1
}

// Generator produces entries one after the other. Not safe for concurrent
// use.
type Generator struct {
	cfg    Config
	r      *rand.Rand
	zipf   *rand.Zipf
	lsn    int64
	micros int64
	order  int64
	event  int64
	buf    []byte
}

var (
	countries  = []string{"US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "NL", "SE", "ES", "IT"}
	cities     = []string{"Berlin", "Paris", "London", "Tokyo", "São Paulo", "Mumbai", "Toronto", "Amsterdam", "Stockholm", "Madrid", "Rome", "New York"}
	currencies = []string{"USD", "EUR", "GBP", "JPY"}
	statuses   = []string{"pending", "paid", "shipped", "delivered", "cancelled", "refunded"}
	evTypes    = []string{"click", "view", "scroll", "purchase", "signup", "login", "logout", "search"}
	pages      = []string{"/", "/home", "/search", "/product", "/cart", "/checkout", "/account", "/help"}
	tagWords   = []string{"vip", "new", "beta", "churn-risk", "newsletter", "mobile", "desktop", "trial"}
	syllables  = []string{"an", "bel", "cor", "da", "el", "fin", "gar", "hu", "is", "jo", "ka", "lu", "mar", "no", "os", "pe", "qui", "ra", "sol", "ti"}
)

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	if len(cfg.Tables) == 0 {
		cfg.Tables = Tables
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.StartLSN == 0 {
		cfg.StartLSN = 1
	}
	if cfg.NullRate == 0 {
		cfg.NullRate = 0.1
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	return &Generator{
		cfg:    cfg,
		r:      r,
		zipf:   rand.NewZipf(r, 1.2, 1, 1_000_000),
		lsn:    cfg.StartLSN,
		micros: cfg.Start.UnixMicro(),
		order:  1_000_000,
		event:  1,
	}
}

// Entries appends n entries to dst. Their Data lives in memory the
// generator allocates for this call; it is not reused.
func (g *Generator) Entries(dst []cdc.Entry, n int) []cdc.Entry {
	g.buf = make([]byte, 0, n*256)
	type span struct{ lo, hi int }
	spans := make([]span, 0, n)
	start := len(dst)
	for range n {
		table := g.cfg.Tables[g.r.IntN(len(g.cfg.Tables))]
		lo := len(g.buf)
		op := g.op()
		g.row(table, op)
		spans = append(spans, span{lo, len(g.buf)})
		g.micros += 1 + int64(g.r.ExpFloat64()*500)
		dst = append(dst, cdc.Entry{
			Op:         op,
			Table:      table,
			LSN:        g.lsn,
			Producer:   "pg-" + table,
			CommitTime: time.UnixMicro(g.micros).UTC(),
		})
		g.lsn += 1 + int64(g.r.IntN(3))
	}
	for i, s := range spans {
		dst[start+i].Data = g.buf[s.lo:s.hi:s.hi]
	}
	return dst
}

// JSONLines appends n entries as JSON lines (envelopes, see cdc) to dst.
func (g *Generator) JSONLines(dst []byte, n int) []byte {
	es := g.Entries(nil, n)
	for i := range es {
		var err error
		if dst, err = cdc.AppendJSONLine(dst, &es[i]); err != nil {
			panic("gen: " + err.Error()) // the generator made an invalid entry: a bug here
		}
	}
	return dst
}

func (g *Generator) op() cdc.Op {
	switch x := g.r.IntN(100); {
	case x < 80:
		return cdc.Insert
	case x < 95:
		return cdc.Update
	default:
		return cdc.Delete
	}
}

// w writes the JSON members of a row into g.buf.
type w struct {
	g     *Generator
	first bool
}

func (x *w) key(k string) {
	if !x.first {
		x.g.buf = append(x.g.buf, ',')
	}
	x.first = false
	x.g.buf = append(x.g.buf, '"')
	x.g.buf = append(x.g.buf, k...)
	x.g.buf = append(x.g.buf, '"', ':')
}

// nullable writes key unless the value is to be missing; it reports
// whether the caller should write the value (false: null written or key
// left out).
func (x *w) nullable(k string) bool {
	g := x.g
	if g.r.Float64() < g.cfg.NullRate {
		if g.r.IntN(2) == 0 {
			x.key(k)
			g.buf = append(g.buf, "null"...)
		}
		return false
	}
	x.key(k)
	return true
}

func (x *w) str(s string) {
	x.g.buf = strconv.AppendQuote(x.g.buf, s)
}

func (x *w) int(v int64) { x.g.buf = strconv.AppendInt(x.g.buf, v, 10) }
func (x *w) bool(v bool) { x.g.buf = strconv.AppendBool(x.g.buf, v) }
func (x *w) float(v float64, prec int) {
	x.g.buf = strconv.AppendFloat(x.g.buf, v, 'f', prec, 64)
}
func (x *w) time(micros int64) {
	x.g.buf = append(x.g.buf, '"')
	x.g.buf = time.UnixMicro(micros).UTC().AppendFormat(x.g.buf, "2006-01-02T15:04:05.999999Z07:00")
	x.g.buf = append(x.g.buf, '"')
}
func (x *w) open(c byte)  { x.g.buf = append(x.g.buf, c); x.first = true }
func (x *w) close(c byte) { x.g.buf = append(x.g.buf, c); x.first = false }

func (g *Generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *Generator) word(n int) string {
	var b []byte
	for range n {
		b = append(b, g.pick(syllables)...)
	}
	return string(b)
}

func (g *Generator) id() int64 { return int64(g.zipf.Uint64()) + 1 }

func (g *Generator) row(table string, op cdc.Op) {
	x := &w{g: g}
	x.open('{')
	switch table {
	case "users":
		id := g.id()
		x.key("id")
		x.int(id)
		if op == cdc.Delete {
			break
		}
		if x.nullable("name") {
			x.str(g.word(2) + " " + g.word(3))
		}
		if x.nullable("email") {
			x.str(g.word(2) + strconv.FormatInt(id, 10) + "@example.com")
		}
		if x.nullable("country") {
			x.str(g.pick(countries))
		}
		if x.nullable("age") {
			x.int(int64(18 + g.r.IntN(70)))
		}
		if x.nullable("score") {
			x.float(g.r.Float64()*100, 2)
		}
		x.key("active")
		x.bool(g.r.IntN(4) != 0)
		x.key("created_at")
		x.time(g.micros - int64(g.r.IntN(1e9))*1e3)
		if x.nullable("address") {
			x.open('{')
			x.key("city")
			x.str(g.pick(cities))
			if x.nullable("zip") {
				x.str(strconv.Itoa(10000 + g.r.IntN(89999)))
			}
			x.key("geo")
			x.open('{')
			x.key("lat")
			x.float(g.r.Float64()*180-90, 5)
			x.key("lon")
			x.float(g.r.Float64()*360-180, 5)
			x.close('}')
			x.close('}')
		}
		if x.nullable("tags") {
			x.open('[')
			for i := range g.r.IntN(4) {
				if i > 0 {
					g.buf = append(g.buf, ',')
				}
				x.str(g.pick(tagWords))
			}
			x.close(']')
		}
	case "orders":
		g.order++
		x.key("order_id")
		x.int(g.order)
		x.key("user_id")
		x.int(g.id())
		if op == cdc.Delete {
			break
		}
		x.key("amount")
		x.float(float64(g.r.IntN(100000))/100+0.01, 2)
		x.key("currency")
		x.str(g.pick(currencies))
		x.key("status")
		x.str(g.pick(statuses))
		x.key("placed_at")
		x.time(g.micros)
		x.key("items")
		x.open('[')
		for i := range 1 + g.r.IntN(4) {
			if i > 0 {
				g.buf = append(g.buf, ',')
			}
			x.open('{')
			x.key("sku")
			x.str("SKU-" + strconv.Itoa(g.r.IntN(5000)))
			x.key("qty")
			x.int(int64(1 + g.r.IntN(5)))
			x.key("price")
			x.float(float64(g.r.IntN(20000))/100+0.5, 2)
			x.close('}')
		}
		x.close(']')
		if g.r.IntN(3) == 0 && x.nullable("note") {
			x.str("please " + g.word(4) + " " + g.word(3) + " #" + strconv.Itoa(g.r.IntN(1e6)))
		}
	case "events":
		x.key("event_id")
		x.int(g.event)
		g.event++
		x.key("type")
		x.str(g.pick(evTypes))
		if x.nullable("user_id") {
			x.int(g.id())
		}
		x.key("at")
		x.time(g.micros)
		x.key("session")
		x.str(strconv.FormatUint(g.r.Uint64(), 36))
		if x.nullable("payload") {
			x.open('{')
			x.key("page")
			x.str(g.pick(pages))
			if x.nullable("referrer") {
				x.str("https://" + g.word(2) + ".example/" + g.word(1))
			}
			x.key("duration_ms")
			x.int(int64(g.r.ExpFloat64() * 3000))
			x.close('}')
		}
		if g.r.IntN(2) == 0 {
			x.key("flags")
			x.open('[')
			for i := range g.r.IntN(3) {
				if i > 0 {
					g.buf = append(g.buf, ',')
				}
				x.bool(g.r.IntN(2) == 0)
			}
			x.close(']')
		}
	}
	x.close('}')
}
