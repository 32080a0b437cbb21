// Package ns runs a tool's inspection inside the namespaces of another
// process (--ns PID), so that the host sees a container's IPC objects.
//
// setns(2) with CLONE_NEWIPC or CLONE_NEWNET moves only the calling
// thread, so Run does the work on an OS thread locked to it, which goes
// back to the caller's namespaces before it serves anything else.
// System V calls, mq_open and the reading of /proc/sysvipc act in the
// IPC namespace of the thread that makes them. The mount namespace cannot be entered so: setns with
// CLONE_NEWNS fails with EINVAL in a process of several threads (they
// share one fs_struct), and a Go process always has several. The
// target's files (/dev/shm, /dev/mqueue, a FIFO's path) are reached
// through /proc/PID/root instead: Path gives that prefix while Run's
// function runs.
package ns

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Kind is a set of namespaces to enter.
type Kind int

const (
	Files Kind = 0         // none: only Path's prefix (files, FIFOs)
	IPC   Kind = 1 << iota // System V IPC and POSIX message queues
	Net                    // network: sockets, /proc/net
)

var kinds = []struct {
	kind Kind
	name string
	flag int
}{{IPC, "ipc", unix.CLONE_NEWIPC}, {Net, "net", unix.CLONE_NEWNET}}

// ErrPermission: this user may not enter the namespaces of that process
// (neither root nor its owner with CAP_SYS_ADMIN).
var ErrPermission = errors.New("operation not permitted")

// ErrNoProcess: no process has that pid.
var ErrNoProcess = errors.New("no such process")

// Error is a failure to enter the namespaces of PID.
type Error struct {
	PID int
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("cannot look inside the namespaces of pid %d: %v", e.PID, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

var (
	mu     sync.Mutex
	target int // the pid whose namespaces Run entered; 0 outside Run
)

// Run runs f inside the namespaces of pid that kinds names, on an OS
// thread of its own, and returns its error; Path is under /proc/PID/root
// while f runs. What f starts on other goroutines runs in the caller's
// namespaces. A namespace the caller is already in is not entered again,
// so that a user without CAP_SYS_ADMIN may name a process of their own
// namespaces. Runs do not nest.
func Run(pid int, k Kind, f func() error) error {
	if pid <= 0 {
		return &Error{PID: pid, Err: ErrNoProcess}
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := enter(pid, k)
		if err == nil {
			mu.Lock()
			target = pid
			mu.Unlock()
			err = f()
			mu.Lock()
			target = 0
			mu.Unlock()
		}
		// Back in our own namespaces, the thread may serve other
		// goroutines again; if not, it stays locked, and Go ends it
		// with this goroutine (or, the main thread, parks it). (A
		// panic in f ends the program.)
		if back() {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// enter moves the calling (locked) thread into the namespaces of pid.
// back returns it to the namespaces it was in, reporting whether it is
// all the way back.
func enter(pid int, k Kind) (back func() bool, err error) {
	var left []func() error
	back = func() bool {
		ok := true
		for _, f := range left {
			ok = f() == nil && ok
		}
		return ok
	}
	// Path's prefix: the target's root, which needs the same ptrace
	// access as its namespaces.
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/root", &st); err != nil {
		return back, enterErr(pid, err)
	}
	for _, n := range kinds {
		if k&n.kind == 0 {
			continue
		}
		fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return back, enterErr(pid, err)
		}
		own, err := unix.Open("/proc/thread-self/ns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(fd)
			return back, enterErr(pid, err)
		}
		same, err := sameAs(fd, own)
		if err == nil && !same {
			if err = unix.Setns(fd, n.flag); err == nil {
				mine, flag := own, n.flag
				left = append(left, func() error { defer unix.Close(mine); return unix.Setns(mine, flag) })
				own = -1
			}
		}
		unix.Close(fd)
		if own >= 0 {
			unix.Close(own)
		}
		if err != nil {
			return back, enterErr(pid, err)
		}
	}
	return back, nil
}

// sameAs reports whether the namespaces open as fd and own are one.
func sameAs(fd, own int) (bool, error) {
	var a, b unix.Stat_t
	if err := unix.Fstat(fd, &a); err != nil {
		return false, err
	}
	if err := unix.Fstat(own, &b); err != nil {
		return false, err
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}

func enterErr(pid int, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
		err = ErrNoProcess
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		err = ErrPermission
	}
	return &Error{PID: pid, Err: err}
}

// Target is the pid whose namespaces the running Run entered, or 0.
func Target() int {
	mu.Lock()
	defer mu.Unlock()
	return target
}

// Path is path as the process whose namespaces Run entered sees it: an
// absolute path under /proc/PID/root, a relative one under
// /proc/PID/cwd. Outside Run it is path itself. An absolute symbolic
// link inside the target's tree resolves against the caller's root, not
// the target's (a limit of /proc/PID/root).
func Path(path string) string {
	pid := Target()
	switch {
	case pid == 0:
		return path
	case strings.HasPrefix(path, "/"):
		return "/proc/" + strconv.Itoa(pid) + "/root" + path
	}
	return "/proc/" + strconv.Itoa(pid) + "/cwd/" + path
}

// SameIPC reports whether pid is in the IPC namespace of the calling
// thread (under Run: the target's). System V ids are per namespace, so
// a process attached to segment 3 or waiting on queue 3 of another
// namespace is no holder of ours. A pid whose namespace cannot be read
// (another user's process) counts as the same: nothing better is known.
func SameIPC(pid int) bool {
	var a, b unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/ipc", &a) != nil || unix.Stat("/proc/thread-self/ns/ipc", &b) != nil {
		return true
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// SameMount reports whether pid is in the mount namespace of the process
// Run entered; outside Run, or when either cannot be read, it is true.
// (A thread of ours never leaves our own: see the package comment.)
func SameMount(pid int) bool {
	t := Target()
	if t == 0 {
		return true
	}
	var a, b unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/mnt", &a) != nil || unix.Stat("/proc/"+strconv.Itoa(t)+"/ns/mnt", &b) != nil {
		return true
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// PIDPeers returns a test of whether a process is in the pid namespace
// of pid (the processes of pid's container, or the host's). It needs the
// same access to pid as Run.
func PIDPeers(pid int) (func(int) bool, error) { return peers(pid, "pid") }
