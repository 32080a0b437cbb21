package relay

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// Waiter waits for a descriptor to become ready or for its context to be
// done, whichever comes first: a signal (a cancelled context) must end a
// wait on a stalled pipe at once, which a blocking read(2) or write(2)
// never does under Go's restarting signal handlers. The eventfd it polls
// beside the descriptor is made on first use; when the descriptor limit
// leaves none for it, the Waiter polls in short slices instead.
type Waiter struct {
	ctx    context.Context
	wake   int
	stop   func() bool
	sliced bool // no eventfd to be had: poll in slices of sliceWait
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
	if w.stop == nil && !w.sliced {
		e, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		switch {
		case err == unix.EMFILE || err == unix.ENFILE:
			// No descriptor to spare (ulimit -n): wait in slices of
			// sliceWait instead, so that the run still gets to say
			// what it can say rather than fail here.
			w.sliced = true
		case err != nil:
			return err
		default:
			w.wake = e
			w.stop = context.AfterFunc(w.ctx, func() {
				unix.Write(e, []byte{1, 0, 0, 0, 0, 0, 0, 0})
			})
		}
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}, {Fd: int32(w.wake), Events: unix.POLLIN}}
	timeout := -1
	if w.sliced {
		fds, timeout = fds[:1], int(sliceWait/time.Millisecond)
	}
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Poll(fds, timeout)
		if err == unix.EINTR || n == 0 && err == nil {
			continue
		}
		if err != nil {
			return err
		}
		if len(fds) > 1 && fds[1].Revents != 0 {
			return w.ctx.Err()
		}
		return nil
	}
}

// sliceWait is how long one poll lasts when a Waiter has no eventfd: the
// most a cancel then waits to be seen.
const sliceWait = 50 * time.Millisecond

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
