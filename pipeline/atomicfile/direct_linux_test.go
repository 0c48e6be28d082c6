package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestLargeWriteBypassesPageCache checks that a large aligned write went
// to the disk directly: the pages of its head are not in the page cache
// after it (mincore), while a write of the same size through the page
// cache leaves them there. On a file system that refuses O_DIRECT, or
// that is itself held in the page cache (tmpfs takes O_DIRECT since Linux
// 6.6), the test says so and checks nothing more.
func TestLargeWriteBypassesPageCache(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC || fs.Type == unix.RAMFS_MAGIC {
		t.Skipf("%s is in memory: its pages are the page cache", dir)
	}
	probe, err := os.Create(filepath.Join(dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	derr := setDirect(probe, true)
	probe.Close()
	if derr != nil {
		t.Skipf("the file system of %s refuses O_DIRECT (%v): every write goes through the page cache", dir, derr)
	}
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i)
	}
	tests := []struct {
		name   string
		data   []byte
		direct bool
	}{
		{"aligned: direct", data, true},
		{"unaligned: page cache", data[1:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "report.json")
			if err := WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			resident := residentPages(t, path, len(tt.data)/2)
			if tt.direct && resident != 0 {
				t.Errorf("%d of the head's pages are in the page cache after a direct write", resident)
			}
			if !tt.direct && resident == 0 {
				t.Errorf("none of the head's pages are in the page cache after a buffered write: the check proves nothing")
			}
		})
	}
}

// residentPages counts the pages of the first n bytes of path that are in
// the page cache.
func residentPages(t *testing.T, path string, n int) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (n+page-1)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(n), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore %s: %v", path, errno)
	}
	count := 0
	for _, v := range vec {
		count += int(v & 1)
	}
	return count
}
