package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogChainsOnlyOntoSignedEntries: a signing Log vouches for the
// entries another writer appended only when its key signed them, in
// Append and in Checked (what a job's closing checkpoint covers); an
// unsigned entry, or a log cut under it, is ErrCorrupt.
func TestLogChainsOnlyOntoSignedEntries(t *testing.T) {
	sign, other := newSigner(t), newSigner(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		other func(t *testing.T, path string)
		ok    bool
	}{
		{"signed by the key", func(t *testing.T, path string) { appendWith(t, path, sign) }, true},
		{"unsigned", func(t *testing.T, path string) { appendWith(t, path, nil) }, false},
		{"signed by another key", func(t *testing.T, path string) {
			appendWith(t, path, other)
		}, false},
		{"cut", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, l := signingLog(t, sign)
			for range 2 {
				if _, err := l.Append(ctx, "job_step", map[string]any{"n": 1}); err != nil {
					t.Fatal(err)
				}
			}
			tc.other(t, path)
			n, _, err := l.Checked()
			if tc.ok {
				if err != nil || n != 3 {
					t.Fatalf("Checked: %d, %v; want 3 entries", n, err)
				}
				if _, err := l.Append(ctx, "job_end", nil); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Checked: %d, %v; want ErrCorrupt", n, err)
			}
			if _, err := l.Append(ctx, "job_end", nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Append: %v; want ErrCorrupt", err)
			}
		})
	}
}

// newSigner returns the signing function of a fresh Ed25519 key.
func newSigner(t *testing.T) func([]byte) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(m []byte) []byte { return ed25519.Sign(priv, m) }
}

// signingLog opens a new log, in a temporary directory, that signs with
// sign, and returns its path.
func signingLog(t *testing.T, sign func([]byte) []byte) (string, *Log) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.SignWith(sign)
	return path, l
}

// appendWith appends one entry to the log at path as another writer,
// signing it with sign (nil: unsigned).
func appendWith(t *testing.T, path string, sign func([]byte) []byte) {
	t.Helper()
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sign != nil {
		l.SignWith(sign)
	}
	if _, err := l.Append(context.Background(), "ingest", map[string]any{"from": "another writer"}); err != nil {
		t.Fatal(err)
	}
}

// TestLogNamesAnEntryWrittenAsItAppends: another writer appends between
// the moment Append learns the file's size and its write, so the job's
// entry lands after the other one, chained onto the entry before it. The
// Log took the end of its own line for the end of the file: the next
// Append read from the middle of a line and named no entry, only bad
// JSON (seen in a job stopped there by the tests' hook while the step
// records were written in the background). Append tells where its line
// landed: it names the entry written in between, and leaves the Log at
// the head it vouches for, so every later Append names it too.
func TestLogNamesAnEntryWrittenAsItAppends(t *testing.T) {
	sign := newSigner(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		by   func([]byte) []byte
		want string
	}{
		{"unsigned", nil, "not signed by the root's key"},
		{"signed by the key", sign, "landed after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, l := signingLog(t, sign)
			if _, err := l.Append(ctx, "job_start", nil); err != nil {
				t.Fatal(err)
			}
			l.beforeWrite = func() { appendWith(t, path, tc.by) }
			_, err := l.Append(ctx, "job_step", map[string]any{"n": 1})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "byte offset") {
				t.Fatalf("Append with another writer in between: %v; want ErrCorrupt naming the entry (%q)", err, tc.want)
			}
			l.beforeWrite = nil
			for _, again := range []func() error{
				func() error { _, err := l.Append(ctx, "job_fail", nil); return err },
				func() error { _, _, err := l.Checked(); return err },
			} {
				if err := again(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("after it: %v; want ErrCorrupt naming the entry (%q)", err, tc.want)
				}
			}
		})
	}
}
