package reconcile

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/job"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Record is the newest artifact_written entry of one published file: the
// record of publication the output directories are reconciled against.
type Record struct {
	Seq         int64
	Path        string // relative to the root, as recorded
	SHA256      string
	Publication string // base name, e.g. weekly_2026-11-02 ("" in old records)
	Revision    int
	Role        string
	// Set lists every file published together with it, by path as
	// recorded ("set"; nil in records made before it existed).
	Set []string
}

// Signed reports whether the record is of a file a key signed: not of a
// sidecar or a signature (a record made before roles were recorded
// counts as signed).
func (r Record) Signed() bool {
	return r.Role != job.RoleSidecar && r.Role != job.RoleSignature
}

// RetiredKeyVouches reports whether k, a key a rotation retired, vouches
// for the bytes whose SHA-256 is sum: records (Records) hold a file a key
// signed with those bytes, published before k's rotation. A key that
// leaked, the reason to rotate, vouches for nothing it signed after; nor
// for a sidecar's or signature's bytes, which no key signed (outside
// reviews).
func RetiredKeyVouches(records map[string]Record, k job.RetiredKey, sum string) bool {
	for _, rec := range records {
		if rec.SHA256 == sum && rec.Seq < k.RetiredAt && rec.Signed() {
			return true
		}
	}
	return false
}

// Records indexes the artifact_written entries of a log by path.
func Records(entries []audit.Entry) map[string]Record {
	out := map[string]Record{}
	for _, e := range entries {
		if e.Event != audit.EventArtifactWritten {
			continue
		}
		r := Record{Seq: e.Seq}
		r.Path, _ = e.Fields["path"].(string)
		r.SHA256, _ = e.Fields["sha256"].(string)
		r.Publication, _ = e.Fields["publication"].(string)
		r.Role, _ = e.Fields["role"].(string)
		if set, ok := e.Fields["set"].([]any); ok {
			for _, p := range set {
				if p, ok := p.(string); ok {
					r.Set = append(r.Set, filepath.ToSlash(p))
				}
			}
		}
		if n, ok := e.Fields["revision"].(json.Number); ok {
			v, _ := strconv.Atoi(n.String())
			r.Revision = v
		}
		out[filepath.ToSlash(r.Path)] = r
	}
	return out
}

// misnamed is the problem of a file named like a published report file
// but not as one is named (reports.NameProblem says why, why != ""):
// ledgerlens never writes it, so it is no publication, and it is not
// passed over as a file of no interest either. weekly_D.r01.json was
// once read as revision 1 of its week.
func misnamed(file, why string) string {
	return fmt.Sprintf("%s: named like a published report file, but %s: no publication (a renamed or planted file)", file, why)
}

// Dirs checks the output directories against the record of
// publication, both ways, and returns every problem found:
//   - every recorded file in dirs exists with its recorded SHA-256;
//   - every artifact-shaped file in dirs is recorded, has its sidecar and
//     (with pub) a signature that verifies;
//   - a report's report_id, period and revision match its file name, and
//     what it supersedes is the revision before it;
//   - every revision chain is complete (r2 without r1 is a gap).
//
// A directory reached under two names (output_dir changed to a link to
// the directory earlier weeks were published in) is one directory: files
// and records are matched by where they are, their directories' links
// resolved, not by how the record spells them.
func Dirs(l inputs.Layout, entries []audit.Entry, dirs []string, pub ed25519.PublicKey) (checked []reports.FileCheck, problems []string, err error) {
	where := inputs.NewLocations(l)
	recs := Records(entries)
	// The newest record of each file, keyed by where it is: recs is keyed
	// by its spelling.
	recAt := map[string]Record{}
	for rel, r := range recs {
		k := where.Of(rel)
		if old, ok := recAt[k]; !ok || r.Seq > old.Seq {
			recAt[k] = r
		}
	}
	newest := map[string]Record{}
	for _, r := range recAt {
		newest[filepath.ToSlash(r.Path)] = r
	}
	recorded := func(rel string) (Record, bool) { r, ok := recAt[where.Of(rel)]; return r, ok }
	var retired []job.RetiredKey
	if pub != nil {
		retired = job.RetiredKeysAt(entries, pub)
	}
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	realDirs := map[string]bool{}
	var listed []string
	for _, d := range dirs {
		k := where.Dir(d)
		if !realDirs[k] {
			realDirs[k] = true
			listed = append(listed, d)
		}
	}
	recordedDirs := map[string]bool{} // directories a record names a file in
	for k := range recAt {
		recordedDirs[filepath.Dir(k)] = true
	}
	inDirs := func(rel string) bool {
		return realDirs[where.Dir(l.Resolve(filepath.Dir(filepath.FromSlash(rel))))]
	}
	// On disk → recorded, sidecar, signature, name.
	revs := map[revisionChain]map[int]bool{} // revisions present
	for _, dir := range listed {
		entries, err := os.ReadDir(dir)
		if inputs.Gone(err) {
			continue // its recorded files are reported missing below
		}
		if err != nil {
			return checked, problems, fmt.Errorf("reconcile: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() {
				// Files in a directory nothing was published to would
				// go unreconciled: a planted archive/weekly_….json (or
				// .archive/). A mount point's lost+found is the file
				// system's, and an empty directory holds nothing.
				sub := filepath.Join(dir, name)
				if !mountLostFound(dir, name) && !realDirs[where.Dir(sub)] && !recordedDirs[where.Dir(sub)] {
					if inner, err := os.ReadDir(sub); err != nil || len(inner) > 0 {
						add("%s/: a directory in an output directory that holds no published file: its files are not checked (planted?)", filepath.ToSlash(l.Rel(sub)))
					}
				}
				continue
			}
			path := filepath.Join(dir, name)
			rel := filepath.ToSlash(l.Rel(path))
			if !e.Type().IsRegular() {
				// ledgerlens publishes regular files only. A symlink to
				// nothing or a FIFO among them stopped the check with
				// "could not run" (exit 1), every problem it had found
				// unsaid (an outside review): it is one more.
				add("%s: not a regular file (%s): nothing is published as one (planted?)", rel, fileKind(path, e.Type()))
				continue
			}
			if strings.HasPrefix(name, ".") && !atomicfile.IsTemp(name) {
				// Only a write's temporary file is ledgerlens's own;
				// a planted .weekly_….json passed unchecked.
				if _, ok := recorded(rel); !ok {
					add("%s: not recorded in the audit log as published (a hidden file in an output directory: planted?)", rel)
				}
				continue
			}
			if strings.HasPrefix(name, ".") {
				continue // a write under way, or one a crash cut short
			}
			if companionOfCompanion(name) {
				// An artifact's sidecar and signature are checked with it;
				// a file beside them named as theirs (X.sig.sig) is
				// nobody's, and passed unchecked.
				if _, ok := recorded(rel); !ok {
					add("%s: not recorded in the audit log as published (a sidecar or signature of a sidecar or signature: planted?)", rel)
				}
				continue
			}
			if art, ok := strings.CutSuffix(name, reports.SidecarExt); ok {
				if _, err := os.Stat(filepath.Join(dir, art)); errors.Is(err, fs.ErrNotExist) {
					if _, rec := recorded(rel); !rec {
						add("%s: a sidecar without its artifact %s, and not recorded", rel, art)
					}
				}
				continue
			}
			if art, ok := strings.CutSuffix(name, reports.SignatureExt); ok {
				if _, err := os.Stat(filepath.Join(dir, art)); errors.Is(err, fs.ErrNotExist) {
					if _, rec := recorded(rel); !rec {
						add("%s: a signature without its artifact %s, and not recorded", rel, art)
					}
				}
				continue
			}
			if _, ok := recorded(rel); !ok {
				add("%s: not recorded in the audit log as published (an unrecorded or planted file)", rel)
			}
			for _, comp := range []string{rel + reports.SidecarExt, rel + reports.SignatureExt} {
				if _, err := os.Stat(l.Resolve(filepath.FromSlash(comp))); err == nil {
					if _, ok := recorded(comp); !ok {
						add("%s: not recorded in the audit log as published", comp)
					}
				}
			}
			n, named := reports.ParseName(name)
			if named && !n.IsRejects() {
				// Present, whatever its companions are: a FIFO in place
				// of its signature made the revision chain say the
				// artifact itself was missing (an outside review).
				chain := revisionChain{n.Base(), n.Ext}
				if revs[chain] == nil {
					revs[chain] = map[int]bool{}
				}
				revs[chain][n.Revision] = true
			}
			check, err := reports.VerifyFile(path, pub)
			if err != nil && !errors.Is(err, reports.ErrVerification) {
				// Unreadable (its permissions changed, or replaced since
				// the listing): one more problem, the others still said.
				add("%s: cannot be read: %v", rel, err)
				continue
			}
			for _, old := range retired {
				if !errors.Is(err, reports.ErrVerification) {
					break
				}
				// Signed before a rotation, by a key the log vouches for,
				// and recorded before it: a retired key signs nothing
				// after its retirement.
				if c, e := reports.VerifyFile(path, old.Public); e == nil {
					if rec, ok := recorded(rel); ok && rec.Seq >= old.RetiredAt {
						add("%s: signed by key %s, retired at audit seq %d, but recorded at audit seq %d: a retired key signs nothing after its retirement",
							rel, reports.KeyID(old.Public), old.RetiredAt, rec.Seq)
					}
					check, err = c, nil
				}
			}
			checked = append(checked, check)
			for _, p := range check.Problems() {
				add("%s: %s", rel, p)
			}
			if !named {
				if why := reports.NameProblem(name); why != "" {
					problems = append(problems, misnamed(rel, why))
				}
				continue
			}
			if n.IsRejects() {
				// A revision may bring rejects its predecessor had none of.
				continue
			}
			problems = append(problems, checkName(rel, path, n)...)
		}
	}
	// Recorded → on disk.
	missing, err := Recorded(l, newest, inDirs)
	if err != nil {
		return checked, problems, err
	}
	problems = append(problems, missing...)
	problems = append(problems, incompleteSets(newest, recorded, inDirs)...)

	keys := slices.SortedFunc(maps.Keys(revs), func(a, b revisionChain) int {
		return strings.Compare(a.base+a.ext, b.base+b.ext)
	})
	for _, k := range keys {
		maxRev := 0
		for r := range revs[k] {
			maxRev = max(maxRev, r)
		}
		for r := 1; r < maxRev; r++ {
			if !revs[k][r] {
				add("%s: revision chain incomplete: revision %d (%s) is missing while revision %d exists",
					k.base, r, reports.Name(k.base, r, k.ext), maxRev)
			}
		}
	}
	return checked, groupByFile(problems), nil
}

// mountLostFound reports whether name in dir is the lost+found of a file
// system mounted at dir: root's, writable by root alone, in a directory
// on another device than its parent. Any other lost+found is a directory
// like another: a forged report planted in one passed verify all
// unchecked (a review of this stop's fixes).
func mountLostFound(dir, name string) bool {
	if name != "lost+found" {
		return false
	}
	var lf, d, parent syscall.Stat_t
	if syscall.Lstat(filepath.Join(dir, name), &lf) != nil || syscall.Stat(dir, &d) != nil || syscall.Stat(filepath.Join(dir, ".."), &parent) != nil {
		return false
	}
	return lf.Mode&syscall.S_IFMT == syscall.S_IFDIR && lf.Uid == 0 && lf.Mode&0o022 == 0 && d.Dev != parent.Dev
}

// companionOfCompanion reports whether name is named as the sidecar or
// signature of a sidecar or signature (X.sig.sig, X.sha256.sig, …).
func companionOfCompanion(name string) bool {
	for _, outer := range []string{reports.SidecarExt, reports.SignatureExt} {
		if inner, ok := strings.CutSuffix(name, outer); ok {
			return strings.HasSuffix(inner, reports.SidecarExt) || strings.HasSuffix(inner, reports.SignatureExt)
		}
	}
	return false
}

// fileKind names the type, m, of a directory entry at path that is not a
// regular file (inputs.FileKind); a symbolic link with what it leads to.
func fileKind(path string, m fs.FileMode) string {
	if m&fs.ModeSymlink == 0 {
		return inputs.FileKind(m)
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "a symbolic link to nothing"
	case fi.Mode().IsRegular():
		return "a symbolic link to a regular file"
	}
	return "a symbolic link to " + inputs.FileKind(fi.Mode())
}

// revisionChain is the revisions of one artifact of a publication: its
// base name (reports.PublishedName.Base) and extension.
type revisionChain struct{ base, ext string }

// checkName compares a report's or workbook's own identity with its file
// name, n; other files are not read.
func checkName(rel, path string, n reports.PublishedName) []string {
	if n.Ext != ".json" && n.Ext != ".xlsx" {
		return nil
	}
	data, err := inputs.ReadRegular(path)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", rel, err)}
	}
	return checkNameOf(rel, data, n)
}

// checkNameOf is checkName of the file's bytes, data.
func checkNameOf(rel string, data []byte, n reports.PublishedName) []string {
	switch n.Ext {
	case ".json":
		return checkReportData(rel, data, n)
	case ".xlsx":
		return checkWorkbookData(rel, data, n)
	}
	return nil
}

// incompleteSets lists the files a recorded set names (Record.Set) that
// no record holds: the job publishing the set stopped part-way through
// recording it (a full disk, a kill), and whatever it had not recorded was
// withdrawn. The files it had recorded pass every other check, so without
// this a report's signature alone, or a rejects file without its report,
// passed for a publication (docs/COMPLIANCE.md, "A publication cut
// short"). Only files in the checked directories (keep) are named, once
// each, with the newest record naming them.
func incompleteSets(newest map[string]Record, recorded func(rel string) (Record, bool), keep func(rel string) bool) []string {
	named := map[string]Record{}
	for _, r := range newest {
		for _, p := range r.Set {
			if _, ok := recorded(p); ok || !keep(p) {
				continue
			}
			if old, ok := named[p]; !ok || r.Seq > old.Seq {
				named[p] = r
			}
		}
	}
	var problems []string
	for _, p := range slices.Sorted(maps.Keys(named)) {
		r := named[p]
		problems = append(problems, fmt.Sprintf("%s: published with %s (recorded at audit seq %d) but never recorded itself: the job publishing them stopped part-way (a full disk, a kill), so the publication is incomplete; run that job again (it publishes the rest), then verify again",
			p, r.Path, r.Seq))
	}
	return problems
}

// Recorded checks the files of the record of publication recs (Records)
// whose recorded path keep accepts: each must be on disk with its recorded
// SHA-256. It returns a problem for each one that is not, in path order.
func Recorded(l inputs.Layout, recs map[string]Record, keep func(rel string) bool) ([]string, error) {
	var problems []string
	for _, p := range slices.Sorted(maps.Keys(recs)) {
		r := recs[p]
		if !keep(p) {
			continue
		}
		got, _, err := reports.FileDigest(l.Resolve(filepath.FromSlash(p)))
		switch {
		case inputs.Gone(err):
			problems = append(problems, fmt.Sprintf("%s: recorded as published (audit seq %d, sha256 %s) but the file is missing", p, r.Seq, short(r.SHA256)))
		case err != nil:
			// Not a regular file now, or unreadable: a problem like a
			// missing file, said with the others rather than stopping
			// the check.
			problems = append(problems, fmt.Sprintf("%s: recorded as published (audit seq %d, sha256 %s) but cannot be read: %v", p, r.Seq, short(r.SHA256), err))
		case got != r.SHA256:
			problems = append(problems, fmt.Sprintf("%s: sha256 %s is not the recorded %s (audit seq %d): the file was replaced or edited", p, short(got), short(r.SHA256), r.Seq))
		}
	}
	return problems, nil
}

// PublicationsUnchanged checks every file the log's entries record for
// the named publications (their reports, workbooks, rejects files,
// sidecars and signatures, every revision): each must be on disk with its
// recorded SHA-256. A re-run that finds its result already published
// publishes nothing, and said so with exit 0 while the workbook beside
// the report was edited or deleted (an outside review); it returns the
// problems as an integrity error, which verify all also names.
func PublicationsUnchanged(l inputs.Layout, entries []audit.Entry, publications ...string) error {
	recs := Records(entries)
	problems, err := Recorded(l, recs, func(rel string) bool { return slices.Contains(publications, recs[rel].Publication) })
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	for i := range problems {
		problems[i] += "; the re-run published nothing: restore the file from a backup (or its set: run 'ledgerlens verify all')"
	}
	return &job.IntegrityError{Problems: problems}
}

// groupByFile merges the problems of one file ("<path>: <problem>") into
// one line, files in name order, so a report reads one line per file.
func groupByFile(problems []string) []string {
	var order []string
	byFile := map[string][]string{}
	for _, p := range problems {
		file, what, _ := strings.Cut(p, ": ")
		if _, ok := byFile[file]; !ok {
			order = append(order, file)
		}
		byFile[file] = append(byFile[file], what)
	}
	sort.Strings(order)
	out := make([]string, 0, len(order))
	for _, f := range order {
		out = append(out, f+": "+strings.Join(byFile[f], "; "))
	}
	return out
}

// checkReportData compares a report's own identity, in its bytes data,
// with its file name, n.
func checkReportData(rel string, data []byte, n reports.PublishedName) []string {
	var h struct {
		ReportID    string  `json:"report_id"`
		PeriodStart string  `json:"period_start"`
		Revision    int     `json:"revision"`
		Supersedes  *string `json:"supersedes"`
		Preliminary bool    `json:"preliminary"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return []string{fmt.Sprintf("%s: not a report: %v", rel, err)}
	}
	var out []string
	if h.Preliminary != n.Preliminary {
		out = append(out, fmt.Sprintf("%s: preliminary %v inside, but the file name says %s: a preliminary report must never pass for the final one", rel, h.Preliminary, finalOrPreliminary(n.Preliminary)))
	}
	want := reportIDOf(n)
	if h.ReportID != want {
		out = append(out, fmt.Sprintf("%s: report_id %q inside does not match the file name (want %q): a report copied over another", rel, h.ReportID, want))
	}
	if n.Kind == reports.PublicationWeekly && !strings.HasPrefix(h.PeriodStart, n.Label) {
		out = append(out, fmt.Sprintf("%s: period_start %q inside does not match the file name's week %s", rel, h.PeriodStart, n.Label))
	}
	if h.Revision != n.Revision {
		out = append(out, fmt.Sprintf("%s: revision %d inside, but the file name says revision %d (a replayed revision)", rel, h.Revision, n.Revision))
	}
	var wantSup string
	if n.Revision > 1 {
		wantSup = reports.Name(n.Base(), n.Revision-1, ".json")
	}
	if got := derefString(h.Supersedes); got != wantSup {
		out = append(out, fmt.Sprintf("%s: supersedes %q inside, want %q", rel, got, wantSup))
	}
	return out
}

func finalOrPreliminary(preliminary bool) string {
	if preliminary {
		return "preliminary"
	}
	return "final"
}

// reportIDPrefix is what a report id begins with, by kind of publication:
// the period's label follows.
var reportIDPrefix = map[string]string{reports.PublicationWeekly: "CREDIT_REVIEW_", reports.PublicationSLA: "SLA_"}

// reportIDOf returns the report id a publication's name (weekly_2026-11-16,
// sla_2026-11, a preliminary's) says its report carries.
func reportIDOf(n reports.PublishedName) string {
	if n.Kind == reports.PublicationSLA {
		return reportIDPrefix[reports.PublicationSLA] + n.Label
	}
	return reportIDPrefix[reports.PublicationWeekly] + n.Label
}

// checkWorkbookData compares a workbook's own identity, its document
// properties (dc:identifier, the report id; cp:revision), read from its
// bytes data, with its file name: a workbook signed for one week and
// copied, signature and all, under another week's name verifies against
// its own sidecar and signature, as a JSON report copied over another
// would.
func checkWorkbookData(rel string, data []byte, n reports.PublishedName) []string {
	props, err := workbookPropsOf(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", rel, err)}
	}
	want := reportIDOf(n)
	var out []string
	if props.Identifier != want {
		out = append(out, fmt.Sprintf("%s: report id %q in its document properties does not match the file name (want %q): a workbook copied over another", rel, props.Identifier, want))
	}
	// A preliminary workbook published before workbooks were marked
	// carries no mark, so only a mark under a final name is refused.
	if props.ContentStatus == reports.ContentStatusPreliminary && !n.Preliminary {
		out = append(out, fmt.Sprintf("%s: its document properties say %s, but the file name says final: a preliminary workbook must never pass for the final one", rel, reports.ContentStatusPreliminary))
	}
	if props.Revision != strconv.Itoa(n.Revision) {
		out = append(out, fmt.Sprintf("%s: revision %q in its document properties, but the file name says revision %d (a replayed revision)", rel, props.Revision, n.Revision))
	}
	return out
}

// checkPreliminaryElsewhere holds a file named unlike any publication
// (WEEKLY_….json, weekly_….final.xlsx, and weekly_….r01.json, which
// misnamed reports) to the one rule a name can still break: a
// preliminary report or workbook, id, must say so in its name, or it
// passes for the final one wherever it is handed over.
func checkPreliminaryElsewhere(name string, id ReportIdentity) []string {
	if !id.Preliminary || strings.Contains(strings.ToLower(name), ".preliminary") {
		return nil
	}
	what := "report"
	if id.Workbook {
		what = "workbook"
	}
	return []string{fmt.Sprintf("%s: a preliminary %s (%s) under a name that does not say so: a preliminary %s must never pass for the final one", name, what, id.ReportID, what)}
}

// periodLabel finds the periods a name gives, as people rename a report
// they hand over (weekly_2026-01-19 (1).json, Copy of
// weekly_2026-01-19.json, 2026-01-19_weekly.json, weekly_2026_01_19.json,
// weekly_2026-W04.json, sla_2026-01.bak): a date, a month or an ISO week,
// whatever surrounds it.
var periodLabel = regexp.MustCompile(`(?i)(?:^|[^0-9])(\d{4})[-_.](w\d{2}|\d{2})(?:[-_.](\d{2}))?(?:[^0-9]|$)`)

// dashes are the characters a name may write a label's hyphens with.
var dashes = strings.NewReplacer("\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2212", "-")

// The kinds a name may say.
var (
	namesWeek = regexp.MustCompile(`(?i)week`)
	namesSLA  = regexp.MustCompile(`(?i)(^|[^a-z])sla([^a-z]|$)`)
)

// checkPeriodInName holds a report or workbook named unlike any
// publication, but after a period, to that period: the kind the name
// says (weekly, sla) must be the report's, and one date, month or ISO
// week it gives must share a day with the report's period (a week's
// Sunday, a week's month, a month's day agree with it). A genuine report
// of one week copied, signature and sidecar with it, under a name saying
// another week or an SLA month passed `verify FILE` (two outside
// reviews). One agreeing period is enough: a name that also holds a
// timestamp, an export date or a version (weekly_D_exported_E.json,
// sla_M_v2026.03.json) is a genuine report's (a third review's false
// alarms, when every period had to agree).
func checkPeriodInName(name string, id ReportIdentity) []string {
	plain := dashes.Replace(name)
	labels := periodLabel.FindAllStringSubmatch(plain, -1)
	week, sla := namesWeek.MatchString(plain), namesSLA.MatchString(plain)
	if len(labels) == 0 && !week && !sla {
		return nil
	}
	from, to, isWeek, ok := id.period()
	if !ok {
		return nil // not a report or workbook, or unreadable: the other checks say so
	}
	bad := func(what string) []string {
		return []string{fmt.Sprintf("%s: named after %s, but it holds %s: a report under another period's name", name, what, id.ReportID)}
	}
	switch {
	case isWeek && sla && !week:
		return bad("an SLA report")
	case !isWeek && week && !sla:
		return bad("a weekly review")
	}
	var given []string
	for _, m := range labels {
		lf, lt, ok := labelPeriod(m)
		if !ok {
			continue // not a period (a month 13, say)
		}
		// Agreeing: the two periods share a day.
		if !lt.Before(from) && !lf.After(to) {
			return nil
		}
		given = append(given, strings.Trim(m[0], "_-. ()[]"))
	}
	if len(given) == 0 {
		return nil
	}
	return bad(strings.Join(given, ", "))
}

// labelPeriod is the days [from, to] a label periodLabel found gives: a
// date, a month, or an ISO week.
func labelPeriod(m []string) (from, to time.Time, ok bool) {
	year, err := strconv.Atoi(m[1])
	if err != nil {
		return
	}
	mid := strings.ToLower(m[2])
	switch {
	case strings.HasPrefix(mid, "w"):
		w, _ := strconv.Atoi(mid[1:])
		if m[3] != "" || w < 1 || w > 53 {
			return
		}
		// The Monday of ISO week 1 is the Monday on or before 4 January.
		jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
		monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
		return monday, monday.AddDate(0, 0, 6), true
	case m[3] == "":
		month, _ := strconv.Atoi(mid)
		if month < 1 || month > 12 {
			return
		}
		from = time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, -1), true
	}
	d, err := time.Parse(time.DateOnly, m[1]+"-"+mid+"-"+m[3])
	if err != nil {
		return
	}
	return d, d, true
}

// ReportIdentity is what a report or workbook says it is: its report id
// and revision, read from the report's JSON or the workbook's document
// properties.
type ReportIdentity struct {
	ReportID    string // "" for any other file, or one that does not read
	Revision    string
	Preliminary bool
	Workbook    bool // read from a workbook, not a JSON report
}

// period is the days [from, to] of the report's period, from its report
// id: a week (Monday to Sunday) or a month; ok is false for any other id.
func (id ReportIdentity) period() (from, to time.Time, week, ok bool) {
	if l, found := strings.CutPrefix(id.ReportID, reportIDPrefix[reports.PublicationWeekly]); found {
		d, err := time.Parse(time.DateOnly, l)
		if err != nil {
			return
		}
		return d, d.AddDate(0, 0, 6), true, true
	}
	if l, found := strings.CutPrefix(id.ReportID, reportIDPrefix[reports.PublicationSLA]); found {
		d, err := time.Parse("2006-01", l)
		if err != nil {
			return
		}
		return d, d.AddDate(0, 1, -1), false, true
	}
	return
}

func (id ReportIdentity) String() string {
	if id.ReportID == "" {
		return ""
	}
	s := id.ReportID + " revision " + id.Revision
	if id.Preliminary {
		s += ", preliminary"
	}
	return s
}

// Identity reads the identity of a report or workbook, data, the bytes of
// a file named name; the zero ReportIdentity for any other file or one
// that does not read as a report. A report is told by its extension
// (.json, .xlsx) or, under another name (weekly_D.json.bak), by its first
// bytes. A verifier passes the bytes whose signature it checked, not the
// path again.
func Identity(name string, data []byte) ReportIdentity {
	kind := strings.ToLower(filepath.Ext(name))
	switch {
	case kind == ".json" || kind == ".xlsx":
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")):
		kind = ".json"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		kind = ".xlsx"
	}
	switch kind {
	case ".json":
		var h struct {
			ReportID    string `json:"report_id"`
			Revision    int    `json:"revision"`
			Preliminary bool   `json:"preliminary"`
		}
		if json.Unmarshal(data, &h) != nil {
			return ReportIdentity{}
		}
		return ReportIdentity{ReportID: h.ReportID, Revision: strconv.Itoa(h.Revision), Preliminary: h.Preliminary}
	case ".xlsx":
		props, err := workbookPropsOf(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return ReportIdentity{}
		}
		return ReportIdentity{ReportID: props.Identifier, Revision: props.Revision, Preliminary: props.ContentStatus == reports.ContentStatusPreliminary, Workbook: true}
	}
	return ReportIdentity{}
}

// coreProps are the document properties a workbook's identity is read from.
type coreProps struct {
	Identifier    string `xml:"http://purl.org/dc/elements/1.1/ identifier"`
	Revision      string `xml:"http://schemas.openxmlformats.org/package/2006/metadata/core-properties revision"`
	ContentStatus string `xml:"http://schemas.openxmlformats.org/package/2006/metadata/core-properties contentStatus"`
}

// workbookPropsOf reads the document properties (docProps/core.xml) of
// a workbook's size bytes in r.
func workbookPropsOf(r io.ReaderAt, size int64) (coreProps, error) {
	var props coreProps
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return props, fmt.Errorf("not a workbook: %w", err)
	}
	core, err := zr.Open("docProps/core.xml")
	if err != nil {
		return props, errors.New("no document properties (docProps/core.xml): not a ledgerlens workbook")
	}
	defer core.Close()
	if err := xml.NewDecoder(io.LimitReader(core, 1<<20)).Decode(&props); err != nil {
		return props, fmt.Errorf("document properties: %w", err)
	}
	return props, nil
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// File checks one file against the record of publication of the
// root in l, for `ledgerlens verify FILE`: a report's identity must match
// its name, and a file under the root that the audit log records must be
// the recorded bytes (bytes that verify against their own sidecar and
// signature but are another report, or an older revision, fail). A file in
// an output directory that the log does not record fails too. Files
// outside the root are only name-checked: an auditor's copy has no log.
// data is the file's bytes, those whose signature the caller checked:
// every check reads them, not the path again. The problems do not name
// the file: the caller's line does ("FAILED x: x: …" named it twice).
func File(l inputs.Layout, path string, data []byte, dirs []string) ([]string, error) {
	var problems []string
	name := filepath.Base(path)
	if n, ok := reports.ParseName(name); ok {
		if !n.IsRejects() {
			problems = append(problems, checkNameOf(name, data, n)...)
		}
	} else {
		if why := reports.NameProblem(name); why != "" {
			problems = append(problems, misnamed(name, why))
		}
		id := Identity(name, data)
		problems = append(problems, checkPreliminaryElsewhere(name, id)...)
		problems = append(problems, checkPeriodInName(name, id)...)
	}
	// The name checks' lines begin with the name, as verify all lists
	// them among other files'.
	for i, p := range problems {
		problems[i] = strings.TrimPrefix(p, name+": ")
	}
	// Both resolved through symbolic links: a file reached through a
	// linked root, or the root through a link, is still under the root
	// and must be the recorded artifact.
	abs, err := realPath(path)
	if err != nil {
		return problems, err
	}
	root, err := realPath(l.Root)
	if err != nil {
		return problems, err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return problems, nil
	}
	st, err := audit.Load(l.AuditLog)
	if err != nil {
		return problems, err
	}
	rec, ok := Records(st.Entries)[filepath.ToSlash(rel)]
	if !ok {
		for _, d := range dirs {
			if dabs, err := realPath(d); err == nil && filepath.Dir(abs) == dabs {
				problems = append(problems, "not recorded in the audit log as published")
				break
			}
		}
		return problems, nil
	}
	if got := reports.SHA256Hex(data); got != rec.SHA256 {
		problems = append(problems, fmt.Sprintf("not the recorded artifact for this name: sha256 %s, the audit log records %s (seq %d)", short(got), short(rec.SHA256), rec.Seq))
	}
	return problems, nil
}

// realPath is path made absolute with every symbolic link resolved; a
// path that does not exist is only made absolute.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	return abs, nil
}

// WithRecordedDirs returns dirs followed by every other directory that
// holds a file the record of publication names, in the order first
// recorded: an output directory the configuration no longer names is still
// reconciled. Evidence bundles (recorded by an evidence-export job) do not
// add their directory: a bundle is a copy for delivery, so it may be moved
// away, and the files beside it are not the root's. A bundle exported into
// an output directory is reconciled with it.
func WithRecordedDirs(l inputs.Layout, dirs []string, entries []audit.Entry) []string {
	// dirs are already resolved against the root: resolving a relative
	// root's directory again named it twice (every problem in it reported
	// twice). The key is lexical, not the real path: an output_dir that is
	// a link to the directory the records name is reconciled as both, so
	// the recorded files missing from it are still named.
	seen := map[string]bool{}
	key := filepath.Clean
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if k := key(d); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	jobName := ""
	for _, e := range entries {
		if e.Event == audit.EventJobStart {
			jobName, _ = e.Fields["job"].(string)
		}
		if e.Event != audit.EventArtifactWritten {
			continue
		}
		// An evidence bundle is a copy for delivery, written wherever the
		// operator chose (--out): its directory is not an output directory
		// of the root, and the files beside it are not the root's.
		if jobName == job.NameEvidenceExport {
			continue
		}
		p, ok := e.Fields["path"].(string)
		if !ok {
			continue
		}
		if d := filepath.Dir(l.Resolve(filepath.FromSlash(p))); !seen[key(d)] {
			seen[key(d)] = true
			out = append(out, d)
		}
	}
	return out
}
