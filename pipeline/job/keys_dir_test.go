package job

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerlens/ledgerlens/reports"
)

// TestKeysDirRefuses: the rules every read of the root's keys applies to
// the keys directory (readKeysDir), each broken once on real files. A
// broken rule is an integrity problem (exit 4) for the public key and the
// signing key alike, and `keys generate` refuses to write there.
func TestKeysDirRefuses(t *testing.T) {
	const other = 65534 // an account other than the jobs'
	tests := []struct {
		name    string
		asRoot  bool // needs root (chown)
		breakIt func(t *testing.T, keys string)
		want    string
	}{
		{"group-writable", false, func(t *testing.T, keys string) { chmod(t, keys, 0o770) }, "can be written by its group or by others (mode 0770)"},
		{"a key file others can write", false, func(t *testing.T, keys string) {
			chmod(t, filepath.Join(keys, reports.PublicKeyFile), 0o666)
		}, reports.PublicKeyFile + " can be written by its group or by others (mode 0666)"},
		{"a link in the directory's place", false, func(t *testing.T, keys string) {
			moved := keys + ".elsewhere"
			if err := os.Rename(keys, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(moved, keys); err != nil {
				t.Fatal(err)
			}
		}, "is not a directory but a link or a file"},
		{"a key file that is a link", false, func(t *testing.T, keys string) {
			pub := filepath.Join(keys, reports.PublicKeyFile)
			if err := os.Rename(pub, pub+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(pub+".real", pub); err != nil {
				t.Fatal(err)
			}
		}, "is neither a file nor a directory"},
		{"another account's directory", true, func(t *testing.T, keys string) {
			chownAll(t, keys, other)
		}, "is owned by uid 65534, not by the state directory's owner"},
		{"another account's key file", true, func(t *testing.T, keys string) {
			if err := os.Lchown(filepath.Join(keys, reports.PublicKeyFile), other, other); err != nil {
				t.Fatal(err)
			}
		}, "is owned by uid 65534, not by the keys directory's owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.asRoot && os.Geteuid() != 0 {
				t.Skip("needs root to give files to another account")
			}
			env := signedEnv(t)
			l := env.Layout
			if _, err := RootPublicKey(l); err != nil {
				t.Fatalf("the keys as generated: %v", err)
			}
			tt.breakIt(t, l.KeysDir)
			_, pubErr := RootPublicKey(l)
			_, keyErr := RootSigner(l)
			for _, got := range []struct {
				what string
				err  error
			}{{"RootPublicKey", pubErr}, {"RootSigner", keyErr}, {"CheckKeysDir", CheckKeysDir(l)}} {
				if !errors.Is(got.err, ErrUnsafeKeysDir) || !errors.Is(got.err, ErrIntegrity) || !strings.Contains(got.err.Error(), tt.want) {
					t.Errorf("%s: %v, want an integrity problem of the keys directory saying %q", got.what, got.err, tt.want)
				}
				if got.err != nil && strings.Contains(got.err.Error(), "/proc/self/fd/") {
					t.Errorf("%s names a file by this process's handle: %v", got.what, got.err)
				}
			}
		})
	}
}

// TestKeysDirMissingIsNoKey: a root without a keys directory has no key
// (an unsigned root): not an error of the directory.
func TestKeysDirMissingIsNoKey(t *testing.T) {
	env := testEnv(t)
	if pub, err := RootPublicKey(env.Layout); pub != nil || err != nil {
		t.Errorf("RootPublicKey: %v, %v; want none", pub, err)
	}
	if s, err := RootSigner(env.Layout); s != nil || err != nil {
		t.Errorf("RootSigner: %v, %v; want none", s, err)
	}
	if err := CheckKeysDir(env.Layout); err != nil {
		t.Errorf("CheckKeysDir: %v", err)
	}
	if _, err := reports.GenerateKey(env.Layout.KeysDir, rand.Reader); err != nil {
		t.Fatal(err)
	}
	if s, err := RootSigner(env.Layout); s == nil || err != nil {
		t.Errorf("RootSigner after keys generate: %v, %v", s, err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// chownAll gives dir and everything in it to uid.
func chownAll(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}
