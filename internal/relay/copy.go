// Package relay holds the copy loops every tool shares. Copy moves a byte
// stream between two descriptors by the cheapest path the kernel offers:
// splice(2) when either side is a pipe, sendfile(2) from a regular file, a
// spliced bounce pipe between two non-pipes, and a read/write loop with one
// large buffer when nothing better applies. Memory stays flat: at most one
// buffer per copy, however much flows.
package relay

import (
	"context"
	"errors"
	"io"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// BufSize is the size of the read/write buffer and of each splice request.
const BufSize = 1 << 20

// ReadError and WriteError say which side of a copy failed, so that a tool
// can tell "stdin broke" from "stdout closed" (exit 141) from "peer gone".
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "read: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// WriteError is a failure on the destination side.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "write: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// Kind classifies a descriptor for choosing a path.
type Kind int

const (
	Other Kind = iota
	Pipe
	Socket
	Regular
	Char
)

// KindOf returns what fd refers to.
func KindOf(fd int) Kind {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return Other
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return Pipe
	case unix.S_IFSOCK:
		return Socket
	case unix.S_IFREG:
		return Regular
	case unix.S_IFCHR:
		return Char
	}
	return Other
}

// Copy moves bytes from src to dst until src reports end of file, counting
// them in m (which may be nil). It returns the number of bytes moved and
// the first error, as a *ReadError or *WriteError. Cancelling ctx stops the
// copy at the next moment it would wait for input.
func Copy(ctx context.Context, dst, src int, m *meter.Meter) (int64, error) {
	c := &copier{ctx: ctx, dst: dst, src: src, m: m}
	defer c.close()
	sk, dk := KindOf(src), KindOf(dst)
	if sk == Regular && m != nil && m.Total() == 0 {
		m.SetTotal(Remaining(src)) // --progress shows % and ETA
	}
	var err error
	switch {
	case sk == Pipe || dk == Pipe:
		err = c.splice(src, dst, true)
	case sk == Regular && dk != Regular:
		err = c.sendfile()
	case sk == Socket:
		err = c.bounce()
	default:
		err = errFallback
	}
	if errors.Is(err, errFallback) {
		err = c.readWrite()
	}
	return c.n, err
}

// Remaining is how many bytes a read of regular file fd from its offset
// to its end would return now; 0 when fd is not such a file.
func Remaining(fd int) int64 {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0
	}
	off, err := unix.Seek(fd, 0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return max(st.Size-off, 0)
}

// errFallback says the kernel refused a fast path before any byte moved
// (EINVAL, ENOSYS): the caller falls back to read/write.
var errFallback = errors.New("fast path unavailable")

type copier struct {
	ctx      context.Context
	dst, src int
	m        *meter.Meter
	n        int64
	w        *Waiter // made on the first wait
	pr, pw   int     // bounce pipe
}

func (c *copier) close() {
	if c.w != nil {
		c.w.Close()
	}
	if c.pr > 0 {
		unix.Close(c.pr)
		unix.Close(c.pw)
	}
}

func (c *copier) moved(n int) {
	c.n += int64(n)
	if c.m != nil {
		c.m.Add(n)
	}
}

// wait blocks until fd is ready for events or ctx is done.
func (c *copier) wait(fd int, events int16) error {
	if c.w == nil {
		c.w = NewWaiter(c.ctx)
	}
	return c.w.Wait(fd, events)
}

// splice moves src to dst where one of them is a pipe. When the first
// splice fails with EINVAL (a tty, an O_APPEND file) and fallback is
// allowed, it reports errFallback.
func (c *copier) splice(src, dst int, fallback bool) error {
	first := true
	inputReady := false // the last wait was for input, and it came
	for {
		n, err := unix.Splice(src, nil, dst, nil, BufSize, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		switch {
		case n > 0:
			c.moved(int(n))
			first, inputReady = false, false
			continue
		case err == nil: // n == 0: end of input
			return nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// Either side may be the one not ready. Input is the usual
			// wait (one poll per message); only when input was ready
			// and still nothing moved is it the output's room.
			fd, ev := src, int16(unix.POLLIN)
			if inputReady {
				fd, ev = dst, unix.POLLOUT
			}
			if err := c.wait(fd, ev); err != nil {
				return err
			}
			inputReady = !inputReady
			continue
		case first && fallback && (err == unix.EINVAL || err == unix.ENOSYS):
			return errFallback
		}
		return c.sideError(err)
	}
}

// sideError decides whether a splice error belongs to the reader or the writer.
func (c *copier) sideError(err error) error {
	switch err {
	case unix.EPIPE, unix.ENOSPC, unix.EDQUOT, unix.EFBIG:
		return &WriteError{err}
	}
	return &ReadError{err}
}

// sendfile moves a regular file to a non-pipe in kernel space.
func (c *copier) sendfile() error {
	first := true
	for {
		n, err := unix.Sendfile(c.dst, c.src, nil, BufSize)
		switch {
		case n > 0:
			c.moved(n)
			first = false
			continue
		case err == nil:
			return nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := c.wait(c.dst, unix.POLLOUT); err != nil {
				return err
			}
			continue
		case first && (err == unix.EINVAL || err == unix.ENOSYS):
			return errFallback
		}
		return &WriteError{err}
	}
}

// bounce splices a non-pipe source through a private pipe: socket -> pipe
// -> destination, no byte crossing into user space.
func (c *copier) bounce() error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return errFallback
	}
	c.pr, c.pw = p[0], p[1]
	unix.FcntlInt(uintptr(c.pw), unix.F_SETPIPE_SZ, BufSize) // best effort; the default 64K works too
	first := true
	for {
		if err := c.wait(c.src, unix.POLLIN); err != nil {
			return err
		}
		n, err := unix.Splice(c.src, nil, c.pw, nil, BufSize, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil && first && (err == unix.EINVAL || err == unix.ENOSYS):
			return errFallback
		case err != nil:
			return &ReadError{err}
		case n == 0:
			return nil
		}
		first = false
		for left := n; left > 0; {
			m, err := unix.Splice(c.pr, nil, c.dst, nil, int(left), unix.SPLICE_F_MOVE)
			if err == unix.EINTR || err == unix.EAGAIN {
				if err == unix.EAGAIN {
					if err := c.wait(c.dst, unix.POLLOUT); err != nil {
						return err
					}
				}
				continue
			}
			if err == unix.EINVAL || err == unix.ENOSYS {
				// The destination takes no splice (a tty, an O_APPEND
				// file): hand over what the bounce pipe holds by
				// read/write, then go on without splicing.
				if err := c.drainBounce(left); err != nil {
					return err
				}
				return errFallback
			}
			if err != nil {
				return &WriteError{err}
			}
			left -= m
			c.moved(int(m))
		}
	}
}

// drainBounce moves the n bytes waiting in the bounce pipe to dst.
func (c *copier) drainBounce(n int64) error {
	buf := make([]byte, min(n, BufSize))
	for n > 0 {
		got, err := unix.Read(c.pr, buf[:min(n, int64(len(buf)))])
		if err == unix.EINTR {
			continue
		}
		if err != nil || got == 0 {
			return &ReadError{err}
		}
		if err := WriteAll(c.ctx, c.dst, buf[:got]); err != nil {
			return &WriteError{err}
		}
		c.moved(got)
		n -= int64(got)
	}
	return nil
}

// readWrite is the portable loop: one buffer, every short write retried.
func (c *copier) readWrite() error {
	n, err := readWrite(c.ctx, c.dst, c.src, make([]byte, BufSize), KindOf(c.src) != Regular, c.m, nil, dump.Sent)
	c.n += n
	return err
}

// readWrite is the one read(2)/write(2) loop of every stream copy that
// does not splice: Copy's fallback, sockcat's pumps to and from a
// terminal, and every copy that records its traffic (TeeCopy). It moves
// src to dst through buf, giving each chunk to tee (which may be nil) in
// direction d once written, and counts in m (which may be nil) exactly
// the bytes dst took: a write that failed half-way counts, and tells tee,
// the part written. With waitFirst it waits for input before each read,
// so that ctx also ends a wait on a blocking src; it always waits out
// EAGAIN. Errors are a *ReadError or *WriteError.
func readWrite(ctx context.Context, dst, src int, buf []byte, waitFirst bool, m *meter.Meter, tee Tee, d dump.Dir) (int64, error) {
	r := &fdReader{ctx: ctx, fd: src, waitFirst: waitFirst}
	defer r.Close()
	var n int64
	for {
		k, err := r.Read(buf)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, &ReadError{err}
		}
		w, err := Write(ctx, dst, buf[:k])
		tee.record(d, nil, buf[:w])
		n += int64(w)
		if m != nil {
			m.Add(w)
		}
		if err != nil {
			return n, &WriteError{err}
		}
	}
}

// No splice here passes SPLICE_F_MORE: to a TCP socket it corks each
// send for up to 200 ms waiting for more, and SPEC forbids delaying bytes
// the tool already has.

// WriteAll writes all of b to fd, retrying short writes, EINTR and EAGAIN.
// It gives way to ctx: on a pipe it writes no more than the pipe has room
// for, after waiting for room with ctx, so a stalled reader cannot hold a
// tool past its stop signal. It returns ctx's error then, with the part of
// b not written undelivered (Write says how much was).
func WriteAll(ctx context.Context, fd int, b []byte) error {
	_, err := Write(ctx, fd, b)
	return err
}

// Write is WriteAll that also returns how many bytes of b were written.
func Write(ctx context.Context, fd int, b []byte) (written int, err error) {
	var w *Waiter
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		chunk := b
		if r, ok := room(fd); ok {
			if r == 0 {
				if w == nil {
					w = NewWaiter(ctx)
				}
				if err := w.Wait(fd, unix.POLLOUT); err != nil {
					return written, err
				}
				continue
			}
			chunk = b[:min(len(b), r)]
		}
		n, err := unix.Write(fd, chunk)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if w == nil {
				w = NewWaiter(ctx)
			}
			if err := w.Wait(fd, unix.POLLOUT); err != nil {
				return written, err
			}
			continue
		case err != nil:
			return written, err
		case n == 0:
			return written, io.ErrShortWrite
		}
		b = b[n:]
		written += n
	}
	return written, nil
}

// ReadFull reads into b until it is full or fd ends, retrying EINTR and
// EAGAIN. Before each read of anything but a regular file it waits for
// input with ctx, so a signal ends a wait on an idle stdin. It returns
// the bytes read; a short count with a nil error means end of input.
func ReadFull(ctx context.Context, fd int, b []byte) (int, error) {
	w := NewWaiter(ctx)
	defer w.Close()
	regular := KindOf(fd) == Regular
	got := 0
	for got < len(b) {
		if !regular {
			if err := w.Wait(fd, unix.POLLIN); err != nil {
				return got, err
			}
		}
		n, err := unix.Read(fd, b[got:])
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return got, err
		case n == 0:
			return got, nil
		}
		got += n
	}
	return got, nil
}
