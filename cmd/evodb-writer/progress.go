package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws a one-line progress bar on stderr while a load runs:
// input bytes written to the table (against the total when the inputs'
// sizes are known), rows written and the rate. It draws nothing unless enabled; other lines for
// stderr go through println so that they do not mix with the bar.
type progress struct {
	w       io.Writer
	enabled bool
	total   int64
	width   int

	mu      sync.Mutex
	drawn   bool
	started time.Time
	read    *atomic.Int64
	rows    *atomic.Int64
	done    chan struct{}
	stopped chan struct{}
}

func newProgress(e *env, mode string, total int64) *progress {
	p := &progress{w: e.stderr, total: total, width: 80}
	switch mode {
	case "always":
		p.enabled = true
	case "auto":
		p.enabled = e.stdoutTTY && e.stderrTTY
	}
	if f, ok := e.stderr.(*os.File); ok && p.enabled {
		if w := terminalWidth(f); w >= 40 {
			p.width = w
		}
	}
	return p
}

func (p *progress) start(read, rows *atomic.Int64) {
	p.read, p.rows = read, rows
	p.started = time.Now()
	if !p.enabled {
		return
	}
	p.done = make(chan struct{})
	p.stopped = make(chan struct{})
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
}

// stop removes the bar.
func (p *progress) stop() {
	if !p.enabled || p.done == nil {
		return
	}
	close(p.done)
	<-p.stopped
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}

// println writes a line of text above the bar.
func (p *progress) println(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintln(p.w, line)
	if p.enabled && p.done != nil {
		p.draw()
	}
}

func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *progress) draw() {
	fmt.Fprint(p.w, "\r"+p.line(time.Since(p.started))+"\x1b[K")
	p.drawn = true
}

// line renders the bar for the elapsed time.
func (p *progress) line(elapsed time.Duration) string {
	read, rows := p.read.Load(), p.rows.Load()
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf("  %s rows/s", formatInt(int64(float64(rows)/s)))
	}
	tail := fmt.Sprintf("  %s rows%s", formatInt(rows), rate)
	if p.total <= 0 {
		return fmt.Sprintf("%s read%s", formatBytes(read), tail)
	}
	frac := min(float64(read)/float64(p.total), 1)
	eta := ""
	if frac > 0.01 && frac < 1 {
		left := time.Duration(float64(elapsed) * (1 - frac) / frac).Round(time.Second)
		eta = "  ETA " + left.String()
	}
	info := fmt.Sprintf(" %3.0f%%  %s / %s%s%s", frac*100, formatBytes(read), formatBytes(p.total), tail, eta)
	// A bar of fixed width for the terminal, so that it does not move as
	// the figures beside it grow.
	barWidth := min(p.width-3-62, 40)
	if barWidth < 10 || barWidth+3+len(info) > p.width {
		return strings.TrimSpace(info)
	}
	fill := int(frac * float64(barWidth))
	bar := strings.Repeat("=", fill)
	if fill < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-fill-1)
	}
	return "[" + bar + "]" + info
}
