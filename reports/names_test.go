package reports

import (
	"strings"
	"testing"
)

// TestParseNameReadsWhatNameWrites: every name Name writes for a
// publication reads back as the base, revision and extension it was
// written from.
func TestParseNameReadsWhatNameWrites(t *testing.T) {
	tests := []struct {
		base string
		want PublishedName // Revision and Ext are set from the loop
	}{
		{"weekly_2026-11-16", PublishedName{Kind: PublicationWeekly, Label: "2026-11-16"}},
		{"weekly_2026-11-16.preliminary", PublishedName{Kind: PublicationWeekly, Label: "2026-11-16", Preliminary: true}},
		{"sla_2026-11", PublishedName{Kind: PublicationSLA, Label: "2026-11"}},
		{RejectsBase("2026-11-16"), PublishedName{Kind: PublicationRejects, Label: "2026-11-16"}},
		{RejectsBase("2026-11-16.preliminary"), PublishedName{Kind: PublicationRejects, Label: "2026-11-16", Preliminary: true}},
		{"rejects_2026-11-16", PublishedName{Kind: PublicationRejectsOld, Label: "2026-11-16"}},
	}
	for _, tt := range tests {
		exts := []string{".json", ".xlsx"}
		if strings.HasPrefix(tt.base, "rejects") {
			exts = []string{".jsonl"}
		}
		for _, ext := range exts {
			for _, rev := range []int{0, 1, 2, 3, 9, 10, 11, 100} {
				name := Name(tt.base, rev, ext)
				got, ok := ParseName(name)
				want := tt.want
				want.Revision, want.Ext = max(rev, 1), ext
				if !ok || got != want {
					t.Errorf("ParseName(%q) = %+v, %v; want %+v", name, got, ok, want)
					continue
				}
				if got.Base() != tt.base || got.String() != name {
					t.Errorf("ParseName(%q): Base %q, String %q; want %q, %q", name, got.Base(), got.String(), tt.base, name)
				}
				if p := NameProblem(name); p != "" {
					t.Errorf("NameProblem(%q) = %q for a published name", name, p)
				}
			}
		}
	}
}

// TestParseNameRefusesWhatNameNeverWrites: a name Name cannot produce is
// not a publication. Those laid out like one say why (NameProblem), for
// the verifiers to report.
func TestParseNameRefusesWhatNameNeverWrites(t *testing.T) {
	tests := []struct {
		name string
		why  string // NameProblem contains it; "" for a name laid out unlike a publication
	}{
		{"weekly_2026-11-16.r1.json", "revision .r1"},
		{"weekly_2026-11-16.r0.json", "revision .r0"},
		{"weekly_2026-11-16.r01.json", "revision .r01"},
		{"weekly_2026-11-16.r02.xlsx", "revision .r02"},
		{"sla_2026-11.r1.xlsx", "revision .r1"},
		{"rejects_cumulative_2026-11-16.r01.jsonl", "revision .r01"},
		{"weekly_2026-11-16.r99999999999999999999.json", "revision"},
		{"weekly_2026-11-16.preliminary.r01.json", "revision .r01"},
		{"weekly_2026-1-16.json", `period "2026-1-16" is not a date`},
		{"weekly_2026-11-31.json", `period "2026-11-31" is not a date`},
		{"weekly_2026-11.json", "not a date"},
		{"sla_2026-11-16.json", "not a month"},
		{"sla_2026-13.json", "not a month"},
		{"sla_2026-11.preliminary.json", "never preliminary"},
		{"weekly_2026-11-16.jsonl", "not .jsonl"},
		{"weekly_2026-11-16.txt", "not .txt"},
		{"rejects_cumulative_2026-11-16.json", "not .json"},
		{"weekly_2026-11-16.preliminary", "not .preliminary"},
		{"WEEKLY_2026-11-16.json", ""},
		{"Weekly_2026-11-16.json", ""},
		{"weekly_2026-11-16.JSON", ""},
		{"weekly_2026-11-16.R2.json", ""},
		{"weekly_2026-11-16", ""},
		{"weekly_2026-11-16.r2", ""},
		{"weekly_2026-11-16.", ""},
		{"weekly_2026-11-16.final.xlsx", ""},
		{"weekly_2026-11-16.rx.json", ""},
		{"weekly_2026-11-16.r.json", ""},
		{"weekly_2026-11-16.r2.preliminary.json", ""},
		{"weekly_2026-11-16.json.sha256", ""},
		{"weekly_2026-11-16.json.sig", ""},
		{"weekly_.json", ""},
		{"monthly_2026-11.json", ""},
		{"evidence_2026-11-01_2026-11-30.zip", ""},
		{".weekly_2026-11-16.json.123.tmp", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if n, ok := ParseName(tt.name); ok {
			t.Errorf("ParseName(%q) = %+v, want not a publication", tt.name, n)
		}
		p := NameProblem(tt.name)
		switch {
		case tt.why == "" && p != "":
			t.Errorf("NameProblem(%q) = %q, want none: laid out unlike a publication", tt.name, p)
		case tt.why != "" && !strings.Contains(p, tt.why):
			t.Errorf("NameProblem(%q) = %q, want it to say %q", tt.name, p, tt.why)
		}
	}
}

// TestLatestAndParseNameAgree: the publisher's revisions of a base and
// ParseName's read the same names the same way.
func TestLatestAndParseNameAgree(t *testing.T) {
	for _, name := range []string{"weekly_2026-11-16.json", "weekly_2026-11-16.r2.json", "weekly_2026-11-16.r10.json",
		"weekly_2026-11-16.r1.json", "weekly_2026-11-16.r01.json", "weekly_2026-11-16.r0.json", "weekly_2026-11-16.rx.json"} {
		n, ok := ParseName(name)
		rev := revisionOfName(name, "weekly_2026-11-16", ".json")
		if want := map[bool]int{true: n.Revision}[ok]; rev != want {
			t.Errorf("%s: revisionOfName %d, ParseName revision %d (ok %v)", name, rev, n.Revision, ok)
		}
	}
}
