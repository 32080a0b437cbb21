package procfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A deleted file this process still maps, and a memfd it holds open, are
// found with this process as their holder and their sizes.
func TestUnlinkedFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "gone")
	if err := os.WriteFile(p, make([]byte, 3*4096), 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(p, unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(fd, 0, 2*4096, unix.PROT_READ, unix.MAP_SHARED)
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	mfd, err := unix.MemfdCreate("ipcats-unlinked-test", 0)
	if err != nil {
		t.Skipf("memfd_create: %v", err)
	}
	defer unix.Close(mfd)
	if err := unix.Ftruncate(mfd, 5000); err != nil {
		t.Fatal(err)
	}
	files, sc := UnlinkedFiles(dir)
	if sc.Err != nil {
		t.Fatal(sc.Err)
	}
	var deleted, memfd *UnlinkedFile
	for i, f := range files {
		switch f.Path {
		case p:
			deleted = &files[i]
		case "/memfd:ipcats-unlinked-test":
			memfd = &files[i]
		}
	}
	me := os.Getpid()
	if deleted == nil || deleted.Memfd || len(deleted.Holders) != 1 || deleted.Holders[0].PID != me || deleted.Holders[0].FD != -1 {
		t.Fatalf("deleted file: %+v; want it mapped by %d", deleted, me)
	}
	if deleted.Size() < 2*4096 {
		t.Errorf("deleted file size %d; want at least the 8192 bytes mapped", deleted.Size())
	}
	if memfd == nil || !memfd.Memfd || len(memfd.Holders) != 1 || memfd.Holders[0].FD != mfd || memfd.Size() != 5000 {
		t.Fatalf("memfd: %+v; want held by fd %d, 5000 bytes", memfd, mfd)
	}
}
