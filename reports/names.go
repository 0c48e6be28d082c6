package reports

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The kinds of publication a published report file's name begins with.
const (
	PublicationWeekly  = "weekly"
	PublicationSLA     = "sla"
	PublicationRejects = "rejects_cumulative"
	// PublicationRejectsOld is the rejects file's kind before its name
	// said that it holds every reject so far; files of that name are
	// still read.
	PublicationRejectsOld = "rejects"
)

// preliminarySuffix ends the base name of a weekly report (and its
// rejects file) published before its period ended.
const preliminarySuffix = ".preliminary"

// PublishedName is what the name of a published report file says, as
// ParseName reads it: weekly_2026-11-16.preliminary.r2.json is revision 2
// of the preliminary weekly report of the week of 2026-11-16, its JSON.
type PublishedName struct {
	// Kind is one of PublicationWeekly, PublicationSLA,
	// PublicationRejects and PublicationRejectsOld.
	Kind string
	// Label is the period: the week's first day (YYYY-MM-DD) for a weekly
	// report and its rejects file, the month (YYYY-MM) for an SLA report.
	Label string
	// Preliminary is true for a weekly report (or its rejects file)
	// published before its period ended.
	Preliminary bool
	// Revision is 1 for a name without a revision, k for .rk.
	Revision int
	// Ext is the extension, with its dot: ".json", ".xlsx" or ".jsonl".
	Ext string
}

// Base is the publication's base name, which Name takes: kind, period
// and, for a preliminary report, ".preliminary" (weekly_2026-11-16,
// sla_2026-11, weekly_2026-11-16.preliminary).
func (n PublishedName) Base() string {
	base := n.Kind + "_" + n.Label
	if n.Preliminary {
		base += preliminarySuffix
	}
	return base
}

// String is the file name: Name of the base, revision and extension.
func (n PublishedName) String() string { return Name(n.Base(), n.Revision, n.Ext) }

// IsRejects reports whether the name is a rejects file's.
func (n PublishedName) IsRejects() bool {
	return n.Kind == PublicationRejects || n.Kind == PublicationRejectsOld
}

// Name returns the file name of revision rev of base with extension ext:
// "weekly_2026-11-16.json" for rev 1 (or less), "weekly_2026-11-16.r2.json"
// for rev 2. ParseName reads a report's name back.
func Name(base string, rev int, ext string) string {
	if ext != "" && !strings.HasPrefix(ext, ".") {
		ext = "." + ext
	}
	if rev <= 1 {
		return base + ext
	}
	return base + ".r" + strconv.Itoa(rev) + ext
}

// ParseName reads the name of a published report file (not of its
// sidecar or signature), the inverse of Name: ok is false for any name
// ledgerlens does not publish a report under. A revision is written as
// Name writes it: none for revision 1, .r2, .r3, … after it, so
// weekly_D.r1.json, weekly_D.r01.json and weekly_D.r0.json are not
// publications; nor are names in another case, periods that are not
// dates (months for an SLA report), an SLA report marked preliminary or
// an extension its kind does not have.
func ParseName(name string) (PublishedName, bool) {
	n, err := parseName(name)
	return n, err == nil && n.Kind != ""
}

// NameProblem says why name, laid out like a published report file's
// name (a kind, a period of digits and dashes, perhaps .preliminary and a
// revision .r followed by digits, a lower-case extension), is not one
// ParseName accepts: weekly_2026-11-16.r01.json was once read as
// revision 1. It is "" for a published file's name and for a name laid
// out unlike one (WEEKLY_2026-11-16.json, notes.txt).
func NameProblem(name string) string {
	if _, err := parseName(name); err != nil {
		return err.Error()
	}
	return ""
}

// nameLayout is how a published report file's name is laid out; parseName
// then holds each part to what Name writes.
var nameLayout = regexp.MustCompile(`^(weekly|sla|rejects_cumulative|rejects)_([0-9-]+)(\.preliminary)?(?:\.r([0-9]+))?\.([a-z]+)$`)

// nameExts are the extensions of each kind of publication.
var nameExts = map[string][]string{
	PublicationWeekly:     {".json", ".xlsx"},
	PublicationSLA:        {".json", ".xlsx"},
	PublicationRejects:    {".jsonl"},
	PublicationRejectsOld: {".jsonl"},
}

// parseName is ParseName, saying why a name laid out like a published
// file's is not one. A name laid out unlike one gives the zero
// PublishedName and no error.
func parseName(name string) (PublishedName, error) {
	m := nameLayout.FindStringSubmatch(name)
	if m == nil {
		return PublishedName{}, nil
	}
	n := PublishedName{Kind: m[1], Label: m[2], Preliminary: m[3] != "", Revision: 1, Ext: "." + m[5]}
	layout, period := time.DateOnly, "a date (YYYY-MM-DD)"
	if n.Kind == PublicationSLA {
		layout, period = "2006-01", "a month (YYYY-MM)"
	}
	if t, err := time.Parse(layout, n.Label); err != nil || t.Format(layout) != n.Label {
		return PublishedName{}, fmt.Errorf("its period %q is not %s", n.Label, period)
	}
	if n.Preliminary && n.Kind == PublicationSLA {
		return PublishedName{}, errors.New("an SLA report is never preliminary")
	}
	if m[4] != "" {
		rev, ok := parseRevision(m[4])
		if !ok {
			return PublishedName{}, fmt.Errorf("its revision .r%s is not one ledgerlens writes (revision 1 has none, later ones are .r2, .r3, … without leading zeros)", m[4])
		}
		n.Revision = rev
	}
	if !slices.Contains(nameExts[n.Kind], n.Ext) {
		return PublishedName{}, fmt.Errorf("a %s file is %s, not %s", n.Kind, strings.Join(nameExts[n.Kind], " or "), n.Ext)
	}
	return n, nil
}

// parseRevision reads the digits of a revision after ".r" as Name writes
// them: 2 or more, without leading zeros.
func parseRevision(digits string) (int, bool) {
	if digits == "" || digits[0] == '0' {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	rev, err := strconv.Atoi(digits)
	if err != nil || rev < 2 {
		return 0, false
	}
	return rev, true
}
