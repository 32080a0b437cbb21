package cli

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/relay"
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
	watch, unwatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Asking for no event, the wait ends only on an error or a
		// hang-up of fd (or a descriptor closed under it: not ours).
		w := relay.NewWaiter(watch)
		defer w.Close()
		if w.Wait(fd, 0) == nil && hungUp(fd) {
			cancel(errOutputGone)
		}
	}()
	return ctx, func() {
		unwatch()
		wg.Wait()
		cancel(nil)
	}
}

// hungUp tells whether fd reports POLLERR or POLLHUP now.
func hungUp(fd int) bool {
	p := []unix.PollFd{{Fd: int32(fd)}}
	n, err := unix.Poll(p, 0)
	return err == nil && n == 1 && p[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0
}

// OutputGone turns err, when it is the cancellation by WatchOutput, into
// the quiet exit of a closed standard output (141); other errors pass.
func OutputGone(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(ctx), errOutputGone) {
		return errStdoutClosed
	}
	return err
}
