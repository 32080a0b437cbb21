// Package tap snoops a live Unix socket in place (sockcat --tap): it moves
// the server's socket file aside to a hidden name beside it, puts a socket
// of its own at the path clients know (with the original's mode and
// owner), relays each new client to the real server, recording what
// passes, and puts the original back at the end. The hidden name carries
// the tapper's pid and start time, so that a tap interrupted by SIGKILL is
// found and repaired by a later run (Find, Scan, Interrupted.Repair).
// OpenAs is the relay without the move, for abstract names (--tap-as).
package tap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fdinfo"
	"github.com/ipcats/ipcats/internal/sock"
)

// Tap is a socket being snooped: a listening socket of ours, and the
// address each client it accepts is relayed to.
type Tap struct {
	Path   string    // the name clients connect to
	Hidden string    // where the server's socket file waits ("" with OpenAs)
	Real   sock.Addr // where each client is relayed to
	Note   string    // something to tell the user once the tap is up, or ""

	fd      int
	ino     uint64         // our socket file's inode at Path, so Restore never moves over another
	lis     *sock.Listener // OpenAs's listener
	restore sync.Once
	restErr error
	restMsg string
}

// Errors of Open, for the caller's hints.
var (
	ErrNotListening       = errors.New("nothing listens there")
	ErrWrongType          = errors.New("a socket of another type")
	ErrBusy         error = unix.EBUSY // the path is a mount point
)

// TappedError says another live sockcat taps the path already.
type TappedError struct {
	PID    int
	Hidden string
}

func (e *TappedError) Error() string {
	return fmt.Sprintf("already tapped by sockcat pid %d (the server's socket waits at %s)", e.PID, e.Hidden)
}

// probeTimeout bounds the connect that checks a server listens.
const probeTimeout = 2 * time.Second

// probe checks that a server listens at a (connect succeeds), and closes
// the connection again.
func probe(a sock.Addr) error {
	fd, _, err := sock.Connect(context.Background(), []sock.Addr{a}, sock.Patience{Timeout: probeTimeout})
	switch {
	case errors.Is(err, unix.ECONNREFUSED):
		return ErrNotListening
	case errors.Is(err, unix.EPROTOTYPE):
		return ErrWrongType
	case err != nil:
		return err
	}
	return sock.Close(fd)
}

// Open taps the listening Unix socket file at path, of type typ
// (sock.Stream or sock.Seqpacket). A tap of path that a dead sockcat left
// must have been repaired first (Find); a live one is a *TappedError.
// Nothing is moved unless Open succeeds: then the server's socket file
// is at t.Hidden until Restore.
func Open(path string, typ int) (*Tap, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, fmt.Errorf("not a socket but a %s", fdinfo.TypeName(st.Mode))
	}
	a, err := sock.ParseUnix(path, typ)
	if err != nil {
		return nil, err
	}
	if err := probe(a); err != nil {
		return nil, err
	}
	me, err := self()
	if err != nil {
		return nil, err
	}
	hidden := hiddenName(path, me)
	target, err := sock.ParseUnix(hidden, typ)
	if err != nil {
		return nil, fmt.Errorf("the hidden name %s: %w; tap it by a shorter path (from its directory)", hidden, err)
	}
	t := &Tap{Path: path, Hidden: hidden, Real: target}
	if err := t.bind(hidden, typ, st); err != nil {
		return nil, err
	}
	if err := t.swap(typ, st); err != nil {
		return nil, err
	}
	return t, nil
}

// bind makes the tap's listening socket at name, with the mode of st
// (through the umask, as sock.Listen does) and, where allowed, its owner.
func (t *Tap) bind(name string, typ int, st unix.Stat_t) error {
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	old := syscall.Umask(int(^st.Mode & 0o777))
	err = unix.Bind(fd, &unix.SockaddrUnix{Name: name})
	syscall.Umask(old)
	if err != nil {
		unix.Close(fd)
		return &os.PathError{Op: "bind", Path: name, Err: err}
	}
	var mine unix.Stat_t
	if err := unix.Lstat(name, &mine); err != nil {
		unix.Close(fd)
		unix.Unlink(name)
		return &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if mine.Uid != st.Uid || mine.Gid != st.Gid {
		if err := unix.Lchown(name, int(st.Uid), int(st.Gid)); err != nil {
			t.Note = fmt.Sprintf("the tap's socket file keeps your owner, not uid %d gid %d (chown: %v): clients of other users may be refused", st.Uid, st.Gid, err)
		}
	}
	if err := unix.Listen(fd, 128); err != nil {
		unix.Close(fd)
		unix.Unlink(name)
		return os.NewSyscallError("listen", err)
	}
	t.fd, t.ino = fd, mine.Ino
	return nil
}

// swap puts the tap's socket file (bound at t.Hidden) at t.Path and the
// server's at t.Hidden in one step (renameat2 RENAME_EXCHANGE), so that
// no client ever finds the path missing. A file system without the
// exchange gets two renames and a bind, with a moment between in which
// the path is missing.
func (t *Tap) swap(typ int, st unix.Stat_t) error {
	err := unix.Renameat2(unix.AT_FDCWD, t.Hidden, unix.AT_FDCWD, t.Path, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	unix.Close(t.fd)
	unix.Unlink(t.Hidden)
	if err != unix.EINVAL && err != unix.ENOSYS && err != unix.EOPNOTSUPP {
		return moveErr(t.Path, err)
	}
	if err := unix.Rename(t.Path, t.Hidden); err != nil {
		return moveErr(t.Path, err)
	}
	if err := t.bind(t.Path, typ, st); err != nil {
		if rerr := unix.Rename(t.Hidden, t.Path); rerr != nil {
			return fmt.Errorf("%w; and putting the server's socket back failed (%v): mv %s %s", err, rerr, t.Hidden, t.Path)
		}
		return err
	}
	return nil
}

// moveErr words a failed move of the socket file at path.
func moveErr(path string, err error) error {
	return &os.PathError{Op: "rename", Path: path, Err: err}
}

// Restore puts the server's socket file back at t.Path, over the tap's
// own (one rename: the path never goes missing). It runs once; later
// calls return the first call's result. When the path no longer holds
// the tap's socket file (the server was restarted and bound it anew),
// the path is left as it is, and a dead socket file at t.Hidden removed.
// msg says what was done when it was anything but the plain restore.
func (t *Tap) Restore() (msg string, err error) {
	t.restore.Do(func() { t.restMsg, t.restErr = t.restoreOnce() })
	return t.restMsg, t.restErr
}

func (t *Tap) restoreOnce() (string, error) {
	if t.Hidden == "" {
		return "", nil
	}
	var st unix.Stat_t
	if unix.Lstat(t.Path, &st) == nil && st.Ino != t.ino {
		if answers(t.Hidden) {
			return "", fmt.Errorf("%s was replaced while tapped, and the socket at %s still answers: both left as they are", t.Path, t.Hidden)
		}
		unix.Unlink(t.Hidden)
		return fmt.Sprintf("%s was replaced while tapped (the server restarted?): left it, and removed the old socket file", t.Path), nil
	}
	if err := unix.Rename(t.Hidden, t.Path); err != nil {
		return "", fmt.Errorf("putting the server's socket back: %w; move it by hand: mv %s %s", err, t.Hidden, t.Path)
	}
	return "", nil
}

// Close closes the tap's listening socket (after Restore: an OpenAs tap
// removes the socket file it bound).
func (t *Tap) Close() error {
	if t.lis != nil {
		return t.lis.Close(false)
	}
	return unix.Close(t.fd)
}

// OpenAs binds name (a path, created with mode, or an @abstract name) and
// relays each client to target: a tap of a socket that cannot be moved.
func OpenAs(name, target sock.Addr, mode uint32) (*Tap, error) {
	if err := probe(target); err != nil {
		return nil, err
	}
	l, err := sock.Listen(name, sock.ListenOptions{Mode: mode})
	if err != nil {
		return nil, err
	}
	return &Tap{Path: name.Path, Real: target, fd: l.FD, lis: l}, nil
}

// answers reports whether something accepts connections at path, of any
// connection type: a dead socket file refuses them.
func answers(path string) bool {
	for _, typ := range []int{unix.SOCK_STREAM, unix.SOCK_SEQPACKET} {
		fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return false
		}
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		unix.Close(fd)
		switch err {
		case nil, unix.EAGAIN:
			return true
		case unix.EPROTOTYPE:
			continue
		}
		return false
	}
	return false
}
