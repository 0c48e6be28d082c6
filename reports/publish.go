package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/ledgerlens/ledgerlens/pipeline/atomicfile"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
)

// ErrAlreadyPublished is returned (wrapped) by Publish when the revision
// exists with different content. Write-once: nothing was changed on disk.
var ErrAlreadyPublished = errors.New("already published with different content")

// DefaultPrimaryExt is the extension of a publication's primary artifact
// unless Publisher.Primary says otherwise.
const DefaultPrimaryExt = ".json"

// Artifact is one file of a publication, named base + Ext.
type Artifact struct {
	Ext  string // with the leading dot: ".json", ".xlsx"
	Data []byte
	// Sig, when set, is the signature of Data that the publisher's
	// Signer already made (a job's sign step): a signing Publisher writes
	// it instead of signing Data again. The caller vouches that it is
	// exactly that signature; a wrong one is what `verify` exists to
	// catch, and Publish does not check it (checking costs half of
	// signing).
	Sig []byte
	// SHA256, when set, is the SHA-256 of Data, computed already
	// (Prepare): Publish does not hash Data again.
	SHA256 []byte
	// staged is Data already written to a temporary file in the
	// publisher's Staging directory (Prepare): Publish moves it into
	// place instead of writing Data.
	staged *atomicfile.File
}

// Publisher writes publications into Dir, write-once (docs/COMPLIANCE.md, "Integrity").
//
// A publication is a base name (weekly_2026-11-16) and its artifacts, each
// with a ".sha256" sidecar and, when signing, a ".sig". Revision 1 is named
// base+ext, revision k ≥ 2 base+".rk"+ext. The first artifact is the primary
// one: it decides whether a revision exists and whether a re-run is
// identical, and it is written last, after its siblings and its own sidecar
// and signature, so that a present primary means a complete publication.
type Publisher struct {
	Dir    string
	Signer *Signer // nil = unsigned: no .sig files
	// Primary is the extension of the primary artifact ("" = ".json"); set
	// it for publications of another kind (an evidence bundle's ".zip").
	Primary string
	// Staging is where Prepare writes an artifact ahead of its
	// publication: a job run's scratch directory (its checkpoint), so that
	// a job killed before it publishes leaves nothing in Dir. "", or a
	// directory whose new files would differ from Dir's (another file
	// system, another group, default ACL or SELinux label): Prepare
	// writes nothing ahead, and Publish writes the artifact.
	Staging string
	// Recorded reports whether the file at path is on the record of
	// publication (a job's audit log). With it set, a re-run whose
	// primary artifact is already published with the same bytes
	// completes the publication: each file of the set that is not on
	// record and differs from what this run writes is written again —
	// a signature by a key retired since the run that wrote it was
	// killed before it recorded it, say. A file on record is never
	// rewritten: a change to it is for the verifier to report. nil: an
	// identical re-run writes nothing.
	Recorded func(path string) bool
}

// PublishedFile is one file written (or found) by Publish.
type PublishedFile struct {
	Path   string
	SHA256 string
	Bytes  int64
}

// PublishResult says what Publish did, for the audit log.
type PublishResult struct {
	Base     string
	Revision int
	// Identical is true when the revision already existed with the same
	// primary content: nothing was written but what completing the set
	// took (Publisher.Recorded).
	Identical bool
	// Primary is the primary artifact's path and hash (also when Identical).
	Primary PublishedFile
	// Files are the files written, in order: for each artifact, its
	// signature, sidecar and the artifact itself; siblings before the
	// primary. When Identical, the files completing the set rewrote
	// (usually none).
	Files []PublishedFile
	// KeyID is the signing key's id, "" when unsigned.
	KeyID string
}

func (p *Publisher) primaryExt() string {
	if p.Primary == "" {
		return DefaultPrimaryExt
	}
	return p.Primary
}

func (p *Publisher) path(base string, rev int, ext string) string {
	return filepath.Join(p.Dir, Name(base, rev, ext))
}

// Latest returns the highest revision of base whose primary artifact exists,
// 0 when nothing is published (or Dir does not exist).
func (p *Publisher) Latest(base string) (int, error) {
	if err := checkPublicationName(base); err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(p.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find latest revision of %s: %w", base, err)
	}
	ext := p.primaryExt()
	latest := 0
	for _, e := range ents {
		if rev := revisionOfName(e.Name(), base, ext); rev > latest {
			latest = rev
		}
	}
	return latest, nil
}

// revisionOfName returns the revision a file name is of base with ext, or 0:
// the revision as Name writes it (parseRevision).
func revisionOfName(name, base, ext string) int {
	if name == base+ext {
		return 1
	}
	mid, ok := strings.CutPrefix(name, base+".r")
	if !ok {
		return 0
	}
	if mid, ok = strings.CutSuffix(mid, ext); !ok {
		return 0
	}
	rev, ok := parseRevision(mid)
	if !ok {
		return 0
	}
	return rev
}

// Read returns the content of revision rev of base's artifact ext. A
// missing file gives an error matching fs.ErrNotExist.
func (p *Publisher) Read(base string, rev int, ext string) ([]byte, error) {
	if err := checkPublicationName(base); err != nil {
		return nil, err
	}
	data, err := inputs.ReadRegular(p.path(base, rev, ext))
	if err != nil {
		return nil, fmt.Errorf("read published %s: %w", Name(base, rev, ext), err)
	}
	return data, nil
}

// Publish writes revision rev of base. files[0] is the primary artifact and
// must have the publisher's primary extension.
//
//   - The revision exists with byte-identical primary content: a no-op
//     (Identical), so re-runs are safe; with Recorded set, the files of
//     the set not on record that differ from this run's are written
//     again.
//   - It exists with different content: ErrAlreadyPublished, and nothing on
//     disk changes.
//   - Otherwise every artifact, sidecar and signature is written atomically,
//     the primary last. Leftovers of an interrupted earlier attempt (siblings
//     without the primary) are overwritten.
//   - A write that fails (a full disk, say), or ctx cancelled between two
//     writes, removes what this call wrote, so
//     a failed publication leaves nothing behind that could pass for one;
//     a re-run publishes it whole.
//
// Revision k ≥ 2 requires revision k−1 to exist, so revisions have no gaps.
//
// Publish takes charge of the artifacts that Prepare staged: it moves them
// into place, or removes them when it writes nothing (a no-op, a refusal,
// an error).
func (p *Publisher) Publish(ctx context.Context, base string, rev int, files []Artifact) (PublishResult, error) {
	defer discardAll(files) // a no-op for those moved into place
	if err := p.validate(base, rev, files); err != nil {
		return PublishResult{}, err
	}
	res := PublishResult{Base: base, Revision: rev}
	if p.Signer != nil {
		res.KeyID = p.Signer.KeyID()
	}
	primary := files[0]
	primaryPath := p.path(base, rev, primary.Ext)

	existing, err := inputs.ReadRegular(primaryPath)
	switch {
	case err == nil:
		newSum := SHA256Hex(primary.Data)
		if bytes.Equal(existing, primary.Data) {
			res.Identical = true
			res.Primary = PublishedFile{Path: primaryPath, SHA256: newSum, Bytes: int64(len(existing))}
			res.Files, err = p.complete(ctx, base, rev, files)
			return res, err
		}
		return PublishResult{}, fmt.Errorf(
			"%s: revision %d is already published with different content (published sha256 %s, new %s); a published report is never overwritten: rerun with --supersede to publish revision %d: %w",
			primaryPath, rev, SHA256Hex(existing), newSum, rev+1, ErrAlreadyPublished)
	case !errors.Is(err, fs.ErrNotExist):
		return PublishResult{}, fmt.Errorf("publish %s: %w", primaryPath, err)
	}
	if rev > 1 {
		prev := p.path(base, rev-1, primary.Ext)
		if _, err := os.Stat(prev); err != nil {
			return PublishResult{}, fmt.Errorf("publish revision %d of %s: revision %d (%s) is not published: %w", rev, base, rev-1, prev, err)
		}
	}

	seals := p.seal(files)
	if err := p.checkRecordedSiblings(base, rev, files, seals); err != nil {
		return PublishResult{}, err
	}
	for k := range files {
		i := (k + 1) % len(files) // siblings first, the primary last
		if err := ctx.Err(); err != nil {
			// Stopped between two files: what is written goes, as after
			// a failed write.
			err = fmt.Errorf("publish %s: %w", Name(base, rev, primary.Ext), err)
			if werr := Withdraw(res); werr != nil {
				err = errors.Join(err, werr)
			}
			return PublishResult{}, err
		}
		a := files[i]
		written, err := p.writeArtifact(p.path(base, rev, a.Ext), a, seals[i])
		res.Files = append(res.Files, written...)
		if err != nil {
			if werr := Withdraw(res); werr != nil {
				err = errors.Join(err, werr)
			}
			return PublishResult{}, err
		}
	}
	res.Primary = res.Files[len(res.Files)-1]
	return res, nil
}

// checkRecordedSiblings refuses to write revision rev of base over a file
// of the set that is on record (Publisher.Recorded) when the file is
// missing or holds other bytes than this run's: the revision was begun
// (its recording stopped part-way, a full disk) with other content, and
// a published file is never replaced. Otherwise the re-run of a
// publication cut short, with other inputs since (a late run in the
// week), replaced what was recorded, and nothing showed the first
// attempt had been made (an outside review: the log cut back to the
// middle of a set, the report deleted, a late run appended).
func (p *Publisher) checkRecordedSiblings(base string, rev int, files []Artifact, seals []artifactSeal) error {
	if p.Recorded == nil {
		return nil
	}
	for i, a := range files {
		path := p.path(base, rev, a.Ext)
		targets := map[string][]byte{path: a.Data, path + SidecarExt: sidecarOf(path, seals[i].sum)}
		if seals[i].sig != nil {
			targets[path+SignatureExt] = SignatureBytes(seals[i].sig)
		}
		for _, t := range slices.Sorted(maps.Keys(targets)) {
			if !p.Recorded(t) {
				continue
			}
			have, err := inputs.ReadRegular(t)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("%s: recorded as published but missing, so revision %d of %s is not written again: restore it, then run 'ledgerlens verify all' (docs/COMPLIANCE.md, \"A publication cut short\")", t, rev, base)
			case err != nil:
				return fmt.Errorf("publish %s: %w", t, err)
			case !bytes.Equal(have, targets[t]):
				return fmt.Errorf("%s: recorded as published with other bytes than this run's: revision %d of %s was begun with other content and never finished, and a published file is never replaced; nothing was written (run 'ledgerlens verify all'; docs/COMPLIANCE.md, \"A publication cut short\"): %w",
					t, rev, base, ErrAlreadyPublished)
			}
		}
	}
	return nil
}

// complete rewrites the files of an identical re-run's set that are not
// on record (Publisher.Recorded) and differ from this run's: the
// siblings, and each artifact's sidecar and signature. It returns what
// it wrote. A rewrite replaces a file atomically, so one that fails, or
// ctx cancelled between two, leaves each file either as it was or as
// this run writes it, and nothing is withdrawn: the primary stands, and
// the next re-run completes the rest.
func (p *Publisher) complete(ctx context.Context, base string, rev int, files []Artifact) ([]PublishedFile, error) {
	if p.Recorded == nil {
		return nil, nil
	}
	companions := []string{SidecarExt}
	if p.Signer != nil {
		companions = append(companions, SignatureExt) // unsigned: no .sig to complete
	}
	unrecorded := false
	for i, a := range files {
		path := p.path(base, rev, a.Ext)
		for _, ext := range companions {
			unrecorded = unrecorded || !p.Recorded(path+ext)
		}
		unrecorded = unrecorded || (i > 0 && !p.Recorded(path))
	}
	if !unrecorded {
		return nil, nil // a re-run of a run that recorded its set: the common case
	}
	seals := p.seal(files)
	var written []PublishedFile
	for i, a := range files {
		path := p.path(base, rev, a.Ext)
		type target struct {
			path string
			data []byte
		}
		var targets []target
		if seals[i].sig != nil {
			targets = append(targets, target{path + SignatureExt, SignatureBytes(seals[i].sig)})
		}
		targets = append(targets, target{path + SidecarExt, sidecarOf(path, seals[i].sum)})
		if i > 0 { // the primary is the identical one
			targets = append(targets, target{path, a.Data})
		}
		for _, t := range targets {
			if p.Recorded(t.path) {
				continue
			}
			if have, err := inputs.ReadRegular(t.path); err == nil && bytes.Equal(have, t.data) {
				continue
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return written, fmt.Errorf("publish %s: %w", Name(base, rev, files[0].Ext), err)
			}
			if err := ctx.Err(); err != nil {
				return written, fmt.Errorf("publish %s: %w", Name(base, rev, files[0].Ext), err)
			}
			if err := atomicfile.WriteFile(t.path, t.data, 0o644); err != nil {
				return written, fmt.Errorf("publish: %w", err)
			}
			written = append(written, PublishedFile{Path: t.path, SHA256: SHA256Hex(t.data), Bytes: int64(len(t.data))})
		}
	}
	return written, nil
}

// Withdraw removes the files a publication wrote (res.Files): Publish
// calls it when one of its writes fails, and a job calls it for an earlier
// publication of a set whose later part failed. A no-op publication
// (Identical) wrote nothing and withdraws nothing.
func Withdraw(res PublishResult) error {
	var errs []error
	for i := len(res.Files) - 1; i >= 0; i-- {
		if err := os.Remove(res.Files[i].Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("withdraw %s: %w", res.Files[i].Path, err))
		}
	}
	return errors.Join(errs...)
}

// artifactSeal is what Publish writes beside an artifact: its SHA-256
// and, when signing, its Ed25519 signature.
type artifactSeal struct {
	sum [sha256.Size]byte
	sig []byte // nil when unsigned
}

// seal hashes and signs every artifact of a publication at once, on all
// cores, before the first file is written: for a large report these
// passes over its bytes are most of a publication's time, and each
// artifact's digest serves its sidecar and the PublishResult alike.
func (p *Publisher) seal(files []Artifact) []artifactSeal {
	out := make([]artifactSeal, len(files))
	var wg sync.WaitGroup
	for i, a := range files {
		if len(a.SHA256) == sha256.Size {
			out[i].sum = [sha256.Size]byte(a.SHA256)
			continue
		}
		wg.Go(func() { out[i].sum = sha256.Sum256(a.Data) })
	}
	if p.Signer != nil {
		var data [][]byte
		var unsigned []int
		for i, a := range files {
			if a.Sig != nil {
				out[i].sig = a.Sig
				continue
			}
			data = append(data, a.Data)
			unsigned = append(unsigned, i)
		}
		for k, sig := range p.Signer.SignAll(data...) {
			out[unsigned[k]].sig = sig
		}
	}
	wg.Wait()
	return out
}

// writeArtifact writes the signature, the sidecar and then the artifact
// a at path, so the artifact never appears without its companions; s is
// its seal. A staged artifact is moved into place rather than written. On
// error it returns the files it did write, for Withdraw.
func (p *Publisher) writeArtifact(path string, a Artifact, s artifactSeal) ([]PublishedFile, error) {
	var out []PublishedFile
	done := func(path string, n int, sum [sha256.Size]byte) {
		out = append(out, PublishedFile{Path: path, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(n)})
	}
	writeSmall := func(path string, data []byte) error {
		if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		done(path, len(data), sha256.Sum256(data))
		return nil
	}
	sigPath := path + SignatureExt
	if s.sig != nil {
		if err := writeSmall(sigPath, SignatureBytes(s.sig)); err != nil {
			return out, err
		}
	} else if err := os.Remove(sigPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A signature left by an interrupted signed attempt would not
		// match an unsigned re-run's content.
		return out, fmt.Errorf("publish: remove stale signature: %w", err)
	}
	if err := writeSmall(path+SidecarExt, sidecarOf(path, s.sum)); err != nil {
		return out, err
	}
	if a.staged == nil {
		if err := atomicfile.WriteFile(path, a.Data, 0o644); err != nil {
			return out, fmt.Errorf("publish: %w", err)
		}
	} else if err := a.staged.Commit(); errors.Is(err, syscall.EXDEV) {
		// Staged on the same file system through another mount (a bind
		// mount): the rename cannot cross it, and Commit removed the
		// staged file. Written as an unprepared artifact is.
		if err := atomicfile.WriteFile(path, a.Data, 0o644); err != nil {
			return out, fmt.Errorf("publish: %w", err)
		}
	} else if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	done(path, len(a.Data), s.sum)
	return out, nil
}

func (p *Publisher) validate(base string, rev int, files []Artifact) error {
	if err := checkPublicationName(base); err != nil {
		return err
	}
	if rev < 1 {
		return fmt.Errorf("publish %s: revision %d: revisions start at 1", base, rev)
	}
	if len(files) == 0 {
		return fmt.Errorf("publish %s: no artifacts", base)
	}
	if files[0].Ext != p.primaryExt() {
		return fmt.Errorf("publish %s: the first artifact is the primary one and must be %s, not %q", base, p.primaryExt(), files[0].Ext)
	}
	seen := make(map[string]bool, len(files))
	for _, a := range files {
		if err := checkArtifactExt(a.Ext); err != nil {
			return fmt.Errorf("publish %s: %w", base, err)
		}
		if seen[a.Ext] {
			return fmt.Errorf("publish %s: artifact %s given twice", base, a.Ext)
		}
		if a.staged != nil && a.staged.Name() != p.path(base, rev, a.Ext) {
			return fmt.Errorf("publish %s: artifact %s was prepared for %s", p.path(base, rev, a.Ext), a.Ext, a.staged.Name())
		}
		seen[a.Ext] = true
	}
	return nil
}

// checkPublicationName refuses base names that would escape Dir or hide among
// temporary files.
func checkPublicationName(base string) error {
	if base == "" || strings.HasPrefix(base, ".") || strings.ContainsAny(base, `/\`+"\x00\n\r") {
		return fmt.Errorf("invalid publication name %q: want a plain file name such as weekly_2026-11-16", base)
	}
	return nil
}

func checkArtifactExt(ext string) error {
	if len(ext) < 2 || ext[0] != '.' || strings.HasSuffix(ext, ".") || strings.Contains(ext, "..") {
		return fmt.Errorf("invalid artifact extension %q: want e.g. \".json\"", ext)
	}
	for _, c := range ext[1:] {
		if !(c == '.' || c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return fmt.Errorf("invalid artifact extension %q: want e.g. \".json\"", ext)
		}
	}
	if ext == SidecarExt || ext == SignatureExt || strings.HasSuffix(ext, SidecarExt) || strings.HasSuffix(ext, SignatureExt) {
		return fmt.Errorf("artifact extension %q is reserved for sidecars and signatures", ext)
	}
	return nil
}

// SHA256Hex is the lower-case hex SHA-256 of data, as sidecars, audit
// events and input records write it.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// FileSHA256 is SHA256Hex of the file at path, read as a stream (a
// store file may be gigabytes).
func FileSHA256(path string) (string, error) {
	sum, _, err := FileDigest(path)
	return sum, err
}

// FileDigest is FileSHA256 with the number of bytes hashed. The file is
// read in a stream, never held in memory whole. A file that cannot be
// opened gives os.Open's error unwrapped (fs.ErrNotExist for a missing
// one).
func FileDigest(path string) (sha256Hex string, n int64, err error) {
	f, err := inputs.OpenRegular(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	if n, err = io.Copy(h, f); err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// RejectsBase is the base name of the rejects file published with the
// weekly report of the week starting day (YYYY-MM-DD). The file lists every
// rejected line of the ledger up to the end the report covers — not only
// the week's — and its name says so.
func RejectsBase(day string) string { return "rejects_cumulative_" + day }

// AckRecordPrefix begins the base name of every acknowledgment record
// (`ledger acknowledge`): the prefix, the UTC second it was made
// (20060102T150405Z), and -N for a later one in the same second.
const AckRecordPrefix = "ledger_ack_"

// IsAckRecordName reports whether name is the file name of an
// acknowledgment record, of any revision.
func IsAckRecordName(name string) bool {
	rest, ok := strings.CutPrefix(name, AckRecordPrefix)
	return ok && ackRecordRest.MatchString(rest)
}

// ackRecordRest is what follows AckRecordPrefix in an acknowledgment
// record's file name.
var ackRecordRest = regexp.MustCompile(`^\d{8}T\d{6}Z(-[1-9]\d*)?(\.r[1-9]\d*)?\.json$`)
