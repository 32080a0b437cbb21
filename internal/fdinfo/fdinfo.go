// Package fdinfo describes a descriptor of this process as a user names
// it: its file type, the direction it is open in, its path, and for a
// pipe the identity procfs uses to find the processes at its ends.
package fdinfo

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Errors of Usable and Of.
var (
	ErrClosed    = errors.New("not an open descriptor")
	ErrWriteOnly = errors.New("open for writing only; cannot read from it")
	ErrReadOnly  = errors.New("open for reading only; cannot write to it")
)

// Info is what a descriptor refers to.
type Info struct {
	Type   string // "pipe", "fifo", "regular file", "socket", ...
	Pipe   bool   // an anonymous pipe or a FIFO
	Named  bool   // a FIFO: a pipe with a path
	Dev    uint64
	Ino    uint64
	Access string // "read", "write" or "read-write"
	Path   string // the target of /proc/self/fd/N
}

// Of describes fd. A descriptor that is not open is ErrClosed.
func Of(fd int) (Info, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		if err == unix.EBADF {
			return Info{}, ErrClosed
		}
		return Info{}, err
	}
	fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	in := Info{
		Type:   TypeName(st.Mode),
		Pipe:   st.Mode&unix.S_IFMT == unix.S_IFIFO,
		Dev:    st.Dev,
		Ino:    st.Ino,
		Access: access(fl),
		Path:   link,
	}
	if in.Pipe && !strings.HasPrefix(link, "pipe:[") {
		in.Named, in.Type = true, "fifo"
	}
	return in, nil
}

// Usable tells whether fd can be used in one direction: ErrClosed if it
// is not open, ErrWriteOnly if it is to be read but was opened for
// writing only, ErrReadOnly the other way round.
func Usable(fd int, read bool) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	switch acc := fl & unix.O_ACCMODE; {
	case err == unix.EBADF:
		return ErrClosed
	case err != nil:
		return err
	case read && acc == unix.O_WRONLY:
		return ErrWriteOnly
	case !read && acc == unix.O_RDONLY:
		return ErrReadOnly
	}
	return nil
}

// TypeName names the file type of a mode as people say it: "pipe",
// "regular file", "directory", ... or "unknown".
func TypeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "pipe"
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFLNK:
		return "symbolic link"
	}
	return "unknown"
}

func access(fl int) string {
	switch fl & unix.O_ACCMODE {
	case unix.O_RDONLY:
		return "read"
	case unix.O_WRONLY:
		return "write"
	}
	return "read-write"
}
