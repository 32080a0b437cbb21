package cli

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sys/unix"
)

// errOutputGone cancels a reader whose standard output lost its reader.
var errOutputGone = errors.New("standard output closed by its reader")

// WatchOutput returns a context that is cancelled with errOutputGone as
// soon as fd, standard output, reports POLLERR or POLLHUP: the reader of
// its pipe (head -1, say) has exited. A tool waiting for its next input
// (a message, a change to follow) then stops at once instead of when that
// input comes, as tail -f does. stop ends the watch.
func WatchOutput(ctx context.Context, fd int) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return ctx, func() { cancel(nil) }
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(wake), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(p, -1)
			switch {
			case err == unix.EINTR:
				continue
			case err != nil || n == 0 || p[1].Revents != 0 || p[0].Revents&unix.POLLNVAL != 0:
				return
			case p[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0:
				cancel(errOutputGone)
				return
			}
		}
	}()
	return ctx, func() {
		unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		wg.Wait()
		unix.Close(wake)
		cancel(nil)
	}
}

// OutputGone turns err, when it is the cancellation by WatchOutput, into
// the quiet exit of a closed standard output (141); other errors pass.
func OutputGone(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), errOutputGone) {
		return errStdoutClosed
	}
	return err
}
