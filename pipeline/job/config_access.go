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
// apply: the working root, the configuration directory and the files in
// it (the policy, the baselines, the approvers, ledgerlens.json) owned by
// an account other than this one or root, or writable by every account,
// or by a group other than their owner's own. The threat model trusts
// only the account that runs the jobs (docs/COMPLIANCE.md): whoever may
// write these sets the severity multipliers, the baselines, the SLO
// targets and who may approve a baseline, and nothing a report records
// tells such a change from the operator's (an outside review made each
// of them as another account, and every verifier passed). Like sshd's
// StrictModes, the check is of the permissions, said to the account that
// runs the jobs (it may read the signing key), which is the one told:
// an auditor's copy is not.
func ConfigAccessProblems(l inputs.Layout) []string {
	if unix.Faccessat(unix.AT_FDCWD, filepath.Join(l.KeysDir, reports.PrivateKeyFile), unix.R_OK, unix.AT_EACCESS) != nil {
		return nil
	}
	paths := []string{l.Root}
	seen := map[string]bool{l.Root: true}
	for _, p := range []string{l.Config, l.Policy, l.Baselines, baselines.ApproversPath(l.Baselines)} {
		for _, q := range []string{filepath.Dir(p), p} {
			if !seen[q] {
				seen[q] = true
				paths = append(paths, q)
			}
		}
	}
	var problems []string
	for _, p := range paths {
		if why := othersMayWrite(p); why != "" {
			name := l.Rel(p)
			if p == l.Root {
				name = "the working root " + p
			}
			problems = append(problems, fmt.Sprintf("%s is %s: anyone who may write it changes the rules the jobs apply (policy, baselines, approvers) and no verifier can tell; make it the jobs' account's alone (chown, chmod go-w)",
				name, why))
		}
	}
	return problems
}

// othersMayWrite says how an account other than this one or root may
// write path ("" when none may, or path is not there).
func othersMayWrite(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	mode := fi.Mode().Perm()
	switch {
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return fmt.Sprintf("owned by %s, not by the account that runs the jobs", accountName(st.Uid))
	case mode&0o002 != 0 && fi.Mode()&os.ModeSticky == 0:
		return fmt.Sprintf("writable by every account (mode %04o)", mode)
	case mode&0o020 != 0 && !ownGroup(st.Uid, st.Gid):
		return fmt.Sprintf("writable by group %s (mode %04o)", groupName(st.Gid), mode)
	}
	return ""
}

// ownGroup reports whether gid is uid's own group: its primary group,
// named as the account (a user private group, as Debian makes one per
// account, which a umask of 002 leaves group-writable).
func ownGroup(uid, gid uint32) bool {
	u, err1 := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	g, err2 := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10))
	return err1 == nil && err2 == nil && u.Username == g.Name && u.Gid == g.Gid
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
