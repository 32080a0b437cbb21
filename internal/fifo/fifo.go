// Package fifo is the named pipe: making one with exactly the mode asked,
// opening it (waiting for the peer, or not), who holds it open or is
// opening it, how full it is, whether it is stale, and removing it only
// while it is still the FIFO meant.
//
// System calls: mkfifo, lstat, fstat, open (O_PATH, O_NOFOLLOW and
// O_NONBLOCK), read, unlink, utimensat, pidfd_open, pidfd_getfd, umask;
// the waits go through relay.Waiter.
package fifo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/procfs"
)

// File is a FIFO as lstat(2) saw it: its identity (device and inode),
// mode, owner and times.
type File struct {
	Path                string
	Key                 procfs.PipeKey
	Mode                uint32
	UID, GID            uint32
	Atime, Mtime, Ctime time.Time
}

func fileOf(path string, st *unix.Stat_t) *File {
	t := func(ts unix.Timespec) time.Time { return time.Unix(ts.Unix()) }
	return &File{Path: path, Key: procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}, Mode: st.Mode, UID: st.Uid, GID: st.Gid,
		Atime: t(st.Atim), Mtime: t(st.Mtim), Ctime: t(st.Ctim)}
}

// lstat is the FIFO at path now, or nil if path is absent or not a FIFO.
func lstat(path string) *File {
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil
	}
	return fileOf(path, &st)
}

// Look is the FIFO at path, without following a symlink; anything else
// is refused ("no such FIFO", NotFIFO).
func Look(path string) (*File, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err == unix.ENOENT {
			return nil, cli.Failf(path, "fifocat --list shows the FIFOs in use", "no such FIFO")
		}
		return nil, cli.Fail(path, err, "")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil, NotFIFO(path, st.Mode)
	}
	return fileOf(path, &st), nil
}

// NotFIFO refuses a path that is something other than a FIFO (mode is
// its lstat mode).
func NotFIFO(path string, mode uint32) error {
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

// Ensure makes sure path is a FIFO, creating it with mode when absent
// (excl: refusing it when present), and returns it. It refuses anything
// else before any open, so that no device is opened by mistake. created
// tells whether this run made it.
func Ensure(path string, mode uint32, excl bool) (f *File, created bool, err error) {
	for {
		var st unix.Stat_t
		err := unix.Lstat(path, &st)
		switch {
		case err == nil && excl:
			return nil, false, cli.Failf(path, "-x refuses an existing path", "already exists")
		case err == nil && st.Mode&unix.S_IFMT != unix.S_IFIFO:
			return nil, false, NotFIFO(path, st.Mode)
		case err == nil:
			return fileOf(path, &st), false, nil
		case err != unix.ENOENT:
			return nil, false, dirErr(path, err)
		}
		err = mkfifo(path, mode)
		if err == unix.EEXIST && !excl {
			continue // created by the peer meanwhile
		}
		if err != nil {
			return nil, false, dirErr(path, err)
		}
		if err := unix.Lstat(path, &st); err != nil {
			return nil, false, cli.Fail(path, err, "")
		}
		return fileOf(path, &st), true, nil
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

// Remove unlinks path if, and only if, it is a FIFO.
func Remove(path string) error {
	if _, err := Look(path); err != nil {
		return err
	}
	if err := unix.Unlink(path); err != nil {
		return cli.UnlinkErr(path, "FIFO", err)
	}
	return nil
}

// RemoveSame removes the FIFO at f.Path if it is still f, and returns
// cli.ErrReplaced if it is not (gone, or made anew meanwhile): --rm
// --stale passes over it.
func (f *File) RemoveSame() error {
	if now := lstat(f.Path); now == nil || now.Key != f.Key {
		return cli.ErrReplaced
	}
	if err := unix.Unlink(f.Path); err == unix.ENOENT {
		return cli.ErrReplaced
	} else if err != nil {
		return cli.UnlinkErr(f.Path, "FIFO", err)
	}
	return nil
}

// RemoveAfter is --rm after a transfer: RemoveSame, where a FIFO gone
// already (the peer's --rm came first) is success and a new FIFO made at
// its path since is another one, left alone.
func (f *File) RemoveAfter() error {
	var st unix.Stat_t
	if err := unix.Lstat(f.Path, &st); err != nil && err != unix.ENOENT {
		return cli.Fail(f.Path, err, "")
	}
	if err := f.RemoveSame(); !errors.Is(err, cli.ErrReplaced) {
		return err
	}
	return nil
}

// Forget removes the FIFO this run created when the run failed or moved
// nothing (-n found no peer, -t expired), so that a failed attempt leaves
// no file behind. It removes it only if it is still f and no process but
// this one holds it open or is opening it (by device and inode, as --rm
// --stale judges); a peer opening it at that very instant may still find
// it gone.
func (f *File) Forget() {
	if now := lstat(f.Path); now == nil || now.Key != f.Key {
		return
	}
	self := os.Getpid()
	if Scan(self).Others(f.Key, self) {
		return
	}
	unix.Unlink(f.Path)
}
