package tap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/sock"
)

// Serve accepts clients until ctx is done or accepting fails, and relays
// each to t.Real in both directions, recording every chunk and each
// client's arrival and departure with rec. When it returns, the
// connections it relayed are closed.
func (t *Tap) Serve(ctx context.Context, rec *dump.Recorder) error {
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	w := relay.NewWaiter(ctx)
	defer w.Close()
	for n := 1; ; {
		fd, _, err := unix.Accept4(t.fd, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		switch err {
		case nil:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			if err := w.Wait(t.fd, unix.POLLIN); err != nil {
				return err
			}
			continue
		default:
			return os.NewSyscallError("accept", err)
		}
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			t.pass(cctx, n, fd, rec)
		}(n)
		n++
	}
}

// who names a connected Unix peer from SO_PEERCRED and /proc/PID/comm:
// "pid 42 uid 1000 (curl)".
func who(fd int) string {
	c, err := sock.PeerCred(fd)
	if err != nil {
		return "pid ? uid ?"
	}
	return fmt.Sprintf("pid %d uid %d (%s)", c.PID, c.UID, procfs.Comm(c.PID))
}

// pass connects client n (fd) to the server and copies both ways until
// both directions have ended, or ctx.
func (t *Tap) pass(ctx context.Context, n, fd int, rec *dump.Recorder) {
	defer unix.Close(fd)
	peer := who(fd)
	rec.Event(n, peer, "connected")
	srv, _, err := sock.Connect(ctx, []sock.Addr{t.Real}, sock.Patience{Timeout: probeTimeout})
	if err != nil {
		rec.Event(n, peer, "closed: the server at "+t.Real.Path+" did not take it: "+errText(err))
		return
	}
	defer unix.Close(srv)
	msgs := t.Real.Type == sock.Seqpacket
	var up, down pumped
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		up = pump(ctx, fd, srv, msgs, func(b []byte) { rec.Record(n, dump.Sent, peer, b) })
	}()
	down = pump(ctx, srv, fd, msgs, func(b []byte) { rec.Record(n, dump.Received, peer, b) })
	wg.Wait()
	what := fmt.Sprintf("closed: > %s, < %s", meter.Count(up.n, "byte"), meter.Count(down.n, "byte"))
	for _, p := range []pumped{up, down} {
		if p.err != nil && ctx.Err() == nil {
			what += " (" + p.err.Error() + ")"
			break
		}
	}
	if ctx.Err() != nil {
		what += " (cut: sockcat is stopping)"
	}
	rec.Event(n, peer, what)
}

// errText is an error's text without the system call's name.
func errText(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return err.Error()
}

// pumped is how one direction of a relay ended: bytes moved, and the
// error that ended it (nil: the source's end).
type pumped struct {
	n   int64
	err error
}

// pump copies src to dst, seen by each chunk (or, with msgs, each
// message, kept whole) before it is written, until src ends (then dst's
// write side is shut down, so the other side sees the end too) or either
// fails (then both are shut down, which ends the other direction's pump).
func pump(ctx context.Context, src, dst int, msgs bool, seen func([]byte)) (p pumped) {
	w := relay.NewWaiter(ctx)
	defer w.Close()
	buf := make([]byte, 64<<10)
	for {
		var m int
		var err error
		if msgs {
			m, err = relay.RecvMsg(w, src, &buf)
		} else {
			m, err = readSome(w, src, buf)
		}
		if err == nil && m == 0 {
			unix.Shutdown(dst, unix.SHUT_WR)
			return p
		}
		if err == nil {
			seen(buf[:m])
			if msgs {
				err = relay.SendMsg(w, dst, buf[:m], nil)
			} else {
				err = relay.WriteAll(ctx, dst, buf[:m])
			}
		}
		if err != nil {
			unix.Shutdown(src, unix.SHUT_RDWR)
			unix.Shutdown(dst, unix.SHUT_RDWR)
			p.err = errors.Unwrap(err)
			if p.err == nil {
				p.err = err
			}
			return p
		}
		p.n += int64(m)
	}
}

// readSome reads what src has, waiting with w when it has nothing yet.
func readSome(w *relay.Waiter, src int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(src, buf)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := w.Wait(src, unix.POLLIN); err != nil {
				return 0, err
			}
			continue
		}
		return 0, err
	}
}
