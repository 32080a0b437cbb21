// Package pipeout writes to standard output without ever sleeping in a
// write(2) that a signal cannot end. A pipe that nobody reads (or that a
// slow reader empties a little at a time) can hold a blocking write for
// ever, and Go's signal handlers restart it; so a pipe is written through
// a descriptor of its own, opened again through /proc/self/fd with
// O_NONBLOCK (the shared file description, which other processes may use,
// keeps its flags), and a full pipe is waited for in poll(2) beside an
// eventfd that the context wakes. Where that open is refused, each write
// is bounded by the pipe's free room instead, which is exact while the
// reader takes nothing, the case that matters.
package pipeout

import (
	"context"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/relay"
)

// Writer writes to one descriptor, giving way to its context.
type Writer struct {
	ctx  context.Context
	fd   int  // where writes go: the non-blocking reopening, or the original
	own  bool // fd is ours to close
	pipe bool // the output is a pipe (or FIFO)
	nb   bool // fd does not block
	w    *relay.Waiter
}

// New returns a Writer for fd bound to ctx. Close releases it.
func New(ctx context.Context, fd int) *Writer {
	o := &Writer{ctx: ctx, fd: fd, w: relay.NewWaiter(ctx)}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return o
	}
	o.pipe = true
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK != 0 {
		o.nb = true // already non-blocking: use it as it is
		return o
	}
	nfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return o
	}
	var nst unix.Stat_t
	if unix.Fstat(nfd, &nst) != nil || nst.Dev != st.Dev || nst.Ino != st.Ino {
		unix.Close(nfd)
		return o
	}
	o.fd, o.own, o.nb = nfd, true, true
	return o
}

// Close releases the reopened descriptor and the waiter.
func (o *Writer) Close() {
	if o.own {
		unix.Close(o.fd)
		o.own = false
	}
	o.w.Close()
}

// Fd is the descriptor to write to.
func (o *Writer) Fd() int { return o.fd }

// Limit returns how many of n bytes one write to Fd may be given: n, or,
// for a blocking pipe, its free room (0 when full: Wait, then try again).
func (o *Writer) Limit(n int) int {
	if !o.pipe || o.nb {
		return n
	}
	c, err := unix.FcntlInt(uintptr(o.fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return n
	}
	q, err := unix.IoctlGetInt(o.fd, unix.TIOCINQ)
	if err != nil {
		return n
	}
	return min(n, max(c-q, 0))
}

// Wait blocks until the output takes more, or the context is done (its
// error is returned).
func (o *Writer) Wait() error { return o.w.Wait(o.fd, unix.POLLOUT) }

// Write writes all of b, waiting for room as needed; it stops early with
// the context's error, or the write's. It is relay.Write on Fd: on the
// non-blocking twin a write takes what fits and never sleeps.
func (o *Writer) Write(b []byte) (written int, err error) {
	return relay.Write(o.ctx, o.fd, b)
}
