package job

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPrivateGroup: a group-writable configuration passes only through
// its owner's private group; the jobs' own group, which the docs have
// analysts join, does not (a review let an analyst in it change the
// rules).
func TestPrivateGroup(t *testing.T) {
	passwd := []byte("root:x:0:0::/root:/bin/sh\nops:x:1000:1000::/home/ops:/bin/sh\nledgerlens:x:998:998::/srv:/bin/sh\nanalyst:x:1001:1001::/home/a:/bin/sh\nshared:x:1002:100::/:/bin/sh\nother:x:1003:100::/:/bin/sh\n")
	group := []byte("root:x:0:\nops:x:1000:\nledgerlens:x:998:analyst\nanalyst:x:1001:\nusers:x:100:\ndev:x:1005:\ndev2:x:1005:analyst\nsec:x:1006:\n")
	passwd = append(passwd, "dev:x:1005:1005::/:/bin/sh\nsec:x:1006:1006::/:/bin/sh\n"...)
	gshadow := []byte("sec:!::analyst\n")
	for _, tt := range []struct {
		name     string
		uid, gid uint32
		want     bool
	}{
		{"root's own group", 0, 0, true},
		{"an account's private group, no other member", 1000, 1000, true},
		{"the jobs' group with an analyst in it", 998, 998, false},
		{"another account's private group", 1000, 1001, false},
		{"a primary group two accounts share", 1002, 100, false},
		{"a group not in the files", 1000, 4242, false},
		{"a second group of the same id with a member", 1005, 1005, false},
		{"a member listed in gshadow only", 1006, 1006, false},
	} {
		if got := privateGroupIn(passwd, group, gshadow, tt.uid, tt.gid); got != tt.want {
			t.Errorf("%s: privateGroup(%d, %d) = %v, want %v", tt.name, tt.uid, tt.gid, got, tt.want)
		}
	}
}

// TestTraversed: the walk to a configuration file goes where the kernel's
// goes. A ".." after a link goes up from the link's target, not from the
// text before it; cleaning the text first walked a path the kernel never
// reads, and another account's policy went unchecked (a review).
func TestTraversed(t *testing.T) {
	dir := t.TempDir()
	mustMkdir := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustMkdir(filepath.Join(dir, "other", "real"))
	if err := os.WriteFile(filepath.Join(dir, "other", "policy.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "other", "real"), filepath.Join(dir, "cur")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "policy.json")
	if err := os.Symlink("cur/../policy.json", link); err != nil {
		t.Fatal(err)
	}
	got := traversed(link)
	for _, want := range []string{"/", dir, link, filepath.Join(dir, "cur"), filepath.Join(dir, "other", "real"), filepath.Join(dir, "other"), filepath.Join(dir, "other", "policy.json")} {
		if !slices.Contains(got, want) {
			t.Errorf("traversed(%s) = %q: %s missing", link, got, want)
		}
	}
	// A loop ends the walk.
	if err := os.Symlink("loop", filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	if got := traversed(filepath.Join(dir, "loop", "x")); len(got) > 100 {
		t.Errorf("a link to itself walked %d paths", len(got))
	}
}
