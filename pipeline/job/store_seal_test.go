package job

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/ledgerlens/ledgerlens/pipeline/audit"
	ledgerstore "github.com/ledgerlens/ledgerlens/pipeline/store"
)

// TestPrepareSealFollowsTheFiles: the seal records the store's files as
// they are when it is written, whether they changed after PrepareSeal
// started hashing them or not.
func TestPrepareSealFollowsTheFiles(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, store string)
	}{
		{"unchanged", func(*testing.T, string) {}},
		{"store file written", func(t *testing.T, store string) { appendBytes(t, store, "more rows") }},
		{"log created", func(t *testing.T, store string) { appendBytes(t, store+".wal", "a commit") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			store := env.Layout.StoreFile
			dir := openStoreDir(t, env)
			appendBytes(t, store, "the rows the job loaded")
			j := &Job{env: env, storeOpened: true, storeDir: dir}
			j.PrepareSeal(context.Background())
			<-j.early.done
			// Past the file system's timestamp granularity, as a real
			// job's remaining work is.
			time.Sleep(20 * time.Millisecond)
			tt.change(t, store)

			db, wal, err := j.sealFingerprint(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			wantDB, err := ledgerstore.FileFingerprint(context.Background(), store)
			if err != nil {
				t.Fatal(err)
			}
			wantWAL, err := ledgerstore.FileFingerprint(context.Background(), store+".wal")
			if os.IsNotExist(err) {
				wantWAL, err = "", nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if db != wantDB || wal != wantWAL {
				t.Errorf("seal fingerprint (%s, %q), want the files as they are now (%s, %q)", db, wal, wantDB, wantWAL)
			}
		})
	}
}

func appendBytes(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSealTrustedOnlyFromTheStoreDirectory: a seal whose fingerprints
// match the store's files is trusted only if it was made in the store's
// own directory (store_dir). One made before, when the files lay where
// others could write them, is not: a crash in the job that copies them
// into the directory, after the copy and before the old files' removal,
// left such a seal matching, and the next job trusted it (an outside
// review).
func TestSealTrustedOnlyFromTheStoreDirectory(t *testing.T) {
	env := testEnv(t)
	dir := openStoreDir(t, env)
	appendBytes(t, env.Layout.StoreFile, "the rows")
	fp, err := ledgerstore.FileFingerprint(context.Background(), env.Layout.StoreFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		extra map[string]any
		trust bool
	}{
		{"sealed in the store's directory", map[string]any{"store_dir": true}, true},
		{"sealed where the store lay before", map[string]any{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]any{"store_fingerprint": fp, "wal_fingerprint": "", "verified_chunks": []any{[]any{json.Number("0"), json.Number("2")}}}
			maps.Copy(fields, tt.extra)
			j := &Job{env: env, storeDir: dir, trail: &trail{
				state:      &audit.State{Entries: []audit.Entry{{Seq: 1, Event: audit.EventStoreSealed, Fields: fields}}},
				signedSize: 1,
			}}
			if got := j.trustedChunks(context.Background()); (got != nil) != tt.trust {
				t.Errorf("trusted chunks %v, want trusted %v", got, tt.trust)
			}
		})
	}
}

// openStoreDir opens env's store directory as a job does, closed when
// the test ends.
func openStoreDir(t *testing.T, env Env) *ledgerstore.Dir {
	t.Helper()
	if err := os.MkdirAll(env.Layout.StateDir, 0o750); err != nil {
		t.Fatal(err)
	}
	dir, err := ledgerstore.OpenDir(env.Layout.StoreDir, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	return dir
}
