package sock

import (
	"context"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/relay"
)

// Counted is a command started by ExecCounted: Wait relays between the
// connection and the command until both are done, and returns the
// command's exit status and what went each way.
type Counted struct {
	Wait func(ctx context.Context) (code int, res relay.Result, err error)
}

// ExecCounted is Exec for -e with -v: the command gets one end of a
// socket pair of the connection's type (stream or seqpacket) as its
// standard input and output, and Wait relays between the other end and
// the connection, counting bytes (and messages). Sent is what the command
// sent to the peer. fd stays the caller's: ExecCounted works on a copy, so
// the caller may close fd once it returns.
func ExecCounted(fd int, command string, stderr io.Writer) (*Counted, error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, &StartError{"socket", os.NewSyscallError("getsockopt SO_TYPE", err)}
	}
	conn, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, &StartError{"socket", err}
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(conn)
		return nil, &StartError{"socket pair", os.NewSyscallError("socketpair", err)}
	}
	cmd, err := start(pair[1], command, stderr)
	unix.Close(pair[1]) // the command's end: only the command holds it now
	if err == nil {
		err = unix.SetNonblock(pair[0], true)
	}
	if err != nil {
		unix.Close(conn)
		unix.Close(pair[0])
		return nil, err
	}
	unix.SetNonblock(conn, true)
	return &Counted{Wait: func(ctx context.Context) (int, relay.Result, error) {
		defer unix.Close(conn)
		defer unix.Close(pair[0])
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		var res relay.Result
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.Received, res.ReceivedMsgs = pump(rctx, pair[0], conn, typ)
		}()
		// The command's output, to its end: then the peer sees end of file.
		res.Sent, res.SentMsgs = pump(ctx, conn, pair[0], typ)
		// A command that writes on after the peer has gone gets EPIPE,
		// as it would on the connection itself.
		unix.Shutdown(pair[0], unix.SHUT_RD)
		code, err := waitCmd(ctx, cmd)
		stop() // the command is gone: nothing more goes to it
		wg.Wait()
		return code, res, err
	}}, nil
}

// pump moves src to dst until src's end of file (or ctx's end, or an
// error either side), then shuts dst's write side down. It returns the
// bytes and, for seqpacket, the messages moved.
func pump(ctx context.Context, dst, src, typ int) (n, msgs int64) {
	defer unix.Shutdown(dst, unix.SHUT_WR)
	if typ != unix.SOCK_SEQPACKET {
		n, _ = relay.Copy(ctx, dst, src, nil)
		return n, 0
	}
	w := relay.NewWaiter(ctx)
	defer w.Close()
	buf := make([]byte, 64<<10)
	for {
		k, err := relay.RecvMsg(w, src, &buf)
		if err != nil || k == 0 {
			return n, msgs
		}
		if relay.SendMsg(w, dst, buf[:k], nil) != nil {
			return n, msgs
		}
		n += int64(k)
		msgs++
	}
}
