package shm

import (
	"bytes"
	"os"
	"testing"

	"github.com/ipcats/ipcats/internal/procfs"
)

// TestListScanFails: when the walk of /proc stops early (here a process
// directory that cannot be opened for a reason other than the process
// going away), List says so instead of listing every POSIX object as held
// by nobody, which --rm --stale would then remove.
func TestListScanFails(t *testing.T) {
	root := t.TempDir()
	hdr, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Skip("no /proc/sysvipc/shm")
	}
	if i := bytes.IndexByte(hdr, '\n'); i >= 0 {
		hdr = hdr[:i+1] // the header line only: no System V segments
	}
	must(t, os.MkdirAll(root+"/sysvipc", 0o755))
	must(t, os.WriteFile(root+"/sysvipc/shm", hdr, 0o644))
	must(t, os.MkdirAll(root+"/123", 0o755))
	must(t, os.Symlink("fd", root+"/123/fd")) // ELOOP
	old := procfs.Root
	procfs.Root = root
	defer func() { procfs.Root = old }()
	if _, err := List(); err == nil {
		t.Errorf("List() with a failing /proc walk = nil error; want one")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
