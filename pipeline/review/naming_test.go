package review

import (
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/reports"
)

// unowned are the SQL files that no section owns: review.go runs them
// before the sections.
var unowned = map[string]bool{"classify": true, "classified_view": true, "side_tables": true, "window_runs": true}

// notSections are the top-level keys of reports.Weekly that are not
// report sections; sectionOf maps a section's second key to the section
// it belongs to (docs/ARCHITECTURE.md, "To change a weekly section").
var (
	notSections = map[string]bool{"schema": true, "report_id": true, "period_start": true,
		"period_end": true, "time_zone": true, "preliminary": true, "policy": true, "notes": true}
	sectionOf = map[string]string{"top_scenarios_by_total": "scenarios",
		"top_spike_runs": "spike_runs", "drift_mix": "drift"}
)

// TestSectionFileNames checks that every section of the weekly report is
// computed in k.go from sql/k.sql or sql/k_*.sql, k its JSON key, and
// that every SQL file but the unowned ones belongs to a section that way.
func TestSectionFileNames(t *testing.T) {
	names, err := fs.Glob(queries, "sql/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var sqls []string
	for _, n := range names {
		sqls = append(sqls, strings.TrimSuffix(strings.TrimPrefix(n, "sql/"), ".sql"))
	}
	owner := func(sqlName, section string) bool {
		return sqlName == section || strings.HasPrefix(sqlName, section+"_")
	}
	sections := map[string]bool{}
	wt := reflect.TypeOf(reports.Weekly{})
	for i := 0; i < wt.NumField(); i++ {
		f := wt.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || key == "" || notSections[key] {
			continue
		}
		if s, ok := sectionOf[key]; ok {
			key = s
		}
		sections[key] = true
	}
	if len(sections) < 9 {
		t.Fatalf("found %d sections in reports.Weekly, want at least 9", len(sections))
	}
	for section := range sections {
		if _, err := os.Stat(section + ".go"); err != nil {
			t.Errorf("section %s: %v", section, err)
		}
		found := false
		for _, q := range sqls {
			found = found || owner(q, section)
		}
		if !found {
			t.Errorf("section %s: no sql/%s.sql or sql/%s_*.sql", section, section, section)
		}
	}
	for _, q := range sqls {
		if unowned[q] {
			continue
		}
		found := false
		for section := range sections {
			found = found || owner(q, section)
		}
		if !found {
			t.Errorf("sql/%s.sql belongs to no section: name it after the section's JSON key", q)
		}
	}
}
