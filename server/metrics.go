package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus collectors, in a registry of its own.
type metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec // by route and status code
	entries       *prometheus.CounterVec // accepted | duplicate | conflict
	bodyBytes     prometheus.Counter
	ackSeconds    prometheus.Histogram
	throttled     prometheus.Counter
	flushes       *prometheus.CounterVec // ok | error
	flushSeconds  prometheus.Histogram
	flushedRows   prometheus.Counter
	rejectedRows  prometheus.Counter
	version       *prometheus.GaugeVec // by table
	walTruncated  prometheus.Counter
	replayEntries prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evodb_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	m.entries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evodb_ingest_entries_total", Help: "CDC entries received, by result (accepted, duplicate, conflict: refused for a gap in the LSNs accepted).",
	}, []string{"result"})
	m.bodyBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evodb_ingest_body_bytes_total", Help: "Batch bytes received, after decompression.",
	})
	m.ackSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "evodb_ingest_ack_seconds",
		Help:    "Time from a batch's arrival to its acknowledgement (decode, log, fsync).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
	})
	m.throttled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evodb_ingest_throttled_total", Help: "Batches refused with 429 above the high water mark.",
	})
	m.flushes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "evodb_flushes_total", Help: "Flushes of a table's buffer, by result (ok, error).",
	}, []string{"result"})
	m.flushSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "evodb_flush_seconds", Help: "Time to write and commit a flush.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	})
	m.flushedRows = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evodb_flushed_rows_total", Help: "Rows committed to tables.",
	})
	m.rejectedRows = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evodb_rejected_rows_total", Help: "Rows the table writer refused.",
	})
	m.version = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "evodb_table_version", Help: "The latest committed version of each table.",
	}, []string{"table"})
	m.walTruncated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evodb_wal_segments_deleted_total", Help: "Write-ahead log segments deleted after their entries were committed.",
	})
	m.replayEntries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evodb_wal_replayed_entries_total", Help: "Entries read back from the write-ahead log at start-up and buffered again.",
	})
	walStat := func(name, help string, kind prometheus.ValueType, f func() float64) prometheus.Collector {
		if kind == prometheus.CounterValue {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
		}
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		m.requests, m.entries, m.bodyBytes, m.ackSeconds, m.throttled, m.flushes, m.flushSeconds,
		m.flushedRows, m.rejectedRows, m.version, m.walTruncated, m.replayEntries,
		walStat("evodb_wal_fsyncs_total", "fsyncs of write-ahead log segments (one covers many batches).",
			prometheus.CounterValue, func() float64 { return float64(s.wal.Stats().Syncs) }),
		walStat("evodb_wal_appends_total", "Records appended to the write-ahead log.",
			prometheus.CounterValue, func() float64 { return float64(s.wal.Stats().Appends) }),
		walStat("evodb_wal_written_bytes_total", "Bytes written to the write-ahead log.",
			prometheus.CounterValue, func() float64 { return float64(s.wal.Stats().BytesWritten) }),
		walStat("evodb_wal_segments", "Write-ahead log segment files.",
			prometheus.GaugeValue, func() float64 { return float64(s.wal.Stats().Segments) }),
		walStat("evodb_buffered_bytes", "Bytes buffered or being flushed in all tables.",
			prometheus.GaugeValue, func() float64 { st := s.bp.Stats(); return float64(st.Buffered + st.InFlight) }),
		walStat("evodb_backpressure_paused", "1 while batches are refused above the high water mark.",
			prometheus.GaugeValue, func() float64 {
				if s.bp.ShouldPause() {
					return 1
				}
				return 0
			}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
