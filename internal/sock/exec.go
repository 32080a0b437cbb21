package sock

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// StartError is a command that could not be started on a socket: Object
// names what failed ("socket", "/bin/sh").
type StartError struct {
	Object string
	Err    error
}

func (e *StartError) Error() string { return e.Object + ": " + e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Exec runs /bin/sh -c command with the socket fd as its standard input
// and output and stderr as its standard error. With wait it returns the
// command's exit status (128+N for a signal N), or ctx's error after
// sending the command SIGTERM when ctx ends first; without, it returns 0
// at once and reaps the command in the background. The caller keeps fd
// and closes it.
func Exec(ctx context.Context, fd int, command string, stderr io.Writer, wait bool) (int, error) {
	cmd, err := start(fd, command, stderr)
	if err != nil {
		return 0, err
	}
	if !wait {
		go cmd.Wait() // reap it; each -k connection has its own process
		return 0, nil
	}
	return waitCmd(ctx, cmd)
}

// start runs /bin/sh -c command with fd, made blocking, as its standard
// input and output.
func start(fd int, command string, stderr io.Writer) (*exec.Cmd, error) {
	if err := unix.SetNonblock(fd, false); err != nil {
		return nil, &StartError{"socket", err}
	}
	// The child gets its own copy of the descriptor as its 0 and 1. The
	// copy is close-on-exec, and so is every descriptor this process
	// inherited: the command gets exactly 0, 1 and 2, never a spare copy
	// of a connection that would keep its peer waiting for end-of-file
	// after the command closed its output.
	inheritNothing()
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, &StartError{"socket", err}
	}
	f := os.NewFile(uintptr(dup), "socket")
	defer f.Close()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, stderr
	if err := cmd.Start(); err != nil {
		return nil, &StartError{"/bin/sh", err}
	}
	return cmd, nil
}

// waitCmd waits for cmd and returns its exit status (128+N for a signal
// N), or ctx's error after sending it SIGTERM when ctx ends first.
func waitCmd(ctx context.Context, cmd *exec.Cmd) (int, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return 0, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		st := ee.Sys().(syscall.WaitStatus)
		if st.Signaled() {
			return 128 + int(st.Signal()), nil
		}
		return st.ExitStatus(), nil
	}
	return 0, err
}

// inheritNothing marks every descriptor above 2 close-on-exec, so that a
// command run by Exec gets only its standard three (the Go runtime's own
// are all close-on-exec already; these are the ones our parent left open).
func inheritNothing() {
	if unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	// Before Linux 5.11: one by one.
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 2 {
			unix.CloseOnExec(n)
		}
	}
}
