package ring

import (
	"context"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/relay"
)

// wakeOnDone makes a side sleeping on the futex word w give way as soon as
// ctx is done (a SIGTERM), not at the end of its tick. It clears the word
// before waking it, so that a side about to sleep on it (it looked at ctx
// just before the cancel) does not sleep at all: FUTEX_WAIT on a word that
// is no longer 1 returns at once. Only this side sleeps on w, so clearing
// it loses nobody's wake-up. The returned func stops the arrangement.
func wakeOnDone(ctx context.Context, w *atomic.Uint32) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		w.Store(0)
		wake(w)
	})
}

// output writes the ring's filled spans to a descriptor without ever
// blocking where a signal cannot reach: into a pipe it writes at most
// what the pipe has room for, and waits for room (or for ctx) in poll(2)
// beside an eventfd that ctx wakes, as relay.Write does.
type output struct {
	fd   int
	pipe bool
	w    *relay.Waiter
}

func newOutput(ctx context.Context, fd int) *output {
	_, pipe := pipeRoom(fd)
	return &output{fd: fd, pipe: pipe, w: relay.NewWaiter(ctx)}
}

func (o *output) close() { o.w.Close() }

// limit returns how many of n bytes one write may move now: n, or the
// room left in the pipe, 0 when it is full.
func (o *output) limit(n uint64) uint64 {
	if !o.pipe {
		return n
	}
	r, ok := pipeRoom(o.fd)
	if !ok {
		return n
	}
	return min(n, uint64(r))
}

// wait blocks until the descriptor takes more, or ctx is done.
func (o *output) wait() error { return o.w.Wait(o.fd, unix.POLLOUT) }

// pipeRoom is how many bytes a write to fd takes now without blocking,
// when fd is a pipe: its capacity less what is queued. ok is false for
// anything else.
func pipeRoom(fd int) (n int, ok bool) {
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
