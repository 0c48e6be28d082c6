package job

import (
	"encoding/binary"
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
// the jobs' (the keys directory's owner) or root, or writable by anyone
// else: a group another account may hold, an account or group a POSIX
// ACL names, or every account. A directory with the sticky bit, as /tmp,
// is excepted on the way (nobody may rename another's entries in it,
// though a link another owns there is theirs to replace), but not where
// a configuration file lies: there anyone may create one that is
// missing (an outside review). The threat model trusts only the account
// that runs the jobs (docs/COMPLIANCE.md): whoever may write these sets
// the severity multipliers, the baselines, the SLO targets and who may
// approve a baseline, and nothing a report records tells such a change
// from the operator's (an outside review made each of them as another
// account, and every verifier passed). Like sshd's StrictModes, it is a
// check of the permissions, made when this account may read the signing
// key (the jobs' account, or root): an auditor's copy is not held to it.
// It reads the files' metadata and ACLs only, and /etc/passwd, /etc/group
// and /etc/gshadow for a group that may write.
func ConfigAccessProblems(l inputs.Layout) []string {
	if !mayReadSigningKey(l) {
		return nil
	}
	var keys syscall.Stat_t
	if syscall.Stat(l.KeysDir, &keys) != nil {
		return nil
	}
	a := &access{jobs: keys.Uid}
	var paths []string
	seen := map[string]bool{}
	holding := map[string]bool{} // the directories the files lie in
	for _, p := range []string{l.Config, l.Policy, l.Baselines, baselines.ApproversPath(l.Baselines)} {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		walk := traversed(abs) // its directories too, from /
		holding[filepath.Dir(walk[len(walk)-1])] = true
		for _, q := range walk {
			if !seen[q] {
				seen[q] = true
				paths = append(paths, q)
			}
		}
	}
	var problems []string
	for _, p := range paths {
		if why, remedy := a.othersMayWrite(p, holding[p]); why != "" {
			problems = append(problems, fmt.Sprintf("%s is %s: anyone who may write it changes the rules the jobs apply (policy, baselines, approvers) and no verifier can tell; %s, then check what it holds, or put back a copy you checked: taking the access away does not undo a change already made, nor close the file to an account that holds it open",
				p, why, remedy))
		}
	}
	return problems
}

// access judges who may write a path against the accounts the jobs
// trust: root and the jobs' own (the keys directory's owner).
type access struct {
	jobs                   uint32
	passwd, group, gshadow []byte // read once, when a group may write
	read                   bool
}

func (a *access) trusted(uid uint32) bool { return uid == 0 || uid == a.jobs }

// notTrusted says who may own or write a configuration: "the jobs'
// account (NAME) or root".
func (a *access) notTrusted() string {
	if a.jobs == 0 {
		return "the jobs' account (root)"
	}
	return "the jobs' account (" + a.jobsAccount() + ") or root"
}

// jobsAccount names the jobs' account for a remedy.
func (a *access) jobsAccount() string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(a.jobs), 10)); err == nil {
		return u.Username
	}
	return strconv.FormatUint(uint64(a.jobs), 10)
}

// trustedGroup reports whether only trusted accounts may hold gid
// (trustedGroupIn over the system's files).
func (a *access) trustedGroup(gid uint32) bool {
	if !a.read {
		a.read = true
		a.passwd, _ = os.ReadFile("/etc/passwd")
		a.group, _ = os.ReadFile("/etc/group")
		a.gshadow, _ = os.ReadFile("/etc/gshadow") // root's to read
	}
	return trustedGroupIn(a.passwd, a.group, a.gshadow, gid, a.trusted)
}

// othersMayWrite says how an account the jobs do not trust may write
// path, and what to do about it ("" when none may, or path is not
// there). holds says that configuration files lie in path, where a sticky
// bit is no excuse.
func (a *access) othersMayWrite(path string, holds bool) (why, remedy string) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", ""
	}
	chown := fmt.Sprintf("give it to the jobs' account (chown %s)", a.jobsAccount())
	if fi.Mode()&os.ModeSymlink != 0 {
		// Its directory and its target are checked; its owner may
		// replace it where the directory is sticky (a review).
		if !a.trusted(st.Uid) {
			return fmt.Sprintf("a link owned by %s, not by %s", accountName(st.Uid), a.notTrusted()), "make it again as the jobs' account"
		}
		return "", ""
	}
	mode := st.Mode & 0o7777
	sticky := fi.IsDir() && fi.Mode()&os.ModeSticky != 0
	switch {
	case !a.trusted(st.Uid):
		return fmt.Sprintf("owned by %s, not by %s", accountName(st.Uid), a.notTrusted()), chown
	case sticky && !holds:
		return "", ""
	case mode&0o002 != 0 && sticky:
		return fmt.Sprintf("writable by every account (mode %04o), where a configuration file lies: anyone may create one that is missing", mode),
			"keep the configuration in a directory only the jobs' account writes, not a shared one such as /tmp"
	case mode&0o002 != 0:
		return fmt.Sprintf("writable by every account (mode %04o)", mode), "chmod o-w"
	}
	acl, err := accessACL(path)
	if err != nil {
		return fmt.Sprintf("under an ACL that cannot be read (%v)", err), "remove it (setfacl -b) or check it by hand"
	}
	if acl == nil {
		if mode&0o020 != 0 && !a.trustedGroup(st.Gid) {
			return fmt.Sprintf("writable by group %s, which accounts other than %s may hold (mode %04o)", groupName(st.Gid), a.notTrusted(), mode), "chmod g-w, or give it a group only the jobs' account holds"
		}
		return "", ""
	}
	// An ACL's mask bounds its named entries and the owning group.
	for _, e := range acl.entries {
		if e.perm&aclWrite == 0 || acl.mask&aclWrite == 0 {
			continue
		}
		switch {
		case e.tag == aclTagUser && !a.trusted(e.id):
			return fmt.Sprintf("writable by %s, whom an ACL names (mode %04o)", accountName(e.id), mode), "remove the entry (setfacl -x u:" + strconv.FormatUint(uint64(e.id), 10) + ") or take its write (setfacl -m)"
		case e.tag == aclTagGroup && !a.trustedGroup(e.id):
			return fmt.Sprintf("writable by group %s, which an ACL names and accounts other than %s may hold (mode %04o)", groupName(e.id), a.notTrusted(), mode), "remove the entry (setfacl -x g:" + strconv.FormatUint(uint64(e.id), 10) + ") or take its write (setfacl -m)"
		case e.tag == aclTagGroupObj && !a.trustedGroup(st.Gid):
			return fmt.Sprintf("writable by group %s, which accounts other than %s may hold (mode %04o, an ACL)", groupName(st.Gid), a.notTrusted(), mode), "chmod g-w, or give it a group only the jobs' account holds"
		}
	}
	return "", ""
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

// trustedGroupIn reports whether only accounts trusted accepts may hold
// gid, by the files' contents: it is a trusted account's private group.
// That is, the primary group in passwd of a trusted account and of no
// other, listed in group with no member but trusted accounts and no
// password there, and, where gshadow can be read (root's to read), with
// no member, administrator or password there but a trusted account's
// (gpasswd and newgrp let those in). An account's private group, as
// Debian makes one per account and a umask of 002 leaves group-writable,
// is one; so is the jobs' account's, given to a root-owned
// configuration (refused: a review). Ids are compared as numbers
// ("01007" is 1007), and every line of the id counts (groupadd -o gives
// one id two names). A group made for the jobs' account but no one's
// primary group is not one: its administrators and password, in a
// gshadow the jobs' account cannot read, let another account in, change
// the configuration and leave (a review of this rule). Nor is a group a
// directory service gives, or one a session kept after its account was
// removed from it: docs/COMPLIANCE.md.
func trustedGroupIn(passwd, group, gshadow []byte, gid uint32, trusted func(uid uint32) bool) bool {
	isID := func(field string) bool {
		n, err := parseID(field)
		return err == nil && n == gid
	}
	names := map[string]bool{} // trusted accounts, by name
	primary := false
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		uid, err := parseID(f[2])
		ok := err == nil && trusted(uid)
		if ok {
			names[f[0]] = true
		}
		if isID(f[3]) {
			if !ok {
				return false // an untrusted account's primary group
			}
			primary = true
		}
	}
	onlyTrusted := func(members string) bool {
		for _, m := range strings.Split(members, ",") {
			if m != "" && !names[m] {
				return false
			}
		}
		return true
	}
	// No password: empty, or locked ("!", "*"); "x" sends to gshadow.
	noPassword := func(pw string, shadowed bool) bool {
		return pw == "" || strings.HasPrefix(pw, "!") || strings.HasPrefix(pw, "*") || shadowed && pw == "x"
	}
	var groupNames []string
	for _, line := range strings.Split(string(group), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 || !isID(f[2]) {
			continue
		}
		groupNames = append(groupNames, f[0])
		if !noPassword(f[1], true) || !onlyTrusted(f[3]) {
			return false
		}
	}
	for _, line := range strings.Split(string(gshadow), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 || !slices.Contains(groupNames, f[0]) {
			continue
		}
		if !noPassword(f[1], false) || !onlyTrusted(f[2]) || !onlyTrusted(f[3]) {
			return false
		}
	}
	return primary && len(groupNames) > 0
}

// parseID reads an id field of /etc/passwd or /etc/group as the C
// library does (strtoul): leading blanks and a sign are taken, so
// " 1004", "+1004" and "01004" are all 1004 (a review found a group's
// members missed when its id was spelled so).
func parseID(field string) (uint32, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimLeft(field, " \t\n\v\f\r"), "+"), 10, 32)
	return uint32(n), err
}

// The POSIX ACL extended attribute's format (acl(5), the kernel's
// posix_acl_xattr): a version, then 8-byte entries of tag, permissions
// and id, little-endian.
const (
	aclVersion     = 2
	aclTagUserObj  = 0x01
	aclTagUser     = 0x02
	aclTagGroupObj = 0x04
	aclTagGroup    = 0x08
	aclTagMask     = 0x10
	aclTagOther    = 0x20
	aclWrite       = 0x02
)

type aclEntry struct {
	tag, perm uint16
	id        uint32
}

// acl is a file's access ACL: its entries and its mask's permissions.
type acl struct {
	entries []aclEntry
	mask    uint16
}

// accessACL reads path's POSIX access ACL; nil when it has none.
func accessACL(path string) (*acl, error) {
	size, err := syscall.Getxattr(path, ownerdir.AccessACLAttribute, nil)
	if err != nil || size == 0 {
		return nil, nil // none, or a file system without ACLs
	}
	buf := make([]byte, size)
	if size, err = syscall.Getxattr(path, ownerdir.AccessACLAttribute, buf); err != nil {
		return nil, err
	}
	return parseACL(buf[:size])
}

// parseACL reads the extended attribute's bytes. Without a mask entry
// (an ACL of the three base entries) nothing is masked.
func parseACL(b []byte) (*acl, error) {
	if len(b) < 4 || (len(b)-4)%8 != 0 || binary.LittleEndian.Uint32(b) != aclVersion {
		return nil, fmt.Errorf("%d bytes, not a version %d POSIX ACL", len(b), aclVersion)
	}
	out := &acl{mask: 0o7}
	for b = b[4:]; len(b) > 0; b = b[8:] {
		e := aclEntry{tag: binary.LittleEndian.Uint16(b), perm: binary.LittleEndian.Uint16(b[2:]), id: binary.LittleEndian.Uint32(b[4:])}
		switch e.tag {
		case aclTagMask:
			out.mask = e.perm
		case aclTagUserObj, aclTagUser, aclTagGroupObj, aclTagGroup, aclTagOther:
			out.entries = append(out.entries, e)
		default:
			return nil, fmt.Errorf("an entry of unknown tag %#x", e.tag)
		}
	}
	return out, nil
}
