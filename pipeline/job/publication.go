package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// Roles of a published file in its artifact_written record.
const (
	RoleArtifact  = "artifact"
	RoleSidecar   = "sidecar"
	RoleSignature = "signature"
)

// RecordPublished writes the record of publication (docs/COMPLIANCE.md):
// one artifact_written entry per file of revision rev of base in dir — for
// each extension the signature, the sidecar and the artifact — with its
// path, SHA-256, size, publication name, revision, role and what it
// supersedes. A file this run's Publish wrote (written, its
// PublishResult.Files) is recorded with the digest Publish computed of the
// bytes it wrote; any other is read back from disk, so a re-run that finds
// the files already published (a kill between writing and recording)
// records them too. A file the log already records with the same digest is
// not recorded twice; one it records with another digest, not written by
// this run, is an integrity problem, never recorded anew.
//
// Each entry also lists the whole set (its "set" field: every file of the
// publications recorded together, by path), so that a set whose recording
// stopped part-way is told apart from a complete one: the entries written
// before the stop name the files that never got theirs
// (docs/COMPLIANCE.md, "A publication cut short").
//
// When recording fails part-way (the log's disk full), the files of
// written that the log does not record are withdrawn, as after a failed
// write, so that no unrecorded file is left for the next run to find
// beside a different result; those recorded stay, as the log says they
// were published, and the next run publishes the rest.
func (j *Job) RecordPublished(ctx context.Context, dir, base string, rev int, written []reports.PublishedFile, exts ...string) error {
	return j.RecordPublishedSet(ctx, dir, rev, written, Publication{Base: base, Exts: exts})
}

// Publication is one base name's files in a set recorded together: the
// extensions of its artifacts (each with its sidecar and signature).
type Publication struct {
	Base string
	Exts []string
}

// RecordPublishedSet is RecordPublished for several publications of
// revision rev in dir recorded as one set (a weekly review's report and
// workbook with its rejects file): a stop part-way through any of them
// leaves the set incomplete.
func (j *Job) RecordPublishedSet(ctx context.Context, dir string, rev int, written []reports.PublishedFile, pubs ...Publication) (err error) {
	// The files are in place: their records are written whatever a
	// signal says from here on.
	j.published.Store(true)
	defer func() {
		if err != nil {
			err = j.withdrawUnrecorded(err, written)
		}
	}()
	l := j.env.Layout
	wrote := make(map[string]reports.PublishedFile, len(written))
	for _, f := range written {
		wrote[f.Path] = f
	}
	type file struct {
		path, role, base string
		supersedes       any
		sum              string
		n                int64
	}
	var files []file
	for _, p := range pubs {
		for _, ext := range p.Exts {
			path := filepath.Join(dir, reports.Name(p.Base, rev, ext))
			var supersedes any
			if rev > 1 {
				supersedes = l.Rel(filepath.Join(dir, reports.Name(p.Base, rev-1, ext)))
			}
			for _, f := range []file{
				{path: path + reports.SignatureExt, role: RoleSignature},
				{path: path + reports.SidecarExt, role: RoleSidecar},
				{path: path, role: RoleArtifact},
			} {
				f.base, f.supersedes = p.Base, supersedes
				var err error
				if w, ok := wrote[f.path]; ok {
					f.sum, f.n = w.SHA256, w.Bytes
				} else {
					// Read in a stream: a report can be larger than is
					// worth holding in memory again.
					f.sum, f.n, err = reports.FileDigest(f.path)
				}
				if f.role == RoleSignature && errors.Is(err, fs.ErrNotExist) {
					continue // published unsigned
				}
				if err != nil {
					return fmt.Errorf("record publication: %w", err)
				}
				files = append(files, f)
			}
		}
	}
	set := make([]string, len(files))
	for i, f := range files {
		set[i] = l.Rel(f.path)
	}
	recorded := j.recordedFiles()
	for _, f := range files {
		rel, at := l.Rel(f.path), j.where().Of(f.path)
		if recorded[at] == f.sum {
			continue
		}
		if _, ours := wrote[f.path]; !ours && recorded[at] != "" {
			// Read back, not written by this run, and recorded with
			// other bytes: changed since its publication (a no-op
			// re-run over a replaced signature, say). Recording it
			// would sign the change into the log.
			return &IntegrityError{Problems: []string{fmt.Sprintf(
				"%s: recorded as published with sha256 %s, but it now holds sha256 %s: changed since it was published, so it is not recorded again (restore it, then run 'ledgerlens verify all')",
				rel, recorded[at], f.sum)}}
		}
		if err := j.Audit(ctx, audit.EventArtifactWritten, map[string]any{
			"path": rel, "sha256": f.sum, "bytes": f.n, "publication": f.base, "revision": max(rev, 1),
			"role": f.role, "supersedes": f.supersedes, "set": set}); err != nil {
			return err
		}
		recorded[at] = f.sum
	}
	j.recordedSet.Store(true)
	return nil
}

// RecordedDigest returns the SHA-256 the record of publication holds for
// the file at path, newest record first ("" when none records it).
func (j *Job) RecordedDigest(path string) string {
	return j.recordedFiles()[j.where().Of(path)]
}

// Recorded returns the files the record of publication holds, by where
// each one is (inputs.Locations), with the SHA-256 of each one's newest
// record: what reports.PublishedWeeks reads.
func (j *Job) Recorded() map[string]string {
	return maps.Clone(j.recordedFiles())
}

// IsRecorded reports whether the record of publication holds the file
// at path: a Publisher's Recorded, so that a re-run completes only what
// was never recorded.
func (j *Job) IsRecorded(path string) bool { return j.RecordedDigest(path) != "" }

// recordedFiles indexes the files the log records as published, by
// where each one is (inputs.Locations: the record spells a file as the
// job that wrote it did, and output_dir may have become a link to the
// same directory since), with the digest of each one's newest record; the
// job's own records are added as it writes them (RecordPublished).
func (j *Job) recordedFiles() map[string]string {
	if j.recorded == nil {
		j.recorded = map[string]string{}
		if j.trail != nil {
			for _, e := range j.trail.state.Entries {
				if e.Event != audit.EventArtifactWritten {
					continue
				}
				p, _ := e.Fields["path"].(string)
				d, _ := e.Fields["sha256"].(string)
				j.recorded[j.where().Of(p)] = d
			}
		}
	}
	return j.recorded
}

// where is the job's cache of resolved directories.
func (j *Job) where() *inputs.Locations {
	if j.locations == nil {
		j.locations = inputs.NewLocations(j.env.Layout)
	}
	return j.locations
}

// withdrawUnrecorded withdraws the files of written that the log does not
// record with the digest written (RecordPublished's failure path) and
// returns err, saying what went.
func (j *Job) withdrawUnrecorded(err error, written []reports.PublishedFile) error {
	recorded := j.recordedFiles()
	var unrecorded []reports.PublishedFile
	for _, f := range written {
		if recorded[j.where().Of(f.Path)] != f.SHA256 {
			unrecorded = append(unrecorded, f)
		}
	}
	if len(unrecorded) == 0 {
		return err
	}
	if werr := reports.Withdraw(reports.PublishResult{Files: unrecorded}); werr != nil {
		return fmt.Errorf("%w; %w", err, werr)
	}
	return fmt.Errorf("%w: the %d files the audit log does not record were withdrawn", err, len(unrecorded))
}

// CheckPublishedFilesPresent refuses to publish base in dir when the audit
// log records a revision of it, or any file in dir, that dir no longer
// holds: a report deleted, or the output directory's mount missing, is
// otherwise taken for "never published", and a different result went out
// again as revision 1 while the next `verify all` found nothing missing.
// onDisk is the newest revision of base dir holds (0: none).
func (j *Job) CheckPublishedFilesPresent(dir, base string, onDisk int) error {
	if j.trail == nil {
		return nil
	}
	l := j.env.Layout
	dirRel, dirAt := filepath.ToSlash(l.Rel(dir)), j.where().Dir(dir)
	_, statErr := os.Stat(dir)
	var newest *audit.Entry // the newest revision of base recorded in dir
	recorded, present := 0, 0
	for i := range j.trail.state.Entries {
		e := &j.trail.state.Entries[i]
		if e.Event != audit.EventArtifactWritten {
			continue
		}
		p, _ := e.Fields["path"].(string)
		if filepath.Dir(j.where().Of(p)) != dirAt {
			continue
		}
		if errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("output directory %s is missing, but the audit log records %s as published in it (seq %d): a missing mount, or a deleted directory; nothing was written — restore it, then run 'ledgerlens verify all'",
				dirRel, p, e.Seq)
		}
		recorded++
		if _, err := os.Lstat(j.env.Layout.Resolve(filepath.FromSlash(p))); err == nil {
			present++
		}
		if pub, _ := e.Fields["publication"].(string); pub == base &&
			(newest == nil || fieldInt(e.Fields, "revision") > fieldInt(newest.Fields, "revision")) {
			newest = e
		}
	}
	if recorded > 0 && present == 0 {
		// An empty mount point left where the mount was.
		return fmt.Errorf("output directory %s holds none of the %d files the audit log records as published in it: a missing mount, or an emptied directory; nothing was written — restore it, then run 'ledgerlens verify all'",
			dirRel, recorded)
	}
	if newest == nil {
		return nil
	}
	rev := int(fieldInt(newest.Fields, "revision"))
	if _, isSet := newest.Fields["set"]; isSet && rev > onDisk && j.RecordedDigest(filepath.Join(dir, reports.Name(base, rev, ".json"))) == "" {
		// A publication cut short before its report was recorded (the
		// log's disk full: RecordPublishedSet): the job withdrew the
		// report, and running it again publishes the rest.
		return nil
	}
	if rev > onDisk {
		return fmt.Errorf("%s: the audit log records revision %d as published (seq %d), but %s holds %s: published files are missing; nothing was written — restore them, then run 'ledgerlens verify all'",
			base, rev, newest.Seq, dirRel, revisionsHeld(onDisk))
	}
	return nil
}

// CheckNewestRevisionRecorded refuses to publish a new result over
// revision onDisk of base in dir when the audit log does not record that
// revision as published there: a file planted, or an earlier revision
// renamed to a higher one, would otherwise be superseded as if it were
// published. (A revision on disk that the log does not record and that
// equals this run's result is a publication a killed job wrote and did not
// record: the caller records it instead of calling this.)
func (j *Job) CheckNewestRevisionRecorded(dir, base string, onDisk int) error {
	if j.trail == nil || onDisk == 0 {
		return nil
	}
	l := j.env.Layout
	if j.RecordedDigest(filepath.Join(dir, reports.Name(base, onDisk, ".json"))) != "" {
		return nil
	}
	return fmt.Errorf("%s: revision %d in %s is not recorded in the audit log as published (a planted file, or an earlier revision renamed); nothing was written — run 'ledgerlens verify all'",
		base, onDisk, filepath.ToSlash(l.Rel(dir)))
}

func revisionsHeld(n int) string {
	if n == 0 {
		return "none"
	}
	return fmt.Sprintf("revision %d", n)
}

// PublishedRevision is the newest published revision of a report pair
// (the report and its workbook), as a run whose result that revision
// already holds reports it.
type PublishedRevision[R any] struct {
	Revision           int
	JSONPath, XLSXPath string
	// Report is the published report read back; nil when it does not
	// read (the caller keeps the result it computed, which the revision
	// holds).
	Report *R
}

// LatestPublished is the newest published revision of base in pub.
func LatestPublished[R any](pub *reports.Publisher, base string) PublishedRevision[R] {
	latest, _ := pub.Latest(base)
	p := PublishedRevision[R]{
		Revision: latest,
		JSONPath: filepath.Join(pub.Dir, reports.Name(base, latest, ".json")),
		XLSXPath: filepath.Join(pub.Dir, reports.Name(base, latest, ".xlsx")),
	}
	if data, err := pub.Read(base, latest, ".json"); err == nil {
		var r R
		if json.Unmarshal(data, &r) == nil {
			p.Report = &r
		}
	}
	return p
}

// AuditNoop records that a report job published nothing: its result is
// the published report at jsonPath, identical, or (keep: the scheduler's
// runs, which never supersede) kept as published, identical or not.
func (j *Job) AuditNoop(ctx context.Context, jsonPath string, keep bool) error {
	reason := "already published, identical"
	if keep {
		reason = "already published; kept as published (a scheduled run never supersedes)"
	}
	return j.Audit(ctx, audit.EventPublishNoop, map[string]any{"path": j.env.Layout.Rel(jsonPath), "reason": reason})
}
