package ns

import (
	"errors"
	"os"
	"testing"
)

// TestMountPeers: this process is a peer of itself and of its parent; a
// process in a mount namespace of its own (unshare -r -m) is neither.
func TestMountPeers(t *testing.T) {
	in, err := MountPeers(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !in(os.Getpid()) || !in(os.Getppid()) || in(1<<22+1) {
		t.Errorf("MountPeers(self): self %v, parent %v, a missing pid %v", in(os.Getpid()), in(os.Getppid()), in(1<<22+1))
	}
	if _, err := MountPeers(1<<22 + 1); !errors.Is(err, ErrNoProcess) {
		t.Errorf("MountPeers of a missing pid: %v", err)
	}
	pid, err := unshared(t, "-r", "-m")
	if err != nil {
		t.Skipf("%v (no user namespaces?)", err)
	}
	if in(pid) {
		t.Errorf("a process in a mount namespace of its own is a peer")
	}
	box, err := MountPeers(pid)
	if err != nil {
		t.Fatal(err)
	}
	if !box(pid) || box(os.Getpid()) {
		t.Errorf("MountPeers(box): box %v, self %v", box(pid), box(os.Getpid()))
	}
}
