package main

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sys/unix"
)

// errOutputGone cancels a reader whose standard output lost its reader.
var errOutputGone = errors.New("standard output closed by its reader")

// watchOutput returns a context that is cancelled with errOutputGone as
// soon as fd, standard output, reports POLLERR or POLLHUP: the reader of
// its pipe (head -1, say) has exited. A reader waiting for the next
// message then stops at once instead of when that message comes. stop
// ends the watch.
func watchOutput(ctx context.Context, fd int) (_ context.Context, stop func()) {
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

// outputGone turns the cancellation by watchOutput into the quiet exit of
// a closed standard output (141).
func outputGone(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), errOutputGone)
}
