package job

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestTrustedGroup: a configuration a group may write passes only when
// no account but the jobs' and root may hold the group: a trusted
// account's private group. The jobs' own group, which the docs have
// analysts join, does not (a review let an analyst in it change the
// rules); a root-owned configuration in the jobs' account's private group
// does (it was refused: a review). A group no one has as primary group,
// a password in either file, an administrator in gshadow, or the id
// spelled with a leading zero elsewhere do not let another account in
// unseen (a review of the rule).
func TestTrustedGroup(t *testing.T) {
	passwd := []byte("root:x:0:0::/root:/bin/sh\nops:x:1000:1000::/home/ops:/bin/sh\nledgerlens:x:998:998::/srv:/bin/sh\nanalyst:x:1001:1001::/home/a:/bin/sh\nshared:x:1002:100::/:/bin/sh\nother:x:1003:100::/:/bin/sh\nsvc:x:997:997::/:/bin/sh\n" +
		"dev:x:1005:1005::/:/bin/sh\nsec:x:1006:1006::/:/bin/sh\npw:x:1008:1008::/:/bin/sh\ngpw:x:1010:1010::/:/bin/sh\nadm:x:1011:1011::/:/bin/sh\nzero:x:1012:1012::/:/bin/sh\neve:x:1013:01012::/:/bin/sh\n")
	group := []byte("root:x:0:\nops:x:1000:\nledgerlens:x:998:analyst\nanalyst:x:1001:\nusers:x:100:\ndev:x:1005:\ndev2:x:1005:analyst\nsec:x:1006:\nsvc:x:997:\nsvcwrite:x:1007:svc\npw:x:1008:\nnobody-in:x:1009:\n" +
		"gpw:$6$salt$hash:1010:\nadm:x:1011:\nzero:x:1012:\nplus:x:1014:\nsp:x:1015:\nsp2:x: 1015:analyst\n")
	gshadow := []byte("sec:!::analyst\npw:$6$salt$hash::\nsvcwrite:!::svc\nadm:!:analyst:\n")
	for _, tt := range []struct {
		name      string
		jobs, gid uint32
		want      bool
	}{
		{"root's own group", 1000, 0, true},
		{"the jobs' account's private group, no other member", 1000, 1000, true},
		{"the jobs' account's private group, the file root's", 997, 997, true},
		{"a group only the jobs' account belongs to, no one's primary group", 997, 1007, false},
		{"a group nobody holds", 1000, 1009, false},
		{"the jobs' group with an analyst in it", 998, 998, false},
		{"another account's private group", 1000, 1001, false},
		{"a primary group two accounts share", 1002, 100, false},
		{"a group not in the files", 1000, 4242, false},
		{"a second group of the same id with a member", 1005, 1005, false},
		{"a member listed in gshadow only", 1006, 1006, false},
		{"a password in gshadow (newgrp)", 1008, 1008, false},
		{"a password in /etc/group itself", 1010, 1010, false},
		{"an administrator in gshadow (gpasswd -a)", 1011, 1011, false},
		{"another account's primary group, its id spelled 01012", 1012, 1012, false},
		{"another account's primary group, its id spelled +1014", 1014, 1014, false},
		{"a member on a second line, its id spelled ' 1015'", 1015, 1015, false},
	} {
		trusted := func(uid uint32) bool { return uid == 0 || uid == tt.jobs }
		if got := trustedGroupIn(passwd, group, gshadow, tt.gid, trusted); got != tt.want {
			t.Errorf("%s: trustedGroupIn(gid %d, jobs %d) = %v, want %v", tt.name, tt.gid, tt.jobs, got, tt.want)
		}
	}
}

// TestParseACL: the access ACL's bytes as setfacl writes them, and what
// is not an ACL.
func TestParseACL(t *testing.T) {
	entry := func(tag, perm uint16, id uint32) []byte {
		return []byte{byte(tag), byte(tag >> 8), byte(perm), byte(perm >> 8), byte(id), byte(id >> 8), byte(id >> 16), byte(id >> 24)}
	}
	v2 := []byte{2, 0, 0, 0}
	acl := slices.Concat(v2, entry(aclTagUserObj, 6, 0xffffffff), entry(aclTagUser, 6, 65534), entry(aclTagGroupObj, 4, 0xffffffff),
		entry(aclTagMask, 4, 0xffffffff), entry(aclTagOther, 4, 0xffffffff))
	got, err := parseACL(acl)
	if err != nil || got.mask != 4 || len(got.entries) != 4 || got.entries[1] != (aclEntry{aclTagUser, 6, 65534}) {
		t.Errorf("parseACL: %+v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {1, 0, 0, 0}, append(slices.Clone(v2), 1, 2, 3), slices.Concat(v2, entry(0x40, 6, 0))} {
		if _, err := parseACL(bad); err == nil {
			t.Errorf("parseACL(%v) read it", bad)
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
