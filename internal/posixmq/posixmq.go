// Package posixmq wraps the POSIX message queue system calls, which
// x/sys/unix lacks, as glibc does: "/name" is passed to the kernel without
// its slash.
package posixmq

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Attr is struct mq_attr.
type Attr struct {
	Flags   int64
	Maxmsg  int64
	Msgsize int64
	Curmsgs int64
	_       [4]int64
}

func kname(name string) (*byte, error) {
	return unix.BytePtrFromString(strings.TrimPrefix(name, "/"))
}

// Open is mq_open(3): name is "/name"; attr may be nil.
func Open(name string, flag int, mode uint32, attr *Attr) (int, error) {
	p, err := kname(name)
	if err != nil {
		return -1, err
	}
	fd, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flag|unix.O_CLOEXEC), uintptr(mode), uintptr(unsafe.Pointer(attr)), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// Unlink is mq_unlink(3).
func Unlink(name string) error {
	p, err := kname(name)
	if err != nil {
		return err
	}
	if _, _, e := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0); e != 0 {
		return e
	}
	return nil
}
