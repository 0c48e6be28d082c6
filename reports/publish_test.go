package reports

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
)

const pubBase = "weekly_2026-11-16"

// pubFileState is what a snapshot remembers of a file: its content and inode
// (an atomic rewrite with identical content still changes the inode).
type pubFileState struct {
	data string
	ino  uint64
}

func pubSnapshot(t *testing.T, dir string) map[string]pubFileState {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pubFileState{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		out[e.Name()] = pubFileState{string(data), st.Sys().(*syscall.Stat_t).Ino}
	}
	return out
}

func pubNames(m map[string]pubFileState) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func pubNoTemps(t *testing.T, dir string) {
	t.Helper()
	for _, n := range pubNames(pubSnapshot(t, dir)) {
		if strings.HasSuffix(n, ".tmp") {
			t.Errorf("temporary file left: %s", n)
		}
	}
}

func pubArtifacts(json, xlsx string) []Artifact {
	return []Artifact{{Ext: ".json", Data: []byte(json)}, {Ext: ".xlsx", Data: []byte(xlsx)}}
}

func TestName(t *testing.T) {
	tests := []struct {
		rev  int
		ext  string
		want string
	}{
		{1, ".json", "weekly_2026-11-16.json"},
		{0, ".json", "weekly_2026-11-16.json"},
		{2, ".json", "weekly_2026-11-16.r2.json"},
		{12, ".xlsx", "weekly_2026-11-16.r12.xlsx"},
		{3, "json", "weekly_2026-11-16.r3.json"},
	}
	for _, tt := range tests {
		if got := Name(pubBase, tt.rev, tt.ext); got != tt.want {
			t.Errorf("Name(%d, %q) = %q, want %q", tt.rev, tt.ext, got, tt.want)
		}
	}
}

func TestPublishLifecycle(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	signer := newTestSigner(t, 9)
	p := &Publisher{Dir: dir, Signer: signer}

	if rev, err := p.Latest(pubBase); err != nil || rev != 0 {
		t.Fatalf("Latest on an empty dir = %d, %v", rev, err)
	}

	// First publication.
	res, err := p.Publish(ctx, pubBase, 1, pubArtifacts(`{"v":1}`, "xlsx-1"))
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{
		"weekly_2026-11-16.xlsx.sig", "weekly_2026-11-16.xlsx.sha256", "weekly_2026-11-16.xlsx",
		"weekly_2026-11-16.json.sig", "weekly_2026-11-16.json.sha256", "weekly_2026-11-16.json",
	}
	var gotOrder []string
	for _, f := range res.Files {
		gotOrder = append(gotOrder, filepath.Base(f.Path))
		data, _ := os.ReadFile(f.Path)
		if f.SHA256 != SHA256Hex(data) || f.Bytes != int64(len(data)) {
			t.Errorf("%s: result says %s/%d, file is %s/%d", f.Path, f.SHA256, f.Bytes, SHA256Hex(data), len(data))
		}
	}
	if !reflect.DeepEqual(gotOrder, wantOrder) {
		t.Errorf("written order %v\nwant %v", gotOrder, wantOrder)
	}
	if res.Identical || res.Revision != 1 || res.KeyID != signer.KeyID() || filepath.Base(res.Primary.Path) != "weekly_2026-11-16.json" {
		t.Errorf("result = %+v", res)
	}
	for _, ext := range []string{".json", ".xlsx"} {
		if _, err := VerifyFile(filepath.Join(dir, Name(pubBase, 1, ext)), signer.Public()); err != nil {
			t.Errorf("published %s does not verify: %v", ext, err)
		}
	}
	if rev, _ := p.Latest(pubBase); rev != 1 {
		t.Errorf("Latest = %d, want 1", rev)
	}

	// Identical re-run: a no-op that touches nothing.
	before := pubSnapshot(t, dir)
	res, err = p.Publish(ctx, pubBase, 1, pubArtifacts(`{"v":1}`, "xlsx-1 re-rendered"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Identical || len(res.Files) != 0 || res.Primary.SHA256 != SHA256Hex([]byte(`{"v":1}`)) {
		t.Errorf("re-run result = %+v, want Identical", res)
	}
	if after := pubSnapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("identical re-run changed files")
	}

	// Different content: refused, nothing changes.
	_, err = p.Publish(ctx, pubBase, 1, pubArtifacts(`{"v":2}`, "xlsx-2"))
	if !errors.Is(err, ErrAlreadyPublished) || !strings.Contains(err.Error(), "--supersede") {
		t.Fatalf("different content = %v, want ErrAlreadyPublished mentioning --supersede", err)
	}
	if after := pubSnapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Error("refused publication changed files")
	}

	// Supersede: revision 2 beside revision 1.
	res, err = p.Publish(ctx, pubBase, 2, pubArtifacts(`{"v":2}`, "xlsx-2"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(res.Primary.Path) != "weekly_2026-11-16.r2.json" {
		t.Errorf("revision 2 primary = %s", res.Primary.Path)
	}
	if rev, _ := p.Latest(pubBase); rev != 2 {
		t.Errorf("Latest = %d, want 2", rev)
	}
	for rev, want := range map[int]string{1: `{"v":1}`, 2: `{"v":2}`} {
		got, err := p.Read(pubBase, rev, ".json")
		if err != nil || string(got) != want {
			t.Errorf("Read rev %d = %q, %v; want %q", rev, got, err, want)
		}
	}
	if _, err := p.Read(pubBase, 3, ".json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing revision = %v, want fs.ErrNotExist", err)
	}

	// No gaps: revision 4 needs revision 3.
	if _, err := p.Publish(ctx, pubBase, 4, pubArtifacts(`{"v":4}`, "x")); err == nil {
		t.Error("published revision 4 without revision 3")
	}
	if _, err := (&Publisher{Dir: t.TempDir()}).Publish(ctx, pubBase, 2, pubArtifacts(`{}`, "x")); err == nil {
		t.Error("published revision 2 without revision 1")
	}
	pubNoTemps(t, dir)
}

func TestPublishUnsigned(t *testing.T) {
	dir := t.TempDir()
	p := &Publisher{Dir: dir}
	res, err := p.Publish(context.Background(), pubBase, 1, []Artifact{{Ext: ".json", Data: []byte("{}")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyID != "" || len(res.Files) != 2 {
		t.Errorf("unsigned result = %+v", res)
	}
	want := []string{"weekly_2026-11-16.json", "weekly_2026-11-16.json.sha256"}
	if got := pubNames(pubSnapshot(t, dir)); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}

// TestPublishInterrupted: a failure before the primary is written withdraws
// what the attempt wrote (no sibling, sidecar or signature is left to pass
// for a publication); the next attempt completes the publication.
func TestPublishInterrupted(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// Make writing the primary's sidecar fail: a non-empty directory is in
	// the way of the rename.
	blocker := filepath.Join(dir, "weekly_2026-11-16.json.sha256")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	signed := &Publisher{Dir: dir, Signer: newTestSigner(t, 1)}
	if _, err := signed.Publish(ctx, pubBase, 1, pubArtifacts(`{"attempt":1}`, "xlsx-attempt-1")); err == nil {
		t.Fatal("publication succeeded despite the blocked sidecar")
	}
	pubNoTemps(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "weekly_2026-11-16.json")); !os.IsNotExist(err) {
		t.Fatalf("primary exists after a failed publication: %v", err)
	}
	if rev, _ := signed.Latest(pubBase); rev != 0 {
		t.Errorf("Latest after a failed publication = %d, want 0", rev)
	}
	for _, name := range []string{"weekly_2026-11-16.xlsx", "weekly_2026-11-16.xlsx.sha256", "weekly_2026-11-16.xlsx.sig"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s left behind by a failed publication (%v)", name, err)
		}
	}

	// Retry, unsigned this time, with different content: everything is
	// overwritten and the stale signatures removed.
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	unsigned := &Publisher{Dir: dir}
	if _, err := unsigned.Publish(ctx, pubBase, 1, pubArtifacts(`{"attempt":2}`, "xlsx-attempt-2")); err != nil {
		t.Fatal(err)
	}
	want := []string{"weekly_2026-11-16.json", "weekly_2026-11-16.json.sha256", "weekly_2026-11-16.xlsx", "weekly_2026-11-16.xlsx.sha256"}
	if got := pubNames(pubSnapshot(t, dir)); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	for _, ext := range []string{".json", ".xlsx"} {
		if _, err := VerifyFile(filepath.Join(dir, Name(pubBase, 1, ext)), nil); err != nil {
			t.Errorf("%s after retry: %v", ext, err)
		}
	}
}

func TestPublishRejects(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		base  string
		rev   int
		files []Artifact
	}{
		{"no artifacts", ctx, pubBase, 1, nil},
		{"primary not json", ctx, pubBase, 1, []Artifact{{Ext: ".xlsx", Data: nil}, {Ext: ".json", Data: nil}}},
		{"duplicate ext", ctx, pubBase, 1, []Artifact{{Ext: ".json", Data: nil}, {Ext: ".json", Data: nil}}},
		{"sidecar ext", ctx, pubBase, 1, []Artifact{{Ext: ".json", Data: nil}, {Ext: ".sha256", Data: nil}}},
		{"sig ext", ctx, pubBase, 1, []Artifact{{Ext: ".json", Data: nil}, {Ext: ".xlsx.sig", Data: nil}}},
		{"ext without dot", ctx, pubBase, 1, []Artifact{{Ext: ".json", Data: nil}, {Ext: "xlsx", Data: nil}}},
		{"ext with slash", ctx, pubBase, 1, []Artifact{{Ext: ".json", Data: nil}, {Ext: "./x", Data: nil}}},
		{"revision 0", ctx, pubBase, 0, pubArtifacts("{}", "x")},
		{"base with slash", ctx, "../weekly", 1, pubArtifacts("{}", "x")},
		{"hidden base", ctx, ".weekly", 1, pubArtifacts("{}", "x")},
		{"empty base", ctx, "", 1, pubArtifacts("{}", "x")},
		{"cancelled", cancelled, pubBase, 1, pubArtifacts("{}", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := &Publisher{Dir: dir, Signer: newTestSigner(t, 2)}
			if _, err := p.Publish(tt.ctx, tt.base, tt.rev, tt.files); err == nil {
				t.Fatal("Publish succeeded")
			}
			if got := pubSnapshot(t, dir); len(got) != 0 {
				t.Errorf("files written: %v", pubNames(got))
			}
		})
	}
}

func TestPublishOtherPrimary(t *testing.T) {
	dir := t.TempDir()
	p := &Publisher{Dir: dir, Primary: ".zip"}
	if _, err := p.Publish(context.Background(), "evidence_q3", 1, []Artifact{{Ext: ".zip", Data: []byte("PK")}}); err != nil {
		t.Fatal(err)
	}
	if rev, _ := p.Latest("evidence_q3"); rev != 1 {
		t.Errorf("Latest = %d, want 1", rev)
	}
}

func TestLatest(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  int
	}{
		{"empty", nil, 0},
		{"first", []string{"weekly_2026-11-16.json"}, 1},
		{"revisions", []string{"weekly_2026-11-16.json", "weekly_2026-11-16.r2.json", "weekly_2026-11-16.r10.json", "weekly_2026-11-16.r9.json"}, 10},
		{"only companions of r2", []string{"weekly_2026-11-16.json", "weekly_2026-11-16.r2.json.sha256", "weekly_2026-11-16.r2.xlsx"}, 1},
		{"not revisions", []string{"weekly_2026-11-16.r1.json", "weekly_2026-11-16.r02.json", "weekly_2026-11-16.rx.json", "weekly_2026-11-16.r.json"}, 0},
		{"other weeks and temps", []string{"weekly_2026-11-23.json", "weekly_2026-11-16x.json", ".weekly_2026-11-16.json.123.tmp"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := (&Publisher{Dir: dir}).Latest(pubBase)
			if err != nil || got != tt.want {
				t.Errorf("Latest = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	if rev, err := (&Publisher{Dir: filepath.Join(t.TempDir(), "missing")}).Latest(pubBase); rev != 0 || err != nil {
		t.Errorf("Latest on a missing dir = %d, %v", rev, err)
	}
}

// TestPublishDeterministic: same inputs and key give byte-identical files
// (Ed25519 signatures are deterministic).
func TestPublishDeterministic(t *testing.T) {
	var snaps [2]map[string]string
	for i := range snaps {
		dir := t.TempDir()
		p := &Publisher{Dir: dir, Signer: newTestSigner(t, 5)}
		if _, err := p.Publish(context.Background(), pubBase, 1, pubArtifacts(`{"v":1}`, "x")); err != nil {
			t.Fatal(err)
		}
		snaps[i] = map[string]string{}
		for name, st := range pubSnapshot(t, dir) {
			snaps[i][name] = st.data
		}
	}
	if !reflect.DeepEqual(snaps[0], snaps[1]) {
		t.Error("two publications of the same inputs differ")
	}
}

// TestPublishWritesTheGivenSignature: an artifact that comes with its
// signature (a job's sign step made it) is published with that signature,
// not signed again; the others are signed by the publisher.
func TestPublishWritesTheGivenSignature(t *testing.T) {
	dir := t.TempDir()
	signer := newTestSigner(t, 5)
	p := &Publisher{Dir: dir, Signer: signer}
	files := pubArtifacts(`{"v":1}`, "x")
	// Another key's signature: one Publish could only have taken as given.
	given := newTestSigner(t, 6).Sign(files[0].Data)
	files[0].Sig = given
	if _, err := p.Publish(context.Background(), pubBase, 1, files); err != nil {
		t.Fatal(err)
	}
	for _, a := range files {
		data, err := os.ReadFile(filepath.Join(dir, Name(pubBase, 1, a.Ext)+SignatureExt))
		if err != nil {
			t.Fatal(err)
		}
		want := signer.Sign(a.Data)
		if a.Sig != nil {
			want = given
		}
		if got, err := ParseSignature(data); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: published signature %x (%v), want %x", a.Ext, got, err, want)
		}
	}
}

// cancelAfter is a context whose Err turns Canceled after it has been
// asked n times: a signal arriving between two of Publish's writes.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestPublishCancelledBetweenWrites: a signal between the sibling's
// files and the primary's left the sibling's in place (Publish returned
// without withdrawing them), with the job saying "nothing published"; the
// next verify all then found files nothing recorded.
func TestPublishCancelledBetweenWrites(t *testing.T) {
	dir := t.TempDir()
	signed := &Publisher{Dir: dir, Signer: newTestSigner(t, 1)}
	ctx := &cancelAfter{Context: context.Background(), n: 1}
	if _, err := signed.Publish(ctx, pubBase, 1, pubArtifacts(`{"attempt":1}`, "xlsx")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish cancelled between its writes: %v", err)
	}
	pubNoTemps(t, dir)
	if got := pubNames(pubSnapshot(t, dir)); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// TestPublishCompletesAnIdenticalRerun: a re-run whose primary is already
// published with the same bytes rewrites, with Recorded set, exactly the
// files of its set that are not on record and differ from its own: here
// the signatures an earlier key made and a workbook that differs. Files
// on record stay as they are, whatever they hold.
func TestPublishCompletesAnIdenticalRerun(t *testing.T) {
	ctx := context.Background()
	const json, xlsx = `{"v":1}`, "xlsx-1"
	sig, sha := func(ext string) string { return Name(pubBase, 1, ext) + SignatureExt }, func(ext string) string { return Name(pubBase, 1, ext) + SidecarExt }
	tests := []struct {
		name     string
		recorded func(string) bool // by file name; nil: no Recorded
		xlsx     string            // the re-run's workbook
		rewrites []string
	}{
		{"no record kept", nil, "xlsx-2", nil},
		{"all on record", func(string) bool { return true }, "xlsx-2", nil},
		{"none on record", func(string) bool { return false }, xlsx,
			[]string{sig(".json"), sig(".xlsx")}},
		{"none on record, the workbook differs", func(string) bool { return false }, "xlsx-2",
			[]string{sig(".json"), sig(".xlsx"), sha(".xlsx"), Name(pubBase, 1, ".xlsx")}},
		{"the workbook's set on record", func(name string) bool { return strings.Contains(name, ".xlsx") }, "xlsx-2",
			[]string{sig(".json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			old := &Publisher{Dir: dir, Signer: newTestSigner(t, 1)}
			if _, err := old.Publish(ctx, pubBase, 1, pubArtifacts(json, xlsx)); err != nil {
				t.Fatal(err)
			}
			before := pubSnapshot(t, dir)
			p := &Publisher{Dir: dir, Signer: newTestSigner(t, 2)}
			if tt.recorded != nil {
				p.Recorded = func(path string) bool { return tt.recorded(filepath.Base(path)) }
			}
			res, err := p.Publish(ctx, pubBase, 1, pubArtifacts(json, tt.xlsx))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Identical {
				t.Errorf("result = %+v, want Identical", res)
			}
			var wrote []string
			for _, f := range res.Files {
				wrote = append(wrote, filepath.Base(f.Path))
				if data, _ := os.ReadFile(f.Path); SHA256Hex(data) != f.SHA256 {
					t.Errorf("%s: result says sha256 %s, the file holds %s", f.Path, f.SHA256, SHA256Hex(data))
				}
			}
			sort.Strings(wrote)
			sort.Strings(tt.rewrites)
			if !reflect.DeepEqual(wrote, tt.rewrites) {
				t.Errorf("rewrote %v, want %v", wrote, tt.rewrites)
			}
			after := pubSnapshot(t, dir)
			for name, st := range before {
				if changed := after[name] != st; changed != slices.Contains(tt.rewrites, name) {
					t.Errorf("%s changed: %v, want %v", name, changed, !changed)
				}
			}
			if strings.HasPrefix(tt.name, "none on record") { // the whole set is this run's now
				for _, ext := range []string{".json", ".xlsx"} {
					if _, err := VerifyFile(filepath.Join(dir, Name(pubBase, 1, ext)), p.Signer.Public()); err != nil {
						t.Errorf("%s after the re-run: %v", ext, err)
					}
				}
			}
		})
	}
}
