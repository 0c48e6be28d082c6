package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// PublishedWeek is the newest published revision of one week's weekly
// report, as the publication index lists it.
type PublishedWeek struct {
	Week         time.Time // period start
	File         string    // file name, for the report
	BytesCovered int64     // inputs.ledger.bytes_covered of that report
}

// ErrNotAsRecorded is wrapped by PublishedWeeks' error when a weekly
// report the record of publication names is missing from its directory or
// holds other bytes than recorded.
var ErrNotAsRecorded = errors.New("not as the record of publication says")

// weeklyReportName is a final weekly report's file name: its week and
// revision (a preliminary report is not a publication of its week).
var weeklyReportName = regexp.MustCompile(`^weekly_(\d{4}-\d{2}-\d{2})(?:\.r([1-9]\d*))?\.json$`)

// PublishedWeeks is the publication index of the weekly reports in dir:
// the newest revision of every week, oldest week first. recorded is the
// record of publication of dir (file name → SHA-256 of its newest
// record): only the reports it names are publications, by the week and
// revision their names say, and each must be in dir with its recorded
// bytes. A file the record does not name is not read at all, so that
// nobody without the key steers a job (its late arrivals, a baseline's
// candidates) with a file put in the output directory; a recorded one
// missing or changed is an error wrapping ErrNotAsRecorded.
func PublishedWeeks(dir string, recorded map[string]string) ([]PublishedWeek, error) {
	type found struct {
		rev  int
		name string
	}
	newest := map[string]found{}
	for name := range recorded {
		m := weeklyReportName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		rev := 1
		if m[2] != "" {
			rev, _ = strconv.Atoi(m[2])
		}
		if f, ok := newest[m[1]]; !ok || rev > f.rev {
			newest[m[1]] = found{rev, name}
		}
	}
	// Each report is hashed whole, a year's reports a few hundred MB at a
	// million runs a week: on every core at once.
	names := make([]string, 0, len(newest))
	for _, f := range newest {
		names = append(names, f.name)
	}
	sort.Strings(names)
	out := make([]PublishedWeek, len(names))
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = readRecordedWeek(dir, names[i], recorded[names[i]])
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in name order, so the message is the same each run
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Week.Before(out[k].Week) })
	return out, nil
}

// readRecordedWeek reads the head of the weekly report name in dir and
// checks the whole file against its recorded SHA-256 want.
func readRecordedWeek(dir, name, want string) (PublishedWeek, error) {
	f, err := inputs.OpenRegular(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return PublishedWeek{}, fmt.Errorf("published report %s: recorded as published (sha256 %s) but missing: %w", name, want, ErrNotAsRecorded)
	}
	if err != nil {
		return PublishedWeek{}, fmt.Errorf("read published report %s: %w", name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return PublishedWeek{}, fmt.Errorf("published report %s: not a regular file: %w", name, ErrNotAsRecorded)
	}
	h := sha256.New()
	head, herr := ReadReportHead(io.TeeReader(f, h))
	if _, err := io.Copy(h, f); err != nil {
		return PublishedWeek{}, fmt.Errorf("read published report %s: %w", name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return PublishedWeek{}, fmt.Errorf("published report %s: sha256 %s, not the recorded %s: %w", name, got, want, ErrNotAsRecorded)
	}
	if herr != nil {
		return PublishedWeek{}, fmt.Errorf("read published report %s: %w", name, herr)
	}
	start, err := time.Parse(time.RFC3339, head.PeriodStart)
	if err != nil {
		return PublishedWeek{}, fmt.Errorf("published report %s: period_start: %w", name, err)
	}
	return PublishedWeek{Week: start, File: name, BytesCovered: head.Inputs.Ledger.BytesCovered}, nil
}

// NewestWeekly reads the newest revision of the newest published weekly
// report in dir (PublishedWeeks: recorded names the publications), with
// its file name and SHA-256. ok is false when nothing is published.
func NewestWeekly(dir string, recorded map[string]string) (w *Weekly, name, sha string, ok bool, err error) {
	pubs, err := PublishedWeeks(dir, recorded)
	if err != nil || len(pubs) == 0 {
		return nil, "", "", false, err
	}
	newest := pubs[len(pubs)-1]
	data, err := inputs.ReadRegular(filepath.Join(dir, newest.File))
	if err != nil {
		return nil, "", "", false, fmt.Errorf("read newest weekly report: %w", err)
	}
	if sum := SHA256Hex(data); sum != recorded[newest.File] {
		return nil, "", "", false, fmt.Errorf("published report %s: sha256 %s, not the recorded %s: %w", newest.File, sum, recorded[newest.File], ErrNotAsRecorded)
	}
	w = &Weekly{}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, "", "", false, fmt.Errorf("read newest weekly report %s: %w", newest.File, err)
	}
	return w, newest.File, SHA256Hex(data), true, nil
}
