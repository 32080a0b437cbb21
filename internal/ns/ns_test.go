package ns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNewIPC starts a process in an IPC namespace of its own (unshare -i),
// or skips the test when that is not possible (not root, no unshare).
func inNewIPC(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("unshare -i needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	pid, err := unshared(t, "--ipc")
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// unshared starts `unshare FLAGS... sleep 30`, killed when the test ends,
// and returns its pid once unshare has made the namespaces and exec'd
// sleep.
func unshared(t *testing.T, flags ...string) (int, error) {
	cmd := exec.Command("unshare", append(flags, "sleep", "30")...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	for i := 0; i < 400; i++ {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(b)) == "sleep" {
			return pid, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("unshare %s did not exec sleep", strings.Join(flags, " "))
}

func TestRunSysVInOtherNamespace(t *testing.T) {
	pid := inNewIPC(t)
	var id int
	var inside string
	err := Run(pid, IPC, func() error {
		var err error
		if id, err = unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600); err != nil {
			return err
		}
		b, err := os.ReadFile("/proc/sysvipc/shm")
		inside = string(b)
		if Path("/dev/shm") != "/proc/"+strconv.Itoa(pid)+"/root/dev/shm" {
			t.Errorf("Path under Run = %q", Path("/dev/shm"))
		}
		if Path("x") != "/proc/"+strconv.Itoa(pid)+"/cwd/x" {
			t.Errorf("relative Path under Run = %q", Path("x"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer Run(pid, IPC, func() error { _, err := unix.SysvShmCtl(id, unix.IPC_RMID, nil); return err })
	if !strings.Contains(inside, " "+strconv.Itoa(id)+" ") {
		t.Errorf("/proc/sysvipc/shm read under Run lacks id %d:\n%s", id, inside)
	}
	if Path("/dev/shm") != "/dev/shm" {
		t.Errorf("Path after Run = %q", Path("/dev/shm"))
	}
	// The namespace is a fresh one: a segment of it is not ours.
	var ds unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &ds); err == nil && ds.Cpid == int32(os.Getpid()) {
		t.Errorf("segment %d made under Run is in our namespace", id)
	}
	if SameIPC(pid) {
		t.Errorf("SameIPC(%d) outside Run: the process is in another namespace", pid)
	}
	// (Not our own pid: /proc/PID/ns shows the main thread's, which may
	// be the very thread Run locked.)
	host := exec.Command("sleep", "30")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { host.Process.Kill(); host.Wait() }()
	Run(pid, IPC, func() error {
		if !SameIPC(pid) || SameIPC(host.Process.Pid) {
			t.Errorf("SameIPC under Run: target %v, a process of ours %v", SameIPC(pid), SameIPC(host.Process.Pid))
		}
		return nil
	})
}

func TestRunOwnNamespace(t *testing.T) {
	ran := false
	err := Run(os.Getpid(), IPC|Net, func() error { ran = true; return nil })
	if err != nil || !ran {
		t.Fatalf("Run on our own pid: %v (ran %v)", err, ran)
	}
	if !SameIPC(os.Getpid()) {
		t.Error("SameIPC of our own pid is false")
	}
}

func TestRunErrors(t *testing.T) {
	err := Run(1<<22+1, IPC, func() error { t.Error("ran"); return nil })
	if !errors.Is(err, ErrNoProcess) || err.Error() != "cannot look inside the namespaces of pid 4194305: no such process" {
		t.Errorf("missing pid: %v", err)
	}
	if os.Geteuid() == 0 {
		return
	}
	err = Run(1, IPC, func() error { t.Error("ran"); return nil })
	if !errors.Is(err, ErrPermission) {
		t.Errorf("pid 1 as uid %d: %v", os.Geteuid(), err)
	}
}

func TestPIDPeers(t *testing.T) {
	in, err := PIDPeers(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !in(os.Getpid()) || in(1<<22+1) {
		t.Errorf("PIDPeers(self): self %v, a missing pid %v", in(os.Getpid()), in(1<<22+1))
	}
	if _, err := PIDPeers(1<<22 + 1); !errors.Is(err, ErrNoProcess) {
		t.Errorf("PIDPeers of a missing pid: %v", err)
	}
}
