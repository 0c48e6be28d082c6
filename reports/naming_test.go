package reports

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// notSections are the top-level keys of Weekly that are not report
// sections; sectionOf maps a section's second key to the section it
// belongs to (docs/ARCHITECTURE.md, "To change a weekly section").
var (
	notSections = map[string]bool{"schema": true, "report_id": true, "period_start": true,
		"period_end": true, "time_zone": true, "preliminary": true, "policy": true, "notes": true}
	sectionOf = map[string]string{"top_scenarios_by_total": "scenarios",
		"top_spike_runs": "spike_runs", "drift_mix": "drift"}
	// modelOf names the row type of a section whose key is no plural.
	modelOf = map[string]string{"action_required": "ActionRequiredItem"}
)

// camel turns a JSON key into Go's spelling: spike_runs → SpikeRuns.
func camel(key string) string {
	var b strings.Builder
	for _, part := range strings.Split(key, "_") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// TestSectionNames checks that every section of the weekly report is
// findable by its JSON key: its model type is the key in CamelCase
// (singular for a list's rows) and its workbook builder is kBlocks or
// kBlock in workbook_k.go.
func TestSectionNames(t *testing.T) {
	wt := reflect.TypeOf(Weekly{})
	seen := 0
	for i := 0; i < wt.NumField(); i++ {
		f := wt.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || key == "" || notSections[key] {
			continue
		}
		seen++
		typ := f.Type
		want := camel(key)
		if typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			want = strings.TrimSuffix(want, "s")
		}
		if m, ok := modelOf[key]; ok {
			want = m
		}
		section := key
		if s, ok := sectionOf[key]; ok {
			section = s
		}
		if sectionOf[key] == "" && typ.Name() != want {
			t.Errorf("%s: model type %s, want %s", key, typ.Name(), want)
		}
		file := "workbook_" + section + ".go"
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: workbook builder file: %v", key, err)
			continue
		}
		lower := strings.ToLower(camel(section)[:1]) + camel(section)[1:]
		builder := regexp.MustCompile(`func \(b \*workbookBuilder\) ` + lower + `Blocks?\(`)
		if !builder.Match(src) {
			t.Errorf("%s: %s has no method %sBlocks or %sBlock", key, file, lower, lower)
		}
	}
	if seen < 10 {
		t.Fatalf("found %d sections in Weekly, want at least 10", seen)
	}
}
