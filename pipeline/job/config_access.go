package job

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ledgerlens/ledgerlens/pipeline/baselines"
	"github.com/ledgerlens/ledgerlens/pipeline/inputs"
	"github.com/ledgerlens/ledgerlens/reports"
)

// ConfigAccessProblems lists who else may change the rules the jobs
// apply: the files under config/ (the policy, the baselines, the
// approvers, ledgerlens.json), the directories holding them and every
// directory above, links followed, owned by another account than the
// jobs' (the keys directory's owner) or root, or writable by a group or
// by every account (a directory with the sticky bit, as /tmp, excepted:
// nobody may rename another's entries in it). The threat model trusts
// only the account that runs the jobs (docs/COMPLIANCE.md): whoever may
// write these sets the severity multipliers, the baselines, the SLO
// targets and who may approve a baseline, and nothing a report records
// tells such a change from the operator's (an outside review made each
// of them as another account, and every verifier passed). Like sshd's
// StrictModes, the check is of the permissions; a group's write is
// refused whatever the group (the jobs' own group holds the analysts:
// the store's directory section of docs/COMPLIANCE.md), and so is a
// POSIX ACL's, whose mask the group bits show. It is made when this
// account may read the signing key (the jobs' account, or root): an
// auditor's copy is not held to it.
func ConfigAccessProblems(l inputs.Layout) []string {
	key := filepath.Join(l.KeysDir, reports.PrivateKeyFile)
	if unix.Faccessat(unix.AT_FDCWD, key, unix.R_OK, unix.AT_EACCESS) != nil {
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
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		for q := abs; !seen[q]; q = filepath.Dir(q) {
			seen[q] = true
			paths = append(paths, q)
		}
	}
	for _, p := range []string{l.Config, l.Policy, l.Baselines, baselines.ApproversPath(l.Baselines)} {
		add(filepath.Dir(p))
		if _, err := os.Lstat(p); err == nil {
			add(p)
		}
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
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
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
	case mode&0o020 != 0:
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
