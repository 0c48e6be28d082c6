package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// progressLine is the terminal progress display: one line on stderr,
// redrawn in place, for work that runs longer than about a second. It is
// off when stderr is not a terminal (cron, pipes). Anything else written
// to stdout or stderr first ends the line, so results are never glued to
// "ingesting ledger: 95.1%".
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	start time.Time
	last  time.Time
	open  bool // a line is drawn and not yet ended
}

func newProgressLine(stderr io.Writer) *progressLine {
	return &progressLine{w: stderr, on: isTerminal(stderr), start: time.Now()}
}

// ingest reports ingest progress in bytes; nil when the display is off.
func (p *progressLine) ingest() func(done, total int64) {
	if !p.on {
		return nil
	}
	return func(done, total int64) {
		p.mu.Lock()
		defer p.mu.Unlock()
		now := time.Now()
		if now.Sub(p.start) < time.Second || (now.Sub(p.last) < 200*time.Millisecond && done < total) {
			return
		}
		p.last = now
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		p.draw(fmt.Sprintf("ingesting ledger: %5.1f%% (%d / %d MB)", pct, done>>20, total>>20))
	}
}

// step shows that a job step finished (analyse, render_json, render_xlsx,
// sign, publish); nil when the display is off.
func (p *progressLine) step() func(ctx context.Context, step string) {
	if !p.on {
		return nil
	}
	return func(ctx context.Context, step string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if time.Since(p.start) < time.Second {
			return
		}
		p.draw("step done: " + step)
	}
}

// draw replaces the current line; p.mu is held.
func (p *progressLine) draw(s string) {
	fmt.Fprintf(p.w, "\r\033[K%s", s)
	p.open = true
}

// end ends a drawn line, if any.
func (p *progressLine) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// before returns w wrapped so that every write first ends the progress
// line (w itself when the display is off).
func (p *progressLine) before(w io.Writer) io.Writer {
	if !p.on {
		return w
	}
	return endsProgress{w: w, p: p}
}

type endsProgress struct {
	w io.Writer
	p *progressLine
}

func (e endsProgress) Write(b []byte) (int, error) {
	e.p.end()
	return e.w.Write(b)
}
