package relay

import (
	"context"

	"golang.org/x/sys/unix"
)

// Waiter waits for a descriptor to become ready or for its context to be
// done, whichever comes first: a signal (a cancelled context) must end a
// wait on a stalled pipe at once, which a blocking read(2) or write(2)
// never does under Go's restarting signal handlers. The eventfd it polls
// beside the descriptor is made on first use.
type Waiter struct {
	ctx  context.Context
	wake int
	stop func() bool
}

// NewWaiter returns a Waiter bound to ctx. Close releases it.
func NewWaiter(ctx context.Context) *Waiter { return &Waiter{ctx: ctx, wake: -1} }

// Close releases the eventfd, if one was made.
func (w *Waiter) Close() {
	if w.stop != nil {
		w.stop()
		unix.Close(w.wake)
		w.stop, w.wake = nil, -1
	}
}

// Wait blocks until fd reports one of events (or an error or hang-up,
// which the next read or write will tell) or the context is done, and then
// returns the context's error.
func (w *Waiter) Wait(fd int, events int16) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.stop == nil {
		e, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			return err
		}
		w.wake = e
		w.stop = context.AfterFunc(w.ctx, func() {
			unix.Write(e, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		})
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}, {Fd: int32(w.wake), Events: unix.POLLIN}}
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if fds[1].Revents != 0 {
			return w.ctx.Err()
		}
		return nil
	}
}

// WaitFD is a one-off Waiter.Wait, for a wait that comes rarely (a full
// socket buffer); a loop that waits at every turn keeps a Waiter.
func WaitFD(ctx context.Context, fd int, events int16) error {
	w := NewWaiter(ctx)
	defer w.Close()
	return w.Wait(fd, events)
}

// room is how many bytes a write to fd can take now without blocking,
// when fd is a pipe: its capacity less what is queued. ok is false for
// anything else (a file, a tty, a socket), whose writes are not bounded
// this way.
func room(fd int) (n int, ok bool) {
	c, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return 0, false
	}
	q, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
	if err != nil {
		return 0, false
	}
	return max(c-q, 0), true
}
