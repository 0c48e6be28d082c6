package job

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/pipeline/ownerdir"
)

// ConfigAccessProblems lists who else may change the rules the jobs
// apply: the files under config/ (the policy, the baselines, the
// approvers, ledgerlens.json) and every directory and link the system
// walks to reach them from / (traversed), owned by another account than
// the jobs' (the keys directory's owner) or root, or writable by a group
// (but the owner's private group, without an ACL), by accounts a POSIX
// ACL names (its mask shows in the group bits), or by every account (a
// directory with the sticky bit, as /tmp, excepted: nobody may rename
// another's entries in it, though a link another owns there is theirs
// to replace). The threat model trusts only the account that runs the
// jobs (docs/COMPLIANCE.md): whoever may write these sets the severity
// multipliers, the baselines, the SLO targets and who may approve a
// baseline, and nothing a report records tells such a change from the
// operator's (an outside review made each of them as another account,
// and every verifier passed). Like sshd's StrictModes, it is a check of
// the permissions, made when this account may read the signing key (the
// jobs' account, or root): an auditor's copy is not held to it. It
// reads the files' metadata only, and /etc/passwd, /etc/group and
// /etc/gshadow for a group-writable path.
func ConfigAccessProblems(l inputs.Layout) []string {
	if !mayReadSigningKey(l) {
		return nil
	}
	var keys syscall.Stat_t
	if syscall.Stat(l.KeysDir, &keys) != nil {
		return nil
	}
	trusted := func(uid uint32) bool { return uid == 0 || uid == keys.Uid }
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return
		}
		for _, q := range traversed(abs) {
			if !seen[q] {
				seen[q] = true
				paths = append(paths, q)
			}
		}
	}
	for _, p := range []string{l.Config, l.Policy, l.Baselines, baselines.ApproversPath(l.Baselines)} {
		add(p) // its directories too, from /
	}
	var problems []string
	for _, p := range paths {
		if why := othersMayWrite(p, trusted); why != "" {
			problems = append(problems, fmt.Sprintf("%s is %s: anyone who may write it changes the rules the jobs apply (policy, baselines, approvers) and no verifier can tell; make it the jobs' account's alone (chown, chmod go-w, no ACL)",
				p, why))
		}
	}
	return problems
}

// othersMayWrite says how an account trusted does not accept may write
// path ("" when none may, or path is not there).
func othersMayWrite(path string, trusted func(uid uint32) bool) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		// Its directory and its target are checked; its owner may
		// replace it where the directory is sticky (a review).
		if !trusted(st.Uid) {
			return fmt.Sprintf("a link owned by %s, not by the account that runs the jobs or root", accountName(st.Uid))
		}
		return ""
	}
	mode := fi.Mode().Perm()
	sticky := fi.IsDir() && fi.Mode()&os.ModeSticky != 0
	switch {
	case !trusted(st.Uid):
		return fmt.Sprintf("owned by %s, not by the account that runs the jobs or root", accountName(st.Uid))
	case sticky:
		return ""
	case mode&0o002 != 0:
		return fmt.Sprintf("writable by every account (mode %04o)", mode)
	case mode&0o020 != 0 && (hasACL(path) || !privateGroup(st.Uid, st.Gid)):
		return fmt.Sprintf("writable by group %s, or by accounts an ACL names (mode %04o)", groupName(st.Gid), mode)
	}
	return ""
}

func accountName(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		return fmt.Sprintf("%s (gid %d)", g.Name, gid)
	}
	return fmt.Sprintf("gid %d", gid)
}

// traversed returns every path the kernel walks to reach the absolute
// path p: each directory from /, and where a component is a link, the
// link and then its target's walk, the rest of p after it (at most 40
// links, as the kernel follows). A ".." goes up from the directory
// reached, as the kernel's does, not from the text before it. Resolving
// the links first checked only the last target's directories, and
// another account repointed a link in a directory of its own; cleaning
// the text of ".." after a link walked a path the kernel never reads
// (reviews of this stop's fixes).
func traversed(p string) []string {
	out := []string{"/"}
	rest := strings.Split(p, "/") // the components still to walk
	cur := "/"
	for links := 0; len(rest) > 0; {
		part := rest[0]
		rest = rest[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur) // cur holds no link: its parent is its text's
			continue
		}
		path := filepath.Join(cur, part)
		out = append(out, path)
		fi, err := os.Lstat(path)
		if err != nil {
			return out
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = path
			continue
		}
		target, err := os.Readlink(path)
		if links++; err != nil || links > 40 {
			return out
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return out
}

// privateGroup reports whether gid is uid's private group: its primary
// group in /etc/passwd, listed in /etc/group with no member but uid's
// account, and no other account's primary group (as Debian makes one per
// account, which a umask of 002 leaves group-writable: a checkout so
// written was refused, a review of this stop's fixes). A group it cannot
// find there (a directory service's) is not.
func privateGroup(uid, gid uint32) bool {
	passwd, err1 := os.ReadFile("/etc/passwd")
	group, err2 := os.ReadFile("/etc/group")
	gshadow, _ := os.ReadFile("/etc/gshadow") // root's to read
	return err1 == nil && err2 == nil && privateGroupIn(passwd, group, gshadow, uid, gid)
}

// privateGroupIn is privateGroup over the files' contents.
func privateGroupIn(passwd, group, gshadow []byte, uid, gid uint32) bool {
	owner := ""
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		u, g := f[2], f[3]
		switch {
		case u == strconv.FormatUint(uint64(uid), 10) && g == strconv.FormatUint(uint64(gid), 10):
			owner = f[0]
		case g == strconv.FormatUint(uint64(gid), 10):
			return false // another account's primary group too
		}
	}
	if owner == "" {
		return false
	}
	// Every line of the id (groupadd -o gives one id two names), each
	// with no member but the owner; and their members in gshadow too,
	// where this account may read it (a review found a second line of
	// the id, and a member listed in gshadow only, let another account
	// in).
	found := false
	var names []string
	for _, line := range strings.Split(string(group), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 || f[2] != strconv.FormatUint(uint64(gid), 10) {
			continue
		}
		found = true
		names = append(names, f[0])
		if !onlyMember(f[3], owner) {
			return false
		}
	}
	for _, line := range strings.Split(string(gshadow), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 4 && slices.Contains(names, f[0]) && !onlyMember(f[3], owner) {
			return false
		}
	}
	return found
}

// onlyMember reports whether a group's member list (comma-separated)
// names nobody but owner.
func onlyMember(members, owner string) bool {
	for _, m := range strings.Split(members, ",") {
		if m != "" && m != owner {
			return false
		}
	}
	return true
}

// hasACL reports whether path carries a POSIX access ACL, whose mask the
// group bits then show: what the accounts it names may do.
func hasACL(path string) bool {
	for _, attr := range ownerdir.ACLAttributes() {
		if size, err := syscall.Getxattr(path, attr, nil); err == nil && size > 0 {
			return true
		}
	}
	return false
}
