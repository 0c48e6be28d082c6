package review

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// section is one part of the review: fn fills the section's fields of the
// report on the lane it is given. needs names the sections whose work it
// reads (the review's tables, which prepare fills, or other sections'
// fields of the report); it starts only once they are done, their
// background work (later) included.
type section struct {
	name  string
	needs []string
	fn    func(*analysis) error
}

// runSections runs secs on lanes. Each lane runs one section at a time,
// always the first in secs not yet started whose needs are done: the
// order of secs is the order of preference. A section that needs prepare
// has the lane's own definitions made first (define). The first error
// ends the review: no section starts after it, and runSections returns it
// once every section started, and its background work, has ended.
//
// needs must name sections earlier in secs; that is checked first, and
// is what keeps a lane from waiting for ever.
func runSections(ctx context.Context, secs []section, lanes []*analysis, log *slog.Logger) error {
	for i, s := range secs {
		for _, n := range s.needs {
			if !slices.ContainsFunc(secs[:i], func(e section) bool { return e.name == n }) {
				return fmt.Errorf("section %s needs %s, which is not a section before it", s.name, n)
			}
		}
	}
	r := &sectionRun{secs: secs, started: make([]bool, len(secs)), done: map[string]bool{}}
	r.cond = sync.NewCond(&r.mu)
	var wg sync.WaitGroup
	for k, l := range lanes {
		wg.Go(func() {
			for {
				i, ok := r.next(ctx)
				if !ok {
					return
				}
				s := secs[i]
				l.pending = &errgroup.Group{}
				started := time.Now()
				err := l.runSection(s)
				if log != nil && err == nil {
					log.Debug("review section", "section", s.name, "lane", k, "duration", time.Since(started))
				}
				// Done, or failed, when its background work has ended
				// too: none outlives the review, and its error is the
				// section's when the section itself did not fail.
				pending := l.pending
				wg.Go(func() {
					if werr := pending.Wait(); err == nil {
						err = werr
					}
					r.finish(s.name, err)
				})
			}
		})
	}
	wg.Wait()
	return r.err
}

// runSection runs s on the lane, with the lane's definitions made first
// when s reads the classified runs. A panic in s is its error: it runs on
// a goroutine of its own, where no caller's recover would reach it, and a
// long-running scheduler must outlive one broken job.
func (a *analysis) runSection(s section) (err error) {
	defer recovered(s.name, &err)
	if slices.Contains(s.needs, sectionPrepare) {
		if err := a.define(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := s.fn(a); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// sectionRun is the state runSections' lanes share.
type sectionRun struct {
	secs    []section
	mu      sync.Mutex
	cond    *sync.Cond // signalled when a section is done or fails
	started []bool
	done    map[string]bool
	err     error // the first error
}

// next claims the section a lane is to run next, waiting until one is
// ready; false when none is left to start, or after an error.
func (r *sectionRun) next(ctx context.Context) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.err == nil {
			if err := ctx.Err(); err != nil {
				r.err = err
			}
		}
		if r.err != nil {
			return 0, false
		}
		left := false
		for i, s := range r.secs {
			if r.started[i] {
				continue
			}
			left = true
			if !slices.ContainsFunc(s.needs, func(n string) bool { return !r.done[n] }) {
				r.started[i] = true
				return i, true
			}
		}
		if !left {
			return 0, false
		}
		// A section left waits for one running: it will end, and say so.
		r.cond.Wait()
	}
}

// finish records that the section name is done, or failed with err.
func (r *sectionRun) finish(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if r.err == nil {
			r.err = err
		}
	} else {
		r.done[name] = true
	}
	r.cond.Broadcast()
}

// recovered, deferred, turns a panic of the section named into *err,
// with the stack that raised it.
func recovered(section string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: panic: %v\n%s", section, p, debug.Stack())
	}
}
