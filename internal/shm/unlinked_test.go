package shm

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A /dev/shm file mapped and then removed is listed as deleted, with this
// process as its holder; one mapped through a temporary name and linked
// under another (as glibc's sem_open does) is not, though the kernel
// shows the mapping's path as deleted.
func TestUnlinked(t *testing.T) {
	base := fmt.Sprintf("%s/ipcats-unlinked-%d", Dir, os.Getpid())
	mapped := func(path string) []byte {
		if err := os.WriteFile(path, make([]byte, 4096), 0o600); err != nil {
			t.Skipf("no %s: %v", Dir, err)
		}
		fd, err := unix.Open(path, unix.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		m, err := unix.Mmap(fd, 0, 4096, unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	gone := mapped(base + "-gone")
	defer unix.Munmap(gone)
	os.Remove(base + "-gone")
	linked := mapped(base + "-tmp")
	defer unix.Munmap(linked)
	if err := os.Link(base+"-tmp", base+"-linked"); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(base + "-linked")
	os.Remove(base + "-tmp")
	infos, err := Unlinked()
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, i := range infos {
		if len(i.Holders) > 0 && i.Holders[0].PID == os.Getpid() && i.Unlinked == "deleted" {
			found = append(found, i.Name)
		}
	}
	want := base[len(Dir):] + "-gone"
	if len(found) != 1 || found[0] != want {
		t.Errorf("Unlinked: deleted objects of this process %q; want only %q", found, want)
	}
}
