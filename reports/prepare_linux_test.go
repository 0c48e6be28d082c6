package reports

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestPreparedAcrossBindMount: an output directory that is a bind mount
// of the staging directory's file system has the same device number, yet
// a rename into it fails (EXDEV). The publication must still be made, as
// if nothing had been prepared. The test runs itself again in a mount
// namespace of its own (made private, so nothing reaches the host's), and
// is skipped where making one is not allowed.
func TestPreparedAcrossBindMount(t *testing.T) {
	const child = "LEDGERLENS_TEST_BIND_MOUNT_DIR"
	if dir := os.Getenv(child); dir != "" {
		preparedAcrossBindMount(t, dir)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestPreparedAcrossBindMount$", "-test.v")
	cmd.Env = append(os.Environ(), child+"="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) || bytes.Contains(out, []byte("SKIP")) {
		t.Skipf("no mount namespace here: %v %s", err, out)
	}
	if err != nil {
		t.Fatalf("in a mount namespace: %v\n%s", err, out)
	}
}

func preparedAcrossBindMount(t *testing.T, root string) {
	staging, target, dir := filepath.Join(root, "checkpoint"), filepath.Join(root, "target"), filepath.Join(root, "out")
	for _, d := range []string{staging, target, dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mount(target, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("SKIP: bind mount: %v", err)
	}
	defer syscall.Unmount(dir, 0)
	if !stagesAlike(staging, dir) {
		t.Fatal("the bind mount's directory does not look alike: the test proves nothing")
	}
	p := &Publisher{Dir: dir, Signer: newTestSigner(t, 3), Staging: staging}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<17) // 2 MiB: written directly
	a, err := p.Prepare(context.Background(), pubBase, 1, Artifact{Ext: ".json", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if names := pubNames(pubSnapshot(t, staging)); len(names) != 1 {
		t.Fatalf("prepared files in staging: %v, want one", names)
	}
	if _, err := p.Publish(context.Background(), pubBase, 1, []Artifact{a}); err != nil {
		t.Fatalf("Publish of an artifact prepared across a bind mount: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(target, pubBase+".json"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("published %d bytes (%v), want %d", len(got), err, len(data))
	}
	if _, err := VerifyFile(filepath.Join(dir, pubBase+".json"), p.Signer.Public()); err != nil {
		t.Errorf("the publication does not verify: %v", err)
	}
	if names := pubNames(pubSnapshot(t, staging)); len(names) != 0 {
		t.Errorf("left in staging: %v", names)
	}
	pubNoTemps(t, dir)
}

// TestPrepareKeepsTheOutputDirectorysGroup: in a setgid output directory
// a published file takes the directory's group. A file prepared in a
// staging directory without it would keep another group when renamed, so
// Prepare writes nothing ahead there, and the publication's files all
// have the directory's group.
func TestPrepareKeepsTheOutputDirectorysGroup(t *testing.T) {
	staging, dir := t.TempDir(), t.TempDir()
	gid := os.Getegid() + 1
	if err := os.Chown(dir, -1, gid); err != nil {
		t.Skipf("cannot give %s another group (%v): needs root or a second group", dir, err)
	}
	if err := os.Chmod(dir, 0o775|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	if stagesAlike(staging, dir) {
		t.Fatal("a setgid directory of another group looks alike to a plain one")
	}
	p := &Publisher{Dir: dir, Signer: newTestSigner(t, 3), Staging: staging}
	a, err := p.Prepare(context.Background(), pubBase, 1, Artifact{Ext: ".json", Data: []byte(`{"v":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if names := pubNames(pubSnapshot(t, staging)); len(names) != 0 {
		t.Errorf("prepared in staging although the groups differ: %v", names)
	}
	if _, err := p.Publish(context.Background(), pubBase, 1, []Artifact{a}); err != nil {
		t.Fatal(err)
	}
	for _, name := range pubNames(pubSnapshot(t, dir)) {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if g := st.Sys().(*syscall.Stat_t).Gid; int(g) != gid {
			t.Errorf("%s has group %d, want the directory's %d", name, g, gid)
		}
	}
}
