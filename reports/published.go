package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// PublishedWeek is the newest published revision of one week's weekly
// report, as the publication index lists it.
type PublishedWeek struct {
	Week         time.Time // period start
	File         string    // file name, for the report
	BytesCovered int64     // inputs.ledger.bytes_covered of that report
}

// PublishedWeeks is the publication index of the weekly reports in dir: the
// newest revision of every week, oldest week first, reading only the head
// of each file. A missing dir has published nothing.
func PublishedWeeks(dir string) ([]PublishedWeek, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list published reports: %w", err)
	}
	newest := map[string]PublishedWeek{}
	revs := map[string]int{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "weekly_") || !strings.HasSuffix(name, ".json") || e.IsDir() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		head, err := ReadReportHead(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read published report %s: %w", name, err)
		}
		start, err := time.Parse(time.RFC3339, head.PeriodStart)
		if err != nil {
			return nil, fmt.Errorf("published report %s: period_start: %w", name, err)
		}
		key := head.PeriodStart
		if head.Revision >= revs[key] {
			revs[key] = head.Revision
			newest[key] = PublishedWeek{Week: start, File: name, BytesCovered: head.Inputs.Ledger.BytesCovered}
		}
	}
	out := make([]PublishedWeek, 0, len(newest))
	for _, p := range newest {
		out = append(out, p)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Week.Before(out[k].Week) })
	return out, nil
}

// NewestWeekly reads the newest revision of the newest published weekly
// report in dir, with its file name and SHA-256. ok is false when nothing
// is published.
func NewestWeekly(dir string) (w *Weekly, name, sha string, ok bool, err error) {
	pubs, err := PublishedWeeks(dir)
	if err != nil || len(pubs) == 0 {
		return nil, "", "", false, err
	}
	newest := pubs[len(pubs)-1]
	data, err := os.ReadFile(filepath.Join(dir, newest.File))
	if err != nil {
		return nil, "", "", false, fmt.Errorf("read newest weekly report: %w", err)
	}
	w = &Weekly{}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, "", "", false, fmt.Errorf("read newest weekly report %s: %w", newest.File, err)
	}
	return w, newest.File, SHA256Hex(data), true, nil
}
