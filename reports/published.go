package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// PublishedWeek is the newest published revision of one week's weekly
// report, as the publication index lists it.
type PublishedWeek struct {
	Week         time.Time // period start
	File         string    // file name, for the report
	Path         string    // where it is
	BytesCovered int64     // inputs.ledger.bytes_covered of that report
}

// ErrNotAsRecorded is wrapped by PublishedWeeks' error when a weekly
// report the record of publication names is missing from its directory or
// holds other bytes than recorded.
var ErrNotAsRecorded = errors.New("not as the record of publication says")

// WeeklyReportDay is the Monday (YYYY-MM-DD) a weekly report's file name
// names, of any revision; ok is false for any other name.
func WeeklyReportDay(name string) (day string, ok bool) {
	day, _, ok = weeklyReport(name)
	return day, ok
}

// weeklyReport is the week and revision a final weekly report's file name
// says (ParseName); a preliminary report is not a publication of its
// week.
func weeklyReport(name string) (day string, rev int, ok bool) {
	n, ok := ParseName(name)
	if !ok || n.Kind != PublicationWeekly || n.Preliminary || n.Ext != ".json" {
		return "", 0, false
	}
	return n.Label, n.Revision, true
}

// PublishedWeeks is the publication index of the weekly reports: the
// newest revision of every week, oldest week first. recorded is the record
// of publication (a file's path → the SHA-256 of its newest record), in
// whichever directories it names: an output_dir changed since leaves the
// earlier weeks where they were published. Only the reports it names are
// publications, by the week and revision their names say (a week
// published in two directories: each one's newest revision, and of those
// the one that covered more of the ledger), and each must be there with
// its recorded bytes. A file the record does not name is not read at
// all, so that nobody without the key steers a job (its late arrivals, a
// baseline's candidates) with a file put in an output directory; a
// recorded one missing or changed is an error wrapping ErrNotAsRecorded.
func PublishedWeeks(recorded map[string]string) ([]PublishedWeek, error) {
	var paths []string
	for path := range recorded {
		if _, _, ok := weeklyReport(filepath.Base(path)); ok {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	// Each report is hashed whole, a year's reports a few hundred MB at a
	// million runs a week: on every core at once. Only each week's newest
	// revisions are read.
	revOf := func(path string) (week string, rev int) {
		week, rev, _ = weeklyReport(filepath.Base(path))
		return week, rev
	}
	// Revisions count per directory: a week published again after
	// output_dir moved starts at r1 in the new one. So each directory's
	// newest revision of a week is read, and of those the one that covered
	// more of the ledger (the later publication: the ledger only grows)
	// is the week's.
	newestRev := map[[2]string]int{}
	for _, p := range paths {
		w, r := revOf(p)
		k := [2]string{filepath.Dir(p), w}
		newestRev[k] = max(newestRev[k], r)
	}
	var read []string
	for _, p := range paths {
		if w, r := revOf(p); r == newestRev[[2]string{filepath.Dir(p), w}] {
			read = append(read, p)
		}
	}
	got := make([]PublishedWeek, len(read))
	errs := make([]error, len(read))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range read {
		g.Go(func() error {
			got[i], errs[i] = readRecordedWeek(p, recorded[p])
			return nil
		})
	}
	_ = g.Wait() // each read's error is in errs
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in path order, so the message is the same each run
		}
	}
	byWeek := map[string]PublishedWeek{}
	for i, p := range read {
		w, _ := revOf(p)
		if have, ok := byWeek[w]; !ok || got[i].BytesCovered > have.BytesCovered {
			byWeek[w] = got[i]
		}
	}
	out := make([]PublishedWeek, 0, len(byWeek))
	for _, p := range byWeek {
		out = append(out, p)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Week.Before(out[k].Week) })
	return out, nil
}

// readRecordedWeek reads the head of the weekly report at path and checks
// the whole file against its recorded SHA-256 want.
func readRecordedWeek(path, want string) (PublishedWeek, error) {
	name := filepath.Base(path)
	// Messages name the whole path: after output_dir moved, the week may
	// be in a directory the configuration no longer names.
	f, err := inputs.OpenRegular(path)
	if inputs.Gone(err) {
		return PublishedWeek{}, fmt.Errorf("published report %s: recorded as published (sha256 %s) but missing: %w", path, want, ErrNotAsRecorded)
	}
	if err != nil {
		return PublishedWeek{}, fmt.Errorf("read published report %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	head, herr := ReadReportHead(io.TeeReader(f, h))
	if _, err := io.Copy(h, f); err != nil {
		return PublishedWeek{}, fmt.Errorf("read published report %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return PublishedWeek{}, fmt.Errorf("published report %s: sha256 %s, not the recorded %s: %w", path, got, want, ErrNotAsRecorded)
	}
	if herr != nil {
		return PublishedWeek{}, fmt.Errorf("read published report %s: %w", path, herr)
	}
	start, err := time.Parse(time.RFC3339, head.PeriodStart)
	if err != nil {
		return PublishedWeek{}, fmt.Errorf("published report %s: period_start: %w", path, err)
	}
	return PublishedWeek{Week: start, File: name, Path: path, BytesCovered: head.Inputs.Ledger.BytesCovered}, nil
}

// NewestWeekly reads the newest revision of the newest published weekly
// report (PublishedWeeks: recorded names the publications), with its file
// name and SHA-256. ok is false when nothing is published.
func NewestWeekly(recorded map[string]string) (w *Weekly, name, sha string, ok bool, err error) {
	pubs, err := PublishedWeeks(recorded)
	if err != nil || len(pubs) == 0 {
		return nil, "", "", false, err
	}
	newest := pubs[len(pubs)-1]
	data, err := inputs.ReadRegular(newest.Path)
	if err != nil {
		return nil, "", "", false, fmt.Errorf("read newest weekly report: %w", err)
	}
	sum := SHA256Hex(data)
	if sum != recorded[newest.Path] {
		return nil, "", "", false, fmt.Errorf("published report %s: sha256 %s, not the recorded %s: %w", newest.Path, sum, recorded[newest.Path], ErrNotAsRecorded)
	}
	w = &Weekly{}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, "", "", false, fmt.Errorf("read newest weekly report %s: %w", newest.Path, err)
	}
	return w, newest.File, sum, true, nil
}
