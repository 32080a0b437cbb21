package sock

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fdinfo"
	"github.com/ipcats/ipcats/internal/relay"
)

// Errors of binding a Unix path, for the caller's hints.
var (
	ErrPathExists = errors.New("path exists")
	ErrLive       = errors.New("a live socket: something answers there")
	ErrNotSocket  = errors.New("not a socket")
)

// ListenOptions shape a listener.
type ListenOptions struct {
	Mode   uint32 // permissions of a Unix socket file, applied through the umask at bind
	Unlink bool   // remove a stale socket file in the way (never anything else)
	// V6Only keeps an IPv6 listener to IPv6 clients (IPV6_V6ONLY, -6).
	// Without it, :: takes IPv4 clients too, and falls back to 0.0.0.0
	// when the kernel has no IPv6.
	V6Only bool
	// RcvBuf and SndBuf are -I and -O, for the listening socket and each
	// one it accepts (0: the kernel's default).
	RcvBuf, SndBuf int
}

// Listener is a bound socket: listening for stream and seqpacket, ready to
// receive for datagrams.
type Listener struct {
	FD   int
	Addr Addr
	bufs Local  // -I, -O: given to each accepted socket
	file bool   // we created a socket file at Addr.Path
	ino  uint64 // its inode, so Close never removes a replacement
}

// Listen creates, binds and (for connection types) listens.
func Listen(a Addr, o ListenOptions) (*Listener, error) {
	if a.Family == unix.AF_UNIX && !a.Abstract() {
		if err := clearPath(a.Path, o.Unlink); err != nil {
			return nil, err
		}
	}
	l, err := bound(a, o)
	if err != nil && dualStack(a, o) && (err == unix.EAFNOSUPPORT || err == unix.EADDRNOTAVAIL) {
		// No IPv6 here: the IPv4 wildcard still serves every IPv4 client.
		a.Family, a.IP = unix.AF_INET, netip.IPv4Unspecified()
		l, err = bound(a, o)
	}
	switch err {
	case nil:
	case unix.EAFNOSUPPORT:
		return nil, os.NewSyscallError("socket", err)
	case unix.EADDRNOTAVAIL:
		return nil, os.NewSyscallError("bind", err)
	default:
		return nil, err
	}
	fd := l.FD
	if a.Type != unix.SOCK_DGRAM {
		if err := unix.Listen(fd, 128); err != nil {
			l.Close(false)
			return nil, os.NewSyscallError("listen", err)
		}
	}
	if a.Family != unix.AF_UNIX && a.Port == 0 {
		if sa, err := unix.Getsockname(fd); err == nil {
			l.Addr.Port = FromSockaddr(sa, a.Type).Port
		}
	}
	return l, nil
}

// dualStack reports whether a is the IPv6 wildcard that takes IPv4
// clients too.
func dualStack(a Addr, o ListenOptions) bool {
	return a.Family == unix.AF_INET6 && a.IP.IsUnspecified() && !o.V6Only
}

// bound is a socket bound at a: an error from socket(2) or bind(2) is a
// bare unix.Errno, for Listen's fallback, or what bind says.
func bound(a Addr, o ListenOptions) (*Listener, error) {
	fd, err := unix.Socket(a.Family, a.Type|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err == unix.EAFNOSUPPORT {
		return nil, err
	}
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if a.Family != unix.AF_UNIX {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	if a.Family == unix.AF_INET6 {
		v6only := 0
		if o.V6Only {
			v6only = 1
		}
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only)
	}
	l := &Listener{FD: fd, Addr: a, bufs: Local{RcvBuf: o.RcvBuf, SndBuf: o.SndBuf}}
	if err := l.bufs.setBuffers(fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := l.bind(o.Mode); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EADDRNOTAVAIL) {
			return nil, unix.EADDRNOTAVAIL
		}
		return nil, err
	}
	return l, nil
}

// bind binds with the mode applied by the umask, so the file never exists
// with wider permissions (no chmod after bind).
func (l *Listener) bind(mode uint32) error {
	file := l.Addr.Family == unix.AF_UNIX && !l.Addr.Abstract()
	var err error
	if file {
		old := syscall.Umask(int(^mode & 0o777))
		err = bind(l.FD, l.Addr)
		syscall.Umask(old)
	} else {
		err = bind(l.FD, l.Addr)
	}
	if err != nil {
		if err == unix.EADDRINUSE && l.Addr.Abstract() {
			return fmt.Errorf("bind: %w (another socket holds the abstract name)", err)
		}
		return os.NewSyscallError("bind", err)
	}
	if file {
		var st unix.Stat_t
		if unix.Lstat(l.Addr.Path, &st) == nil {
			l.file, l.ino = true, st.Ino
		}
	}
	return nil
}

// clearPath makes room for a Unix socket at path: nothing there is fine; a
// socket nobody answers on is removed with unlink; anything else is refused.
func clearPath(path string, unlink bool) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return ErrNotSocket
	}
	if !unlink {
		return ErrPathExists
	}
	stale, err := Stale(path)
	if err != nil {
		return fmt.Errorf("cannot tell whether %s is in use: %w", path, err)
	}
	if !stale {
		return ErrLive
	}
	if err := unix.Unlink(path); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: path, Err: err}
	}
	return nil
}

// Stale reports whether path is a socket file nobody answers on: connect(2)
// is refused for every socket type. A socket of another type bound there
// answers EPROTOTYPE, which counts as alive. A socket that /proc/net/unix
// shows bound at path is alive without a probe, so that a listener serving
// one client is not handed an empty connection. An error means it could
// not be told (the table could not be read, no socket to probe with): a
// caller removes nothing then.
func Stale(path string) (bool, error) {
	bound, err := boundInProc(path)
	if err != nil || bound {
		return false, err
	}
	for _, typ := range []int{unix.SOCK_STREAM, unix.SOCK_SEQPACKET, unix.SOCK_DGRAM} {
		fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return false, fmt.Errorf("a socket to probe %s: %w", path, err)
		}
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		unix.Close(fd)
		switch err {
		case unix.ECONNREFUSED:
			return true, nil
		case unix.EPROTOTYPE:
			continue
		}
		return false, nil
	}
	return false, nil
}

// NetUnix is the kernel's table of Unix sockets; a variable only so that
// a test can make it unreadable.
var NetUnix = "/proc/net/unix"

// boundInProc reports whether /proc/net/unix lists a socket bound at path
// (as given, or made absolute; the table shows what the binder passed).
func boundInProc(path string) (bool, error) {
	abs, _ := filepath.Abs(path)
	b, err := os.ReadFile(NetUnix)
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(line, " "+path) || abs != "" && strings.HasSuffix(line, " "+abs) {
			return true, nil
		}
	}
	return false, nil
}

// Close closes the listener and, unless keep, removes the socket file it
// created (if it is still the same file).
func (l *Listener) Close(keep bool) error {
	unix.Close(l.FD)
	if l.file && !keep {
		var st unix.Stat_t
		if unix.Lstat(l.Addr.Path, &st) == nil && st.Ino == l.ino && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			return unix.Unlink(l.Addr.Path)
		}
	}
	return nil
}

// Patience bounds a wait for a peer: Timeout (zero: none), after which
// the wait fails with context.DeadlineExceeded, or with Nonblock no wait
// at all (ErrWouldBlock).
type Patience struct {
	Timeout  time.Duration
	Nonblock bool
	// Local is what a client socket gets before connect: its own address
	// (-s, -p) and buffer sizes (-I, -O).
	Local Local
}

// bound returns ctx limited by p's Timeout.
func (p Patience) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.Timeout > 0 {
		return context.WithTimeout(ctx, p.Timeout)
	}
	return context.WithCancel(ctx)
}

// Accept waits for the next connection (bounded by ctx and p) and returns
// it non-blocking, with the peer's address.
func (l *Listener) Accept(ctx context.Context, p Patience) (int, Addr, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	nonblock := p.Nonblock
	for {
		fd, sa, err := unix.Accept4(l.FD, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		switch err {
		case nil:
			if err := l.bufs.setBuffers(fd); err != nil {
				unix.Close(fd)
				return -1, Addr{}, err
			}
			// A Unix peer is usually unnamed (Path ""): its own name, not ours.
			return fd, FromSockaddr(sa, l.Addr.Type), nil
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			if nonblock {
				return -1, Addr{}, ErrWouldBlock
			}
			if err := Wait(ctx, l.FD, unix.POLLIN); err != nil {
				return -1, Addr{}, err
			}
			continue
		}
		return -1, Addr{}, os.NewSyscallError("accept", err)
	}
}

// ErrWouldBlock says a --nonblock run found no peer ready.
var ErrWouldBlock = errors.New("no peer is ready")

// Connect connects to the first address that answers, bounded by ctx and
// p (one timeout for them all). With p.Nonblock, a connection that does
// not complete at once fails with ErrWouldBlock. The socket is returned
// non-blocking.
func Connect(ctx context.Context, addrs []Addr, p Patience) (int, Addr, error) {
	ctx, cancel := p.bound(ctx)
	defer cancel()
	var first error
	tried := false
	for _, a := range addrs {
		if !p.Local.Fits(a) {
			continue
		}
		tried = true
		fd, err := connect(ctx, a, p)
		if err == nil {
			return fd, a, nil
		}
		if ctx.Err() != nil || errors.Is(err, ErrWouldBlock) {
			return -1, a, err
		}
		if first == nil {
			first = err
		}
	}
	if !tried {
		return -1, addrs[0], ErrSourceFamily
	}
	return -1, addrs[0], first
}

// ConnectRetry is --wait: Connect again and again, until it succeeds or
// ctx ends (its deadline: the time to wait), while what it meets means
// that nothing listens yet (refused, or no socket file yet). The pause
// between tries doubles from 1 ms up to 100 ms, so a listener that comes
// up is found within 100 ms. When ctx ends first, the error is a
// *NotListening. tries counts the attempts.
func ConnectRetry(ctx context.Context, addrs []Addr) (fd int, a Addr, tries int, err error) {
	return ConnectRetryFrom(ctx, addrs, Local{})
}

// ConnectRetryFrom is ConnectRetry from a socket given local.
func ConnectRetryFrom(ctx context.Context, addrs []Addr, local Local) (fd int, a Addr, tries int, err error) {
	pause := time.Millisecond
	var last error // what the last try that ran its course met
	for {
		tries++
		fd, a, err = Connect(ctx, addrs, Patience{Local: local})
		switch {
		case err == nil:
			return fd, a, tries, nil
		case ctx.Err() != nil:
			if last == nil || notYet(err) {
				last = err
			} else {
				tries-- // the time ran out during this try: it is not one
			}
			return -1, a, tries, &NotListening{Tries: tries, Last: last, ctxErr: ctx.Err()}
		case !notYet(err):
			return -1, a, tries, err
		}
		last = err
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return -1, a, tries, &NotListening{Tries: tries, Last: last, ctxErr: ctx.Err()}
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// NotListening is a --wait that ran out: how many tries, and what the last
// one met. It unwraps to the context's error.
type NotListening struct {
	Tries  int
	Last   error
	ctxErr error
}

func (e *NotListening) Error() string {
	return fmt.Sprintf("%d tries, the last: %v", e.Tries, e.Last)
}

func (e *NotListening) Unwrap() error { return e.ctxErr }

// bind and connectTo take a's address. An abstract name of the full 107
// bytes after its leading NUL, which x/sys/unix refuses (it keeps room
// for a trailing NUL an abstract name does not have), goes by the raw
// system calls.
func bind(fd int, a Addr) error {
	if fullAbstract(a) {
		return rawUnixCall(unix.SYS_BIND, fd, a.Path)
	}
	return unix.Bind(fd, a.Sockaddr())
}

func connectTo(fd int, a Addr) error {
	if fullAbstract(a) {
		return rawUnixCall(unix.SYS_CONNECT, fd, a.Path)
	}
	return unix.Connect(fd, a.Sockaddr())
}

func fullAbstract(a Addr) bool {
	return a.Family == unix.AF_UNIX && len(a.Path) == maxPath+1 && a.Path[0] == '@'
}

// rawUnixCall makes bind(2) or connect(2) with the abstract name "@..."
// in a sockaddr_un of its exact length.
func rawUnixCall(nr uintptr, fd int, name string) error {
	var sa unix.RawSockaddrUnix
	sa.Family = unix.AF_UNIX
	for i := 1; i < len(name); i++ {
		sa.Path[i] = int8(name[i]) // Path[0] stays 0: abstract
	}
	_, _, e := unix.Syscall(nr, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(2+len(name)))
	if e != 0 {
		return e
	}
	return nil
}

// notSocket names what path is when it exists and is no socket ("regular
// file", "directory", ...), and is "" otherwise: connect(2) says only
// "connection refused" for those.
func notSocket(path string) string {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		return ""
	}
	return fdinfo.TypeName(st.Mode)
}

// notYet tells whether a connect error means that nothing listens yet.
func notYet(err error) bool {
	return errors.Is(err, ErrRefused) || errors.Is(err, ErrNoEnt) || errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.ETIMEDOUT)
}

func connect(ctx context.Context, a Addr, p Patience) (int, error) {
	nonblock := p.Nonblock
	fd, err := unix.Socket(a.Family, a.Type|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := p.Local.prepare(fd, a); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if a.Family == unix.AF_UNIX && a.Type == unix.SOCK_DGRAM {
		// Autobind an abstract name so that the server can answer.
		if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
			unix.Close(fd)
			return -1, os.NewSyscallError("bind", err)
		}
	}
	err = connectTo(fd, a)
	for err == unix.EINTR {
		err = connectTo(fd, a)
	}
	if err == unix.EINPROGRESS && nonblock {
		// A loopback handshake is done before we look again; a remote
		// one is not: only the first counts as "at once".
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if n, _ := unix.Poll(fds, 0); n == 1 {
			err = nil
			if soerr, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); soerr != 0 {
				err = unix.Errno(soerr)
			}
		}
	}
	if err == unix.EINPROGRESS || err == unix.EAGAIN && a.Family == unix.AF_UNIX {
		if nonblock {
			unix.Close(fd)
			return -1, ErrWouldBlock
		}
		if a.Family == unix.AF_UNIX {
			// A Unix listener with a full backlog: retry until it has room.
			for err == unix.EAGAIN {
				select {
				case <-ctx.Done():
					unix.Close(fd)
					return -1, ctx.Err()
				case <-time.After(10 * time.Millisecond):
				}
				err = connectTo(fd, a)
			}
		} else {
			if werr := Wait(ctx, fd, unix.POLLOUT); werr != nil {
				unix.Close(fd)
				return -1, werr
			}
			var soerr int
			soerr, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
			if err == nil && soerr != 0 {
				err = unix.Errno(soerr)
			}
		}
	}
	if err != nil {
		unix.Close(fd)
		if what := notSocket(a.Path); err == unix.ECONNREFUSED && a.Family == unix.AF_UNIX && !a.Abstract() && what != "" {
			// connect(2) says "refused" for a path that is no socket at
			// all: say what it is (and --wait does not wait for it).
			return -1, fmt.Errorf("not a socket but a %s", what)
		}
		return -1, os.NewSyscallError("connect", err)
	}
	return fd, nil
}

// Wait blocks until fd has one of events or ctx is done: relay's one
// wait primitive, with the poll error named.
func Wait(ctx context.Context, fd int, events int16) error {
	err := relay.WaitFD(ctx, fd, events)
	if errno, ok := err.(unix.Errno); ok {
		return os.NewSyscallError("poll", errno)
	}
	return err
}

// Cred is a Unix peer's credentials.
type Cred struct{ PID, UID, GID int }

// PeerCred returns the credentials of the process at the other end of a
// connected Unix socket (SO_PEERCRED), or ErrNoCred.
func PeerCred(fd int) (Cred, error) {
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return Cred{}, err
	}
	if u.Pid == 0 {
		// An unconnected or datagram peer: the kernel has nothing to say
		// (pid 0, uid and gid -1).
		return Cred{}, ErrNoCred
	}
	return Cred{PID: int(u.Pid), UID: int(u.Uid), GID: int(u.Gid)}, nil
}

// ErrNoCred says SO_PEERCRED knows no peer process.
var ErrNoCred = errors.New("no peer credentials")

// Close closes a socket descriptor.
func Close(fd int) error { return unix.Close(fd) }

// Searchable reports whether this process may search dir (x permission),
// which reaching a socket file inside it needs.
func Searchable(dir string) bool { return unix.Access(dir, unix.X_OK) == nil }

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}
