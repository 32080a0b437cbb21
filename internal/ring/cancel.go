package ring

import (
	"context"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/pipeout"
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
// blocking where a signal cannot reach (see package pipeout): a full pipe
// is waited for in poll(2), which ctx ends.
type output struct{ pw *pipeout.Writer }

func newOutput(ctx context.Context, fd int) *output {
	return &output{pipeout.New(ctx, fd)}
}

func (o *output) close() { o.pw.Close() }

// write writes up to n ring bytes from counter at. EAGAIN means the
// output takes nothing now: wait, then try again.
func (o *output) write(r *Ring, at, n uint64) (int, error) {
	k := o.pw.Limit(int(n))
	if k == 0 {
		return 0, unix.EAGAIN
	}
	return r.transfer(unix.SYS_WRITEV, o.pw.Fd(), at, uint64(k))
}

// wait blocks until the output takes more, or ctx is done.
func (o *output) wait() error { return o.pw.Wait() }
