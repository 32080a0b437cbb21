package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/relay"
)

// errIdle is the cause of a run that -t stopped.
var errIdle = errors.New("idle")

// notFIFO refuses a path that is something other than a FIFO.
func notFIFO(path string, mode uint32) error {
	what := "not a FIFO"
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return cli.Failf(path, "give the FIFO's own path", "is a symbolic link; fifocat does not follow it")
	case unix.S_IFREG:
		what = "a regular file, not a FIFO"
	case unix.S_IFDIR:
		what = "a directory, not a FIFO"
	case unix.S_IFSOCK:
		what = "a socket, not a FIFO"
	case unix.S_IFCHR, unix.S_IFBLK:
		what = "a device, not a FIFO"
	}
	return cli.Failf(path, "fifocat uses only FIFOs", "is %s", what)
}

// mkfifo creates path with exactly mode (the umask does not apply: -m
// means what it says, and 0600 stays 0600).
func mkfifo(path string, mode uint32) error {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	return unix.Mkfifo(path, mode)
}

// prepare makes sure path is a FIFO, creating it when absent. It refuses
// anything else before opening it, so that no device is opened by mistake.
// created tells whether this run made it.
func prepare(o *options, path string) (created bool, err error) {
	for {
		var st unix.Stat_t
		err := unix.Lstat(path, &st)
		switch {
		case err == nil && o.Excl:
			return false, cli.Failf(path, "-x refuses an existing path", "already exists")
		case err == nil && st.Mode&unix.S_IFMT != unix.S_IFIFO:
			return false, notFIFO(path, st.Mode)
		case err == nil:
			return false, nil
		case err != unix.ENOENT:
			return false, dirErr(path, err)
		}
		err = mkfifo(path, o.Mode.Or(0o600))
		if err == unix.EEXIST && !o.Excl {
			continue // created by the peer meanwhile
		}
		if err != nil {
			return false, dirErr(path, err)
		}
		return true, nil
	}
}

// dirErr explains a failure to look up or create path that comes from
// its directory.
func dirErr(path string, err error) error {
	dir := filepath.Dir(path)
	switch err {
	case unix.ENOENT:
		return cli.Failf(path, "create it first, or give a path in an existing directory", "cannot create the FIFO: directory %s does not exist", dir)
	case unix.ENOTDIR:
		return cli.Failf(path, "give a path whose directories exist", "cannot create the FIFO: %s is not a directory", dir)
	case unix.EACCES, unix.EPERM:
		return cli.Failf(path, "use a directory you may write to, such as $XDG_RUNTIME_DIR or /tmp", "cannot create the FIFO: permission denied in %s", dir)
	case unix.EROFS:
		return cli.Failf(path, "use a writable directory such as /tmp", "cannot create the FIFO: %s is on a read-only file system", dir)
	}
	return cli.Fail(path, fmt.Errorf("mkfifo: %w", err), "")
}

// forget removes the FIFO this run created when the run failed or moved
// nothing (-n found no peer, -t expired), so that a failed attempt leaves
// no file behind. It removes it only if it is still the FIFO created and
// no other process holds it open or is opening it (by device and inode,
// as --rm --stale judges); a peer opening it at that very instant may
// still find it gone.
func forget(path string, st *unix.Stat_t) {
	var now unix.Stat_t
	if unix.Lstat(path, &now) != nil || now.Dev != st.Dev || now.Ino != st.Ino {
		return
	}
	self := os.Getpid()
	if inUse(self).others(procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}, self) {
		return
	}
	unix.Unlink(path)
}

// open opens the FIFO without following a symlink and without blocking
// (a writer's open fails with ENXIO while there is no reader), then proves
// with fstat that it is a FIFO before a byte moves.
func open(path string, flags int) (int, error) {
	fd, err := unix.Open(path, flags|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == unix.ELOOP {
		return -1, notFIFO(path, unix.S_IFLNK)
	}
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, cli.Fail(path, err, "")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		unix.Close(fd)
		return -1, notFIFO(path, st.Mode)
	}
	return fd, nil
}

// growTo is the capacity fifocat gives the FIFO, and the pipes on its
// standard input and output, when -s is not given: 1 MiB (or
// fs.pipe-max-size, if lower) instead of the default 64 KiB, so that
// writer and reader wake each other 16 times less often.
const growTo = 1 << 20

// setSize applies -s to the open FIFO, or without -s grows it and the
// pipe at the other side of the copy (std, if it is one).
func setSize(o *options, path string, fd, std int) error {
	if !o.Size.Set {
		relay.Grow(fd, growTo)
		if relay.KindOf(std) == relay.Pipe {
			relay.Grow(std, growTo)
		}
		return nil
	}
	if _, err := relay.SetPipeSize(fd, o.Size.N); err != nil {
		return cli.Fail(path, err, "")
	}
	return nil
}

// watch bounds a run by -t: the context ends when nothing has moved for
// the -t duration (while waiting for a peer or in the middle of a
// transfer), with errIdle as its cause.
func watch(ctx context.Context, o *options, m *meter.Meter) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	if o.Timeout.Set {
		go idle(ctx, cancel, o.Timeout.D, m)
	}
	return ctx, func() { cancel(nil) }
}

// idle cancels ctx with errIdle once m has counted nothing new for d.
func idle(ctx context.Context, cancel context.CancelCauseFunc, d time.Duration, m *meter.Meter) {
	last, at := m.Bytes(), time.Now()
	tick := time.NewTicker(min(max(d/10, time.Millisecond), 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if n := m.Bytes(); n != last {
				last, at = n, now
			} else if now.Sub(at) >= d {
				cancel(errIdle)
				return
			}
		}
	}
}

// ended turns the end of a bounded run into SPEC's rule: stopped by -t,
// exit 0 if data moved and 3 if none did.
func ended(ctx context.Context, err error, m *meter.Meter, path, what string) error {
	if err != nil && errors.Is(context.Cause(ctx), errIdle) {
		if m.Moved() {
			return nil
		}
		return cli.Timeout(path, what)
	}
	return err
}

// read copies the FIFO to standard output until the last writer closes,
// or with -k until a signal or -t of idle time.
func read(ctx context.Context, env *cli.Env, o *options, path string) error {
	waiting := false
	if o.Nonblock {
		// A writer blocked in open(2) for want of a reader is a peer: the
		// open below lets it go, and its bytes are what -n reads.
		var st unix.Stat_t
		if unix.Lstat(path, &st) == nil {
			waiting = len(inUse(os.Getpid()).opening[procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}]) > 0
		}
	}
	fd, err := open(path, unix.O_RDONLY)
	if err != nil {
		return openErr(path, err)
	}
	defer unix.Close(fd)
	if o.Keep {
		// Hold a write end ourselves: the FIFO then never reports end of
		// file, and writers may come and go.
		w, err := open(path, unix.O_WRONLY)
		if err != nil {
			return openErr(path, err)
		}
		defer unix.Close(w)
	}
	out := int(env.Stdout.Fd())
	if err := setSize(o, path, fd, out); err != nil {
		return err
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	ctx, cancel := watch(ctx, o, m)
	defer cancel()

	if o.Nonblock {
		err = readNow(ctx, o, path, fd, out, m, waiting)
	} else {
		if !o.Keep {
			// Until a writer has come, the FIFO reads as empty and ended:
			// wait for its first bytes, or for it to come and go.
			if err := waitPeer(ctx, fd); err != nil {
				if ctx.Err() == nil {
					return cli.Fail(path, err, "")
				}
				return ended(ctx, err, m, path, "waiting for a writer")
			}
		}
		_, err = relay.Copy(ctx, out, fd, m)
	}
	if m.Moved() {
		touch(fd)
	}
	if err = ended(ctx, err, m, path, "waiting for a writer"); err != nil {
		var we *relay.WriteError
		if errors.As(err, &we) {
			return cli.Output(we.Err)
		}
		var re *relay.ReadError
		if errors.As(err, &re) {
			return cli.Fail(path, re.Err, "")
		}
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("read", "from "+path))
	}
	return nil
}

// readNow is -r -n: it copies what the FIFO holds now and returns, without
// waiting for the writers to write more or to close it. Nothing at all is
// exit 3, unless a writer was waiting in open(2) for a reader (waiting):
// that writer was released by this reader's open, and its transfer runs
// as usual, to its end.
func readNow(ctx context.Context, o *options, path string, fd, out int, m *meter.Meter, waiting bool) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
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
				return cli.Nothing(path, "no writer has the FIFO open")
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
			_, err := relay.Copy(ctx, out, fd, m)
			return err
		}
		return cli.Nothing(path, "the writer has written nothing yet")
	}
}

// touch marks the FIFO's access and change times as now after a transfer
// that moved bytes, as read(2) and write(2) on it would have: splice(2)
// leaves them alone, and --stale --idle goes by them. Best effort (the
// owner, or a process that may write the FIFO, may do it).
func touch(fd int) {
	now := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
	unix.UtimesNanoAt(fd, "", now, unix.AT_EMPTY_PATH)
}

// waitPeer waits until the FIFO has data or a writer has come and gone.
func waitPeer(ctx context.Context, fd int) error {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	defer unix.Close(wake)
	stop := context.AfterFunc(ctx, func() { unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	defer stop()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
	for {
		if err := ctx.Err(); err != nil {
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
			return ctx.Err()
		}
		return nil
	}
}

// openWriter opens the FIFO for writing. Without -n it waits for a reader
// in a blocking open(2), as `cat > fifo` does: no CPU is spent, and the
// kernel counts the waiting writer, so a reader that opens the FIFO with
// O_NONBLOCK sees a writer and wakes it. Under -n a non-blocking open
// that fails with ENXIO means no reader.
func openWriter(ctx context.Context, o *options, path string) (int, error) {
	if o.Nonblock {
		fd, err := open(path, unix.O_WRONLY)
		if err == unix.ENXIO {
			return -1, cli.Nothing(path, "no reader has the FIFO open")
		}
		if err != nil {
			return -1, openErr(path, err)
		}
		return fd, nil
	}
	// Pin the FIFO first: an O_PATH descriptor proven to be a FIFO, and
	// reopened through /proc, names this inode and nothing else, so the
	// blocking open cannot be redirected to a device or a file.
	pfd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, openErr(path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		unix.Close(pfd)
		return -1, cli.Fail(path, err, "")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		unix.Close(pfd)
		return -1, notFIFO(path, st.Mode)
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
			return -1, openErr(path, r.err)
		}
		if err := unix.SetNonblock(r.fd, true); err != nil {
			unix.Close(r.fd)
			return -1, cli.Fail(path, err, "")
		}
		return r.fd, nil
	case <-ctx.Done():
		// The open stays blocked in its thread until the process exits,
		// which follows at once. Completing it by opening the FIFO for
		// reading ourselves would also release every other writer waiting
		// on it, into a reader that vanishes (SIGPIPE for a shell writer).
		return -1, ctx.Err()
	}
}

// write copies standard input into the FIFO, as a stream or with --lines
// line by line.
func write(ctx context.Context, env *cli.Env, o *options, path string) error {
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	ctx, cancel := watch(ctx, o, m)
	defer cancel()
	fd, err := openWriter(ctx, o, path)
	if err != nil {
		return ended(ctx, err, m, path, "waiting for a reader")
	}
	defer unix.Close(fd)
	in := int(env.Stdin.Fd())
	if err := setSize(o, path, fd, in); err != nil {
		return err
	}
	var lines int64
	if o.Lines {
		lines, err = relay.WriteLines(ctx, fd, in, m)
	} else {
		_, err = relay.Copy(ctx, fd, in, m)
	}
	if m.Moved() {
		touch(fd)
	}
	if errors.Is(context.Cause(ctx), errIdle) && err != nil {
		if !m.Moved() {
			return cli.Timeout(path, "waiting for the reader to take data")
		}
		env.Warnf("%s: the reader took nothing for %v; stopped after %d bytes", path, o.Timeout.D, m.Bytes())
		return nil
	}
	var le *relay.LineError
	var we *relay.WriteError
	var re *relay.ReadError
	switch {
	case errors.As(err, &le):
		return cli.Fail(path, le, "")
	case errors.As(err, &we) && errors.Is(we.Err, unix.EPIPE):
		return cli.Failf(path, "", "the reader closed the FIFO; %d bytes were written before that", m.Bytes())
	case errors.As(err, &we):
		return cli.Failf(path, "", "write: %v; %d bytes were written before that", cli.Message(we.Err), m.Bytes())
	case errors.As(err, &re):
		return cli.Failf("standard input", "", "%v; %d bytes were written to %s before that", cli.Message(re.Err), m.Bytes(), path)
	case err != nil:
		return err
	}
	if o.Verbose {
		verb := "wrote"
		if o.Lines {
			verb = fmt.Sprintf("wrote %d lines,", lines)
			if lines == 1 {
				verb = "wrote 1 line,"
			}
		}
		env.Warnf("%s", m.Summary(verb, "to "+path))
	}
	return nil
}

// openErr wraps a failure to open with the hint that applies.
func openErr(path string, err error) error {
	var ce *cli.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, os.ErrPermission) {
		return cli.Fail(path, err, "check its mode with fifocat --stat")
	}
	return cli.Fail(path, err, "")
}
