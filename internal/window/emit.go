package window

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/pipeout"
	"github.com/ipcats/ipcats/internal/relay"
)

// chunk is the most Emit hands write(2) or vmsplice(2) at once, so that a
// signal is noticed between chunks of a large window.
const chunk = 1 << 20

// spliceMin is the least output that Emit hands a pipe by vmsplice(2)
// rather than write(2). Smaller windows (status records another program
// keeps updating) are copied, so the reader sees them as they were when
// read; large ones are not copied at all.
const spliceMin = 1 << 20

// PipeSize is what a smaller pipe is raised to by GrowPipe: fewer, larger
// hand-overs (the unprivileged maximum).
const PipeSize = 1 << 20

// GrowPipe raises a pipe smaller than PipeSize to it; a refusal (the
// per-user pipe limits) only costs speed.
func GrowPipe(fd int) {
	if cur, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err == nil && cur < PipeSize {
		unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, PipeSize)
	}
}

// FaultErr reports a mapping that faulted or a read(2)/write(2) through it
// that failed with EFAULT: the object shrank under us. total < 0 leaves
// out the "of N".
func FaultErr(obj string, done, total int64, verb string) error {
	if total >= 0 {
		return cli.Fail(obj, fault.ErrFault, fmt.Sprintf("%d of %d bytes were %s", done, total, verb))
	}
	return cli.Fail(obj, fault.ErrFault, fmt.Sprintf("%d bytes were %s", done, verb))
}

// IsFault tells whether err is a fault of the mapping: the guard's
// ErrFault or EFAULT from a call that touched it.
func IsFault(err error) bool {
	return errors.Is(err, fault.ErrFault) || errors.Is(err, unix.EFAULT)
}

// Emit copies b, a slice of a mapping, to fd. Into a pipe, a large b is
// handed over with vmsplice(2): the pipe takes references to the pages,
// and nothing is copied until the reader reads. Otherwise write(2) copies
// straight out of the mapping. Either way the kernel touches the mapping,
// so an object truncated under us is EFAULT, reported as such, and never
// SIGBUS.
func Emit(ctx context.Context, fd int, obj string, b []byte, m *meter.Meter) error {
	return emitPart(ctx, fd, obj, b, m, 0, int64(len(b)))
}

// emitPart is Emit of b, the part of a larger output of total bytes
// that starts done bytes in, so that a fault names its place in the
// whole.
func emitPart(ctx context.Context, fd int, obj string, b []byte, m *meter.Meter, done, total int64) error {
	splice := len(b) >= spliceMin && relay.KindOf(fd) == relay.Pipe
	if splice {
		GrowPipe(fd)
	}
	wait := relay.NewWaiter(ctx)
	defer wait.Close()
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int
		var err error
		if splice {
			iov := []unix.Iovec{{Base: &b[0]}}
			iov[0].SetLen(min(len(b), chunk))
			n, err = unix.Vmsplice(fd, iov, unix.SPLICE_F_NONBLOCK)
			if done == 0 && (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EBADF) {
				splice = false // not a pipe we may splice into: copy instead
				continue
			}
		} else {
			// relay.Write writes no more than a pipe has room for, after
			// waiting for room in a way a signal ends.
			n, err = relay.Write(ctx, fd, b[:min(len(b), chunk)])
		}
		if n > 0 {
			b = b[n:]
			done += int64(n)
			m.Add(n)
		}
		switch {
		case err == nil && n > 0:
			continue
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// The pipe is full: wait for room, or for a signal.
			if err := wait.Wait(fd, unix.POLLOUT); err != nil {
				return err
			}
			continue
		case errors.Is(err, unix.EFAULT):
			return FaultErr(obj, done, total, "printed")
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return cli.Output(err)
		}
		return cli.Fail("standard output", fmt.Errorf("write accepted nothing"), "")
	}
	return nil
}

// EmitFrom writes b, the slice of a mapping that starts at offset lo of
// the object open at src (src < 0: no descriptor), to out: from src when
// there is one (splice(2) into a pipe, sendfile(2) to anything else: page
// cache to output, no copy through this process), or for what that fast
// path refused, by write(2) straight from the mapping under the fault
// guard; without a descriptor (a System V segment), by Emit. Output that takes nothing (a pipe nobody reads) is waited
// for in poll(2), where a signal reaches, never in a blocked write.
func EmitFrom(ctx context.Context, out, src int, obj string, lo int64, b []byte, m *meter.Meter) error {
	if src < 0 {
		return Emit(ctx, out, obj, b, m) // a System V segment: vmsplice(2) into a pipe
	}
	if len(b) > 0 {
		sent, err := send(ctx, out, src, lo, int64(len(b)), m)
		if errors.Is(err, fault.ErrFault) {
			return cli.Fail(obj, err, "")
		}
		if err != nil {
			return err
		}
		b = b[sent:] // what the fast path left (it was refused): write it
	}
	pw := pipeout.New(ctx, out)
	defer pw.Close()
	err := fault.Guard(func() error { _, err := pw.Write(b); return err })
	if IsFault(err) {
		return cli.Fail(obj, fault.ErrFault, "")
	}
	if err != nil {
		return cli.Output(err)
	}
	m.Add(len(b))
	return nil
}

// send copies n bytes of src at offset lo to out by splice(2),
// non-blocking, when out is a pipe, else by sendfile(2). It returns how
// many it copied: fewer than n only when the kernel refuses the fast path
// before the end (the caller writes the rest).
func send(ctx context.Context, out, src int, lo, n int64, m *meter.Meter) (int64, error) {
	w := relay.NewWaiter(ctx)
	defer w.Close()
	pipe := relay.KindOf(out) == relay.Pipe
	off, end := lo, lo+n
	for off < end {
		if err := ctx.Err(); err != nil {
			return off - lo, err
		}
		want := int(min(end-off, 1<<30))
		var k int
		var err error
		if pipe {
			var k64 int64
			k64, err = unix.Splice(src, &off, out, nil, want, unix.SPLICE_F_NONBLOCK)
			k = int(k64)
		} else {
			k, err = unix.Sendfile(out, src, &off, want)
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := w.Wait(out, unix.POLLOUT); err != nil {
				return off - lo, err
			}
			continue
		case err == unix.EINVAL || err == unix.ENOSYS:
			return off - lo, nil // no fast path to this output
		case err != nil:
			return off - lo, cli.Output(err)
		case k == 0:
			return off - lo, fault.ErrFault // the object ends before the window does
		}
		m.Add(k)
	}
	return n, nil
}
