package cli

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// startPoller makes the Go runtime set up its poller (an epoll instance
// and an eventfd) now, while descriptors are free. The runtime does that
// on the first pollable file a run opens and, if that fails because
// RLIMIT_NOFILE is used up, it aborts the process with a crash dump
// instead of returning EMFILE. Done first thing, under a tiny limit it
// fails here, as one line; afterwards every open that hits the limit
// returns an error the tool reports.
func startPoller() error {
	// Three descriptors: our eventfd below, then the runtime's epoll
	// instance and eventfd. Probe with plain dups, which fail cleanly.
	var probe []int
	defer func() {
		for _, fd := range probe {
			unix.Close(fd)
		}
	}()
	for range 3 {
		fd, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("too few free file descriptors to start: %w", err)
		}
		probe = append(probe, fd)
	}
	for _, fd := range probe {
		unix.Close(fd)
	}
	startFDs = probe
	probe = nil
	// A non-blocking descriptor handed to os.NewFile is registered with
	// the poller, which starts it.
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	return os.NewFile(uintptr(efd), "eventfd").Close()
}

// startFDs are the descriptors startPoller probed: the lowest that were
// free when the run began, where the runtime's own descriptors land.
var startFDs []int

// Inherited tells whether fd is a descriptor the run was started with
// (one the shell opened, e.g. 3<file), as opposed to one the runtime or
// the tool opened since: --in 7 must not read the runtime's eventfd
// because fd 7 happened to be free at the start.
func Inherited(fd int) bool {
	for _, own := range startFDs {
		if fd == own {
			return false
		}
	}
	if fd <= 2 && reopened(fd) {
		return false // the runtime's stand-in for one the shell closed
	}
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}
