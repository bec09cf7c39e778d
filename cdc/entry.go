// Package cdc defines the change-data-capture entry that flows through the
// writer, from producers to the Parquet blocks of a table.
package cdc

import (
	"fmt"
	"time"
)

// Op is the kind of change an entry records.
type Op uint8

// The operations a CDC entry can carry. The zero Op is invalid.
const (
	Insert Op = iota + 1
	Update
	Delete
)

// String returns the operation's name as it appears in JSON ("INSERT",
// "UPDATE", "DELETE").
func (o Op) String() string {
	switch o {
	case Insert:
		return "INSERT"
	case Update:
		return "UPDATE"
	case Delete:
		return "DELETE"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Valid reports whether o is one of Insert, Update and Delete.
func (o Op) Valid() bool { return o >= Insert && o <= Delete }

// Entry is one row change. Data holds the row as the bytes of one JSON
// object; it is shredded into columns straight from those bytes, so no
// map is built per row.
type Entry struct {
	Op         Op
	Table      string
	Data       []byte
	LSN        int64     // log sequence number, increasing per producer
	Producer   string    // id of the producer that sent the entry
	CommitTime time.Time // when the change was committed at its source
}

// entryOverhead approximates the fixed bytes an Entry costs beyond its
// variable-length fields: op, LSN, commit time and slice headers.
const entryOverhead = 48

// Size is the number of bytes the entry is accounted for in buffers: its
// variable-length fields plus a fixed overhead.
func (e *Entry) Size() int {
	return entryOverhead + len(e.Table) + len(e.Data) + len(e.Producer)
}
