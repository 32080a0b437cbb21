package shm

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/meter"
)

// SpaceHint is what to do about a full /dev/shm.
const SpaceHint = "see df " + Dir + ", raise it with mount -o remount,size=N " + Dir

// SpaceError: the tmpfs behind /dev/shm has no page left for a POSIX
// object. It says how big the file system is and how much of it is free,
// as statfs(2) reports them.
type SpaceError struct {
	What       string // what needed the room ("2.0 MiB", "a 4.0 MiB ring"), or ""
	Size, Free int64  // the file system's size and free bytes; Size 0 if unknown
}

func (e *SpaceError) Error() string {
	s := "no space left in " + Dir
	if e.What != "" {
		s += " for " + e.What
	}
	if e.Size > 0 {
		s += fmt.Sprintf(" (a %s tmpfs, %s free)", meter.Bytes(e.Size), meter.Bytes(e.Free))
	}
	return s
}

// Is makes a *SpaceError match ErrNoSpace.
func (e *SpaceError) Is(target error) bool { return target == ErrNoSpace }

// noSpace returns a *SpaceError for what, filled in from statfs(2) of fd
// (or of Dir when fd is -1).
func noSpace(fd int, what string) *SpaceError {
	e := &SpaceError{What: what}
	var st unix.Statfs_t
	var err error
	if fd >= 0 {
		err = unix.Fstatfs(fd, &st)
	} else {
		err = unix.Statfs(Dir, &st)
	}
	if err == nil {
		e.Size, e.Free = int64(st.Blocks)*st.Bsize, int64(st.Bavail)*st.Bsize
	}
	return e
}

// Fault explains a memory fault on the segment's mapping (fault.ErrFault
// from a guarded access, EFAULT from a read or write into it). A POSIX
// object is a sparse tmpfs file: a fault means either that another
// process truncated it (fault.ErrFault) or, its size intact, that the
// tmpfs had no page to give (a *SpaceError). A System V segment cannot
// shrink; its faults are reported as they are.
func (s *Segment) Fault() error {
	if !s.POSIX() || s.fd < 0 {
		return fault.ErrFault
	}
	var st unix.Stat_t
	if unix.Fstat(s.fd, &st) != nil || st.Size < s.Size {
		return fault.ErrFault
	}
	if e := noSpace(s.fd, ""); e.Size > 0 && e.Free < int64(unix.Getpagesize()) {
		return e
	}
	return fault.ErrFault
}

// IsFault tells whether err is a touch of a mapping that faulted:
// fault.ErrFault from a guarded access, EFAULT from a system call.
func IsFault(err error) bool {
	return errors.Is(err, fault.ErrFault) || errors.Is(err, unix.EFAULT)
}
