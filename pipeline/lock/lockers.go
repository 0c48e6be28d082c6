package lock

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// procLocks is the kernel's table of file locks (Linux).
const procLocks = "/proc/locks"

// lockers describes each process the kernel lists as holding a lock on
// one of files (by inode): its pid, account, state when stopped, and
// command line. It is what a waiting job says of a holder that left no
// record of itself — a reader under another account, or another program
// with flock(1) — which otherwise went unnamed while every job exited 75
// (an outside review: a stopped query held the lock until killed). nil
// where /proc/locks cannot be read (not Linux).
func lockers(files ...*os.File) []string {
	inodes := map[uint64]bool{}
	for _, f := range files {
		if f == nil {
			continue
		}
		if fi, err := f.Stat(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				inodes[st.Ino] = true
			}
		}
	}
	data, err := os.ReadFile(procLocks)
	if err != nil || len(inodes) == 0 {
		return nil
	}
	var out []string
	seen := map[int]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  READ 1234 08:01:56789 0 EOF"; a waiter's
		// line carries "->" after its number.
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] == "->" {
			continue
		}
		pid, err := strconv.Atoi(f[4])
		dev := strings.Split(f[5], ":")
		if err != nil || pid <= 0 || pid == os.Getpid() || seen[pid] || len(dev) != 3 {
			continue
		}
		ino, err := strconv.ParseUint(dev[2], 10, 64)
		if err != nil || !inodes[ino] {
			continue
		}
		seen[pid] = true
		out = append(out, describePID(pid))
	}
	return out
}

// HoldersOf describes the processes the kernel lists as holding a lock on
// the file at path (flock or POSIX), as a HeldError's Lockers: for a lock
// that is not ledgerlens's own, such as the engine's on the store file.
// nil when none is found or /proc/locks cannot be read.
func HoldersOf(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return lockers(f)
}

// describePID says who pid is: "pid 4242 (account alice, stopped:
// ledgerlens query SELECT …)".
func describePID(pid int) string {
	var what []string
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch k {
			case "Uid":
				if uid := strings.Fields(v); len(uid) > 0 {
					name := uid[0]
					if u, err := user.LookupId(uid[0]); err == nil {
						name = u.Username
					}
					what = append(what, "account "+name)
				}
			case "State":
				if strings.HasPrefix(v, "T") || strings.HasPrefix(v, "t") {
					what = append(what, "stopped: it holds the lock until it is continued or ended")
				}
			}
		}
	}
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cmd) > 0 {
		c := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		if r := []rune(c); len(r) > 80 {
			c = string(r[:80]) + "…"
		}
		what = append(what, strconv.Quote(c))
	}
	if len(what) == 0 {
		return fmt.Sprintf("pid %d", pid)
	}
	return fmt.Sprintf("pid %d (%s)", pid, strings.Join(what, ", "))
}
