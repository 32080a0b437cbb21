package shm

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// createFile makes the POSIX object file at path, size bytes long, with
// permissions mode (the umask cleared, so that -m 0644 means 0644). It is
// made unnamed (O_TMPFILE) in Dir and sized there, and only named by
// publish, once mapped: no other process ever sees it at size 0 (a
// writer racing to create the same name would take it for an existing
// empty object), nor named when it cannot be mapped. Where O_TMPFILE is
// not supported it is created under its name (O_EXCL) and sized after;
// named then tells the caller so.
func createFile(path string, size int64, mode uint32) (fd int, named bool, err error) {
	old := unix.Umask(0)
	fd, err = unix.Open(Dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, mode)
	unix.Umask(old)
	if err != nil {
		old := unix.Umask(0)
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, mode)
		unix.Umask(old)
		if err != nil {
			return -1, false, openErr(err)
		}
		named = true
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		unix.Close(fd)
		if named {
			unix.Unlink(path)
		}
		if errors.Is(err, unix.EFBIG) || errors.Is(err, unix.EINVAL) {
			return -1, false, fmt.Errorf("cannot create %d bytes: larger than %s allows", size, Dir)
		}
		return -1, false, fmt.Errorf("ftruncate %d bytes: %w", size, err)
	}
	return fd, named, nil
}

// publish gives the unnamed file fd its name path, failing with ErrExist
// if the name is taken (linkat never replaces, nor follows a symbolic
// link there).
func publish(fd int, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	return openErr(err)
}
