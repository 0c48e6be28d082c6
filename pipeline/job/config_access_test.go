package job

import "testing"

// TestPrivateGroup: a group-writable configuration passes only through
// its owner's private group; the jobs' own group, which the docs have
// analysts join, does not (a review let an analyst in it change the
// rules).
func TestPrivateGroup(t *testing.T) {
	passwd := []byte("root:x:0:0::/root:/bin/sh\nops:x:1000:1000::/home/ops:/bin/sh\nledgerlens:x:998:998::/srv:/bin/sh\nanalyst:x:1001:1001::/home/a:/bin/sh\nshared:x:1002:100::/:/bin/sh\nother:x:1003:100::/:/bin/sh\n")
	group := []byte("root:x:0:\nops:x:1000:\nledgerlens:x:998:analyst\nanalyst:x:1001:\nusers:x:100:\n")
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
	} {
		if got := privateGroupIn(passwd, group, tt.uid, tt.gid); got != tt.want {
			t.Errorf("%s: privateGroup(%d, %d) = %v, want %v", tt.name, tt.uid, tt.gid, got, tt.want)
		}
	}
}
