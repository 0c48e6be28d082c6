package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestPreparedPublication prepares a report and its workbook, then
// publishes them (or does not): what ends up on disk must be exactly what
// publishing the plain bytes gives, and no prepared file may stay behind
// whatever Publish decides.
func TestPreparedPublication(t *testing.T) {
	ctx := context.Background()
	large := bytes.Repeat([]byte(`{"run_id":"RUN-000000001","credits_total":431.52},`), 60_000) // 3 MB: written directly
	tests := []struct {
		name     string
		signer   *Signer
		existing string // content of revision 1's report before; "" = none
		rev      int    // the revision prepared and published
		discard  bool   // discarded instead of published
		noStage  bool   // a publisher without Staging: nothing written ahead
		known    bool   // the caller gives the digest it computed already
		wantErr  string
	}{
		{name: "signed", signer: newTestSigner(t, 3), rev: 1},
		{name: "unsigned", rev: 1},
		{name: "revision 2", signer: newTestSigner(t, 3), existing: "{}", rev: 2},
		{name: "already published, identical", signer: newTestSigner(t, 3), existing: string(large), rev: 1},
		{name: "already published, different", signer: newTestSigner(t, 3), existing: "{}", rev: 1, wantErr: "already published"},
		{name: "revision 3 without 2", signer: newTestSigner(t, 3), existing: "{}", rev: 3, wantErr: "revision 2"},
		{name: "discarded", signer: newTestSigner(t, 3), rev: 1, discard: true},
		{name: "without staging", signer: newTestSigner(t, 3), rev: 1, noStage: true},
		{name: "digest given", signer: newTestSigner(t, 3), rev: 1, known: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dirs := [2]string{t.TempDir(), t.TempDir()} // prepared, plain
			var results [2]PublishResult
			var errs [2]error
			for i, dir := range dirs {
				p := &Publisher{Dir: dir, Signer: tt.signer}
				staging := t.TempDir()
				if tt.existing != "" {
					if _, err := p.Publish(ctx, pubBase, 1, pubArtifacts(tt.existing, "xlsx")); err != nil {
						t.Fatal(err)
					}
				}
				before := pubSnapshot(t, dir)
				files := []Artifact{{Ext: ".json", Data: large}, {Ext: ".xlsx", Data: []byte("workbook")}}
				if i == 0 {
					if !tt.noStage {
						p.Staging = staging
					}
					for k, a := range files {
						if tt.known {
							sum := sha256.Sum256(a.Data)
							a.SHA256 = sum[:]
						}
						pa, err := p.Prepare(ctx, pubBase, tt.rev, a)
						if err != nil {
							t.Fatal(err)
						}
						if (pa.Sig != nil) != (tt.signer != nil) || SHA256Hex(pa.Data) != SHA256Hex(a.Data) {
							t.Fatalf("prepared %s: signature %x, data changed %v", a.Ext, pa.Sig, !bytes.Equal(pa.Data, a.Data))
						}
						files[k] = pa
					}
					// Written ahead into Staging, not into Dir.
					if after := pubSnapshot(t, dir); !reflect.DeepEqual(before, after) {
						t.Errorf("Prepare changed the publication directory: %v", pubNames(after))
					}
					if n, want := len(pubSnapshot(t, staging)), map[bool]int{false: 2, true: 0}[tt.noStage]; n != want {
						t.Errorf("%d files in the staging directory after Prepare, want %d", n, want)
					}
				}
				if tt.discard {
					for _, a := range files {
						if err := a.Discard(); err != nil {
							t.Fatal(err)
						}
					}
					if after := pubSnapshot(t, dir); !reflect.DeepEqual(before, after) {
						t.Errorf("discarded artifacts changed the directory: %v", pubNames(after))
					}
					pubNoTemps(t, dir)
					if names := pubNames(pubSnapshot(t, staging)); len(names) != 0 {
						t.Errorf("left in the staging directory: %v", names)
					}
					return
				}
				results[i], errs[i] = p.Publish(ctx, pubBase, tt.rev, files)
				if errs[i] != nil {
					if after := pubSnapshot(t, dir); !reflect.DeepEqual(before, after) {
						t.Errorf("a refused publication changed the directory: %v", pubNames(after))
					}
				}
				pubNoTemps(t, dir)
				if names := pubNames(pubSnapshot(t, staging)); len(names) != 0 {
					t.Errorf("left in the staging directory: %v", names)
				}
			}
			if tt.wantErr != "" {
				if errs[0] == nil || !strings.Contains(errs[0].Error(), tt.wantErr) {
					t.Fatalf("prepared: error %v, want one saying %q", errs[0], tt.wantErr)
				}
				return
			}
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("errors: prepared %v, plain %v", errs[0], errs[1])
			}
			for i := range results[0].Files {
				results[0].Files[i].Path = strings.Replace(results[0].Files[i].Path, dirs[0], dirs[1], 1)
			}
			results[0].Primary.Path = strings.Replace(results[0].Primary.Path, dirs[0], dirs[1], 1)
			if !reflect.DeepEqual(results[0], results[1]) {
				t.Errorf("prepared publication's result\n%+v\nplain one's\n%+v", results[0], results[1])
			}
			if a, b := pubSnapshot(t, dirs[0]), pubSnapshot(t, dirs[1]); !reflect.DeepEqual(pubContents(a), pubContents(b)) {
				t.Errorf("prepared publication wrote %v, plain one %v (or their contents differ)", pubNames(a), pubNames(b))
			}
		})
	}
}

// TestPreparedForAnotherDestination: a prepared artifact published under
// another name or revision is refused before anything is written, and its
// file is removed.
func TestPreparedForAnotherDestination(t *testing.T) {
	ctx := context.Background()
	dir, staging := t.TempDir(), t.TempDir()
	p := &Publisher{Dir: dir, Signer: newTestSigner(t, 3), Staging: staging}
	a, err := p.Prepare(ctx, "weekly_2026-11-09", 1, Artifact{Ext: ".json", Data: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(ctx, pubBase, 1, []Artifact{a})
	if err == nil || !strings.Contains(err.Error(), "prepared for") {
		t.Fatalf("Publish = %v, want a refusal naming where it was prepared for", err)
	}
	for _, d := range []string{dir, staging} {
		if names := pubNames(pubSnapshot(t, d)); len(names) != 0 {
			t.Errorf("files left in %s: %v", d, names)
		}
	}
	if _, err := p.Prepare(ctx, "../escape", 1, Artifact{Ext: ".json"}); err == nil {
		t.Error("prepared an artifact under a name outside the directory")
	}
	if _, err := p.Prepare(ctx, pubBase, 1, Artifact{Ext: ".json.sig"}); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("prepared a signature as an artifact: %v", err)
	}
}

// pubContents is a snapshot without inodes.
func pubContents(m map[string]pubFileState) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v.data
	}
	return out
}
