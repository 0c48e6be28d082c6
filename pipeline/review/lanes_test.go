package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/store"
	"github.com/ledgerlens/ledgerlens/reports"
)

// TestRunSections runs made-up sections on two lanes without a store: a
// section starts only after the sections it needs, their background work
// included; an error, in a section or in its background work, is
// returned naming the section, and no section that needs it starts.
func TestRunSections(t *testing.T) {
	boom := errors.New("boom")
	// work returns a section that records when it starts and ends and,
	// with bg, ends its work in the background (later).
	type event struct {
		name  string
		start bool
	}
	tests := []struct {
		name    string
		secs    func(work func(name string, bg bool, err error) func(*analysis) error) []section
		wantErr string // "" for none
		// notRun are sections that must not start.
		notRun []string
		// oneLane runs them on one lane, not two.
		oneLane bool
	}{
		{
			name: "needs are waited for, background work included",
			secs: func(work func(string, bool, error) func(*analysis) error) []section {
				return []section{
					{"a", nil, work("a", true, nil)},
					{"b", nil, work("b", false, nil)},
					{"c", []string{"a"}, work("c", false, nil)},
					{"d", []string{"b", "c"}, work("d", true, nil)},
					{"e", []string{"d"}, work("e", false, nil)},
				}
			},
		},
		{
			name: "one lane",
			secs: func(work func(string, bool, error) func(*analysis) error) []section {
				return []section{
					{"a", nil, work("a", true, nil)},
					{"b", nil, work("b", false, nil)},
					{"c", []string{"a"}, work("c", true, nil)},
					{"d", []string{"c"}, work("d", false, nil)},
				}
			},
			oneLane: true,
		},
		{
			name: "a failed section",
			secs: func(work func(string, bool, error) func(*analysis) error) []section {
				return []section{
					{"a", nil, work("a", false, boom)},
					{"b", []string{"a"}, work("b", false, nil)},
				}
			},
			wantErr: "a: boom",
			notRun:  []string{"b"},
		},
		{
			name: "failed background work",
			secs: func(work func(string, bool, error) func(*analysis) error) []section {
				return []section{
					{"a", nil, work("a", true, boom)},
					{"b", []string{"a"}, work("b", false, nil)},
				}
			},
			wantErr: "a: boom",
			notRun:  []string{"b"},
		},
		{
			name: "a need that is not an earlier section",
			secs: func(work func(string, bool, error) func(*analysis) error) []section {
				return []section{
					{"a", []string{"b"}, work("a", false, nil)},
					{"b", nil, work("b", false, nil)},
				}
			},
			wantErr: "section a needs b, which is not a section before it",
			notRun:  []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var events []event
			record := func(name string, start bool) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, event{name, start})
			}
			work := func(name string, bg bool, err error) func(*analysis) error {
				return func(a *analysis) error {
					record(name, true)
					// Long enough for a section run too early to start
					// before this one ends.
					time.Sleep(5 * time.Millisecond)
					if !bg {
						record(name, false)
						return err
					}
					a.later(name, func() error {
						time.Sleep(5 * time.Millisecond)
						record(name, false)
						return err
					})
					return nil
				}
			}
			c := &computation{ctx: context.Background()}
			secs := tt.secs(work)
			lanes := []*analysis{{computation: c}, {computation: c}}
			if tt.oneLane {
				lanes = lanes[:1]
			}
			err := runSections(c.ctx, secs, lanes, nil)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("runSections: %v, want error %q", err, tt.wantErr)
			}
			ended := map[string]int{}
			for i, e := range events {
				if !e.start {
					ended[e.name] = i
				}
			}
			started := map[string]bool{}
			for i, e := range events {
				if !e.start {
					continue
				}
				started[e.name] = true
				for _, s := range secs {
					if s.name != e.name {
						continue
					}
					for _, n := range s.needs {
						if end, ok := ended[n]; !ok || end > i {
							t.Errorf("%s started before %s, which it needs, ended: %v", e.name, n, events)
						}
					}
				}
			}
			for _, n := range tt.notRun {
				if started[n] {
					t.Errorf("%s started: %v", n, events)
				}
			}
			if tt.wantErr == "" && len(ended) != len(secs) {
				t.Errorf("%d sections ended, not %d: %v", len(ended), len(secs), events)
			}
		})
	}
}

// TestRunSectionsUsesBothLanes shows two sections that need nothing
// running at once, one on each lane.
func TestRunSectionsUsesBothLanes(t *testing.T) {
	c := &computation{ctx: context.Background()}
	lanes := []*analysis{{computation: c}, {computation: c}}
	both := make(chan *analysis, 2)
	meet := func(a *analysis) error {
		both <- a
		// Each waits for the other to have started.
		for len(both) < 2 {
			select {
			case <-time.After(10 * time.Second):
				return errors.New("the other section never started")
			default:
				time.Sleep(time.Millisecond)
			}
		}
		return nil
	}
	if err := runSections(c.ctx, []section{{"a", nil, meet}, {"b", nil, meet}}, lanes, nil); err != nil {
		t.Fatal(err)
	}
	if x, y := <-both, <-both; x == y {
		t.Fatal("both sections ran on one lane")
	}
}

// TestRunSectionsCancelled cancels the review while a section runs: no
// section starts after it, and the error is the context's.
func TestRunSectionsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &computation{ctx: ctx}
	var later []string
	var mu sync.Mutex
	secs := []section{
		{"a", nil, func(*analysis) error { cancel(); return nil }},
	}
	for i := range 4 {
		name := fmt.Sprintf("after-%d", i)
		secs = append(secs, section{name, []string{"a"}, func(*analysis) error {
			mu.Lock()
			defer mu.Unlock()
			later = append(later, name)
			return nil
		}})
	}
	err := runSections(ctx, secs, []*analysis{{computation: c}, {computation: c}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("runSections: %v, want the context's error", err)
	}
	if len(later) > 0 {
		t.Fatalf("sections started after the cancellation: %v", later)
	}
}

// TestWeeklyOnAReadOnlyStore computes a review on a store opened
// read-only, whose views and attachments are read-only unless told
// otherwise: the same report as on the store opened to write.
func TestWeeklyOnAReadOnlyStore(t *testing.T) {
	ctx := context.Background()
	st, in := fixtureStore(t, 3_000, 6)
	want, err := Weekly(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	path := st.Path()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	got, err := Weekly(ctx, ro, in)
	if err != nil {
		t.Fatal(err)
	}
	g, w := encoded(t, got), encoded(t, want)
	if string(g) != string(w) {
		t.Fatalf("the review of the read-only store differs:\n%s\nwant\n%s", g, w)
	}
	if got.DataQuality.LinesRead == 0 || len(got.Scenarios) == 0 {
		t.Fatal("the review read no ledger lines, or found no scenarios")
	}
}

// TestSectionsNeedWhatTheyRead runs the sections on one connection in
// every order their needs allow that puts one section as late as they
// let it, from a model that holds only the header, and checks that each
// order gives Weekly's report. A section that reads another's findings
// without naming it in its needs runs before it in one of them and reads
// nothing. The input has a ledger modification and late arrivals, and
// the fixture significant drift, so that the findings read across
// sections are there to miss.
func TestSectionsNeedWhatTheyRead(t *testing.T) {
	ctx := context.Background()
	st, in := fixtureStore(t, 5_000, 6)
	in.LedgerModifications = []LoggedModification{{AuditSeq: 7, ByteFrom: 100, ByteTo: 180, LineFrom: 2, LineTo: 2}}
	// The week before, published when the ledger held one byte: its runs
	// are late arrivals, which the action-required list names.
	prev := in.Period.Shift(-1)
	in.Published = []Published{{Week: prev.Start, File: "weekly_" + prev.Label() + ".json", BytesCovered: 1}}
	want, err := Weekly(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.DataQuality.AppendOnly.Modifications) == 0 || len(want.DataQuality.LateArrivals) == 0 ||
		!slices.ContainsFunc(want.PolicyViolations, func(v reports.PolicyViolation) bool { return v.Type == VDriftSignificant }) {
		t.Fatal("the fixture's report lists no ledger modification, late arrival or significant drift: this test would prove nothing")
	}
	wantJSON := encoded(t, want)
	secs := sections()
	for _, late := range secs {
		// The order: whatever is ready and neither late nor needs it
		// first (needs are direct, so "needs it" is followed through).
		after := map[string]bool{late.name: true}
		for _, s := range secs {
			for _, n := range s.needs {
				if after[n] {
					after[s.name] = true
				}
			}
		}
		var order []section
		done := map[string]bool{}
		for len(order) < len(secs) {
			next := -1
			for i, s := range secs {
				ready := !done[s.name] && !slices.ContainsFunc(s.needs, func(n string) bool { return !done[n] })
				if ready && (next < 0 || after[secs[next].name] && !after[s.name]) {
					next = i
				}
			}
			order = append(order, secs[next])
			done[secs[next].name] = true
		}
		if got := inOrder(t, st, in, want, order); string(got) != string(wantJSON) {
			var names []string
			for _, s := range order {
				names = append(names, s.name)
			}
			t.Errorf("%s as late as its dependents allow (%s): the report differs from Weekly's; a section reads what a section it does not need writes",
				late.name, strings.Join(names, ", "))
		}
	}
}

// TestRunSectionsEndsWhatAFailedSectionStarted fails a section after it
// left work in the background: runSections returns only once that work
// has ended, with the section's error.
func TestRunSectionsEndsWhatAFailedSectionStarted(t *testing.T) {
	c := &computation{ctx: context.Background()}
	var ended atomic.Bool
	secs := []section{{"a", nil, func(a *analysis) error {
		a.later("a", func() error {
			time.Sleep(20 * time.Millisecond)
			ended.Store(true)
			return errors.New("background")
		})
		return errors.New("boom")
	}}}
	err := runSections(c.ctx, secs, []*analysis{{computation: c}, {computation: c}}, nil)
	if err == nil || err.Error() != "a: boom" {
		t.Fatalf("runSections: %v, want the section's error", err)
	}
	if !ended.Load() {
		t.Fatal("runSections returned while the failed section's background work still ran")
	}
}

// TestRunSectionsPanic panics in a section and in a section's
// background work: each is the review's error, naming the section, and
// the process goes on (a scheduler's recover would not reach a lane's
// goroutine).
func TestRunSectionsPanic(t *testing.T) {
	for _, tt := range []struct {
		name string
		fn   func(*analysis) error
	}{
		{"in the section", func(*analysis) error { panic("broken") }},
		{"in its background work", func(a *analysis) error {
			a.later("a", func() error { panic("broken") })
			return nil
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &computation{ctx: context.Background()}
			err := runSections(c.ctx, []section{{"a", nil, tt.fn}}, []*analysis{{computation: c}}, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "a: panic: broken") {
				t.Fatalf("runSections: %v, want the panic as the section's error", err)
			}
		})
	}
}

// TestWeeklyWithTheSecondConnectionTaken holds the store's second
// connection while a review runs: the review runs on one and gives the
// same report, without waiting for the other.
func TestWeeklyWithTheSecondConnectionTaken(t *testing.T) {
	st, in := fixtureStore(t, 3_000, 6)
	want, err := Weekly(context.Background(), st, in)
	if err != nil {
		t.Fatal(err)
	}
	held, err := st.Second(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := Weekly(ctx, st, in)
	if err != nil {
		t.Fatalf("with the second connection taken: %v", err)
	}
	g, w := encoded(t, got), encoded(t, want)
	if string(g) != string(w) {
		t.Fatal("the review on one connection differs from the review on two")
	}
}
