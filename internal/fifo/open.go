package fifo

import (
	"context"
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
)

// End is one open end of a FIFO, non-blocking: the copy loops wait for it
// through relay.Waiter.
type End struct {
	Path string
	FD   int
	keep int // -k: our own write end, or -1
}

// Close closes the end (and the write end it keeps open).
func (e *End) Close() {
	unix.Close(e.FD)
	if e.keep >= 0 {
		unix.Close(e.keep)
	}
}

// open opens the FIFO without following a symlink and without blocking
// (a writer's open fails with ENXIO while there is no reader), then proves
// with fstat that it is a FIFO before a byte moves. A failure of open(2)
// itself is returned as is, for the caller's hint.
func open(path string, flags int) (int, error) {
	fd, err := unix.Open(path, flags|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == unix.ELOOP {
		return -1, NotFIFO(path, unix.S_IFLNK)
	}
	if err != nil {
		return -1, err
	}
	if err := isFIFO(path, fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// isFIFO proves that the open descriptor fd is a FIFO.
func isFIFO(path string, fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return cli.Fail(path, err, "")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return NotFIFO(path, st.Mode)
	}
	return nil
}

// OpenReader opens the FIFO for reading, at once: with no writer it reads
// as empty and ended until one comes (WaitPeer). With keep, it also holds
// a write end itself: the FIFO then never reports end of file, and
// writers may come and go (-k).
func OpenReader(path string, keep bool) (*End, error) {
	fd, err := open(path, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	e := &End{Path: path, FD: fd, keep: -1}
	if keep {
		if e.keep, err = open(path, unix.O_WRONLY); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	return e, nil
}

// WaitPeer waits until the FIFO has data or a writer has come and gone,
// or ctx is done (its error is returned then).
func (e *End) WaitPeer(ctx context.Context) error {
	w := relay.NewWaiter(ctx)
	defer w.Close()
	return w.Wait(e.FD, unix.POLLIN)
}

// OpenWriter opens the FIFO for writing. Without nonblock it waits for a
// reader in a blocking open(2), as `cat > fifo` does: no CPU is spent,
// and the kernel counts the waiting writer, so a reader that opens the
// FIFO with O_NONBLOCK sees a writer and wakes it (no poll(2) can wait
// for a FIFO's reader: this is the one wait not made by relay.Waiter).
// With nonblock, no reader is exit 3, "no reader has the FIFO open". A
// cancelled ctx (-t, a signal) ends the wait with its error.
func OpenWriter(ctx context.Context, path string, nonblock bool) (*End, error) {
	if nonblock {
		fd, err := open(path, unix.O_WRONLY)
		if err == unix.ENXIO {
			return nil, cli.Nothing(path, "no reader has the FIFO open")
		}
		if err != nil {
			return nil, err
		}
		return &End{Path: path, FD: fd, keep: -1}, nil
	}
	// Pin the FIFO first: an O_PATH descriptor proven to be a FIFO, and
	// reopened through /proc, names this inode and nothing else, so the
	// blocking open cannot be redirected to a device or a file.
	pfd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := isFIFO(path, pfd); err != nil {
		unix.Close(pfd)
		return nil, err
	}
	type opened struct {
		fd  int
		err error
	}
	done := make(chan opened, 1)
	// The opening thread owns pfd: while its open(2) is blocked, the
	// path it passed must keep naming this FIFO (--stale and --stat go by
	// it), also after a -t or a signal has given up on it.
	go func() {
		defer unix.Close(pfd)
		for {
			fd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(pfd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err != unix.EINTR {
				done <- opened{fd, err}
				return
			}
		}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		if err := unix.SetNonblock(r.fd, true); err != nil {
			unix.Close(r.fd)
			return nil, cli.Fail(path, err, "")
		}
		return &End{Path: path, FD: r.fd, keep: -1}, nil
	case <-ctx.Done():
		// The open stays blocked in its thread until the process exits,
		// which follows at once. Completing it by opening the FIFO for
		// reading ourselves would also release every other writer waiting
		// on it, into a reader that vanishes (SIGPIPE for a shell writer).
		return nil, ctx.Err()
	}
}

// growTo is the capacity given to the FIFO, and to the pipe at the other
// side of the copy, when no size is asked: 1 MiB (or fs.pipe-max-size,
// if lower) instead of the default 64 KiB, so that writer and reader wake
// each other 16 times less often.
const growTo = 1 << 20

// Size sets the FIFO's capacity to n bytes (-s), or with n 0 grows it and
// the pipe at the other side of the copy (other, if it is one) to growTo.
func (e *End) Size(n int64, other int) error {
	if n == 0 {
		relay.Grow(e.FD, growTo)
		if relay.KindOf(other) == relay.Pipe {
			relay.Grow(other, growTo)
		}
		return nil
	}
	if _, err := relay.SetPipeSize(e.FD, n); err != nil {
		return cli.Fail(e.Path, err, "")
	}
	return nil
}

// Touch marks the FIFO's access and change times as now after a transfer
// that moved bytes, as read(2) and write(2) on it would have: splice(2)
// leaves them alone, and --stale --idle goes by them. Best effort (the
// owner, or a process that may write the FIFO, may do it).
func (e *End) Touch() {
	now := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
	unix.UtimesNanoAt(e.FD, "", now, unix.AT_EMPTY_PATH)
}

// Waiting tells whether another process is blocked opening the FIFO at
// path for want of a peer.
func Waiting(path string) bool {
	f := lstat(path)
	return f != nil && len(Scan(os.Getpid()).Opening[f.Key]) > 0
}

// ReadNow is -r -n: it copies what the FIFO holds now to out and returns,
// without waiting for the writers to write more or to close it. Nothing at
// all is exit 3, unless a writer was waiting in open(2) for a reader
// (waiting): that writer was released by this reader's open, and its
// transfer runs as usual, to its end.
func (e *End) ReadNow(ctx context.Context, out int, m *meter.Meter, waiting bool) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(e.FD, buf)
		switch {
		case n > 0:
			if err := relay.WriteAll(ctx, out, buf[:n]); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return &relay.WriteError{Err: err}
			}
			m.Add(n)
			continue
		case err == unix.EINTR:
			continue
		case err == nil:
			// End of file: no writer holds the FIFO.
			if !m.Moved() {
				return cli.Nothing(e.Path, "no writer has the FIFO open")
			}
			return nil
		case err != unix.EAGAIN:
			return &relay.ReadError{Err: err}
		}
		// EAGAIN: a writer holds it and has nothing more buffered.
		switch {
		case m.Moved():
			return nil
		case waiting:
			_, err := relay.Copy(ctx, out, e.FD, m)
			return err
		}
		return cli.Nothing(e.Path, "the writer has written nothing yet")
	}
}

// ReaderGone reports whether err is a write that failed because the reader
// closed the FIFO (EPIPE).
func ReaderGone(err error) bool { return errors.Is(err, unix.EPIPE) }
