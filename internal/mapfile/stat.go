package mapfile

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Info is what stat(2) says of a path, for --stat, --list and --rm.
type Info struct {
	Size                       int64
	Mode                       uint32 // type and permission bits, as st_mode
	Uid, Gid                   uint32
	Dev, Ino                   uint64
	Accessed, Modified, Change time.Time
}

// Regular tells whether the path named a regular file.
func (i Info) Regular() bool { return i.Mode&unix.S_IFMT == unix.S_IFREG }

// Device is the "major:minor" of the file's device.
func (i Info) Device() string { return Device(i.Dev) }

// Device formats a device number as "major:minor".
func Device(dev uint64) string { return fmt.Sprintf("%d:%d", unix.Major(dev), unix.Minor(dev)) }

// StatPath stats path with stat(2), or with lstat(2) (a symbolic link is
// described, not followed) when noFollow is set. A missing path is
// ErrNotExist.
func StatPath(path string, noFollow bool) (Info, error) {
	var st unix.Stat_t
	var err error
	if noFollow {
		err = unix.Lstat(path, &st)
	} else {
		err = unix.Stat(path, &st)
	}
	if errors.Is(err, unix.ENOENT) {
		return Info{}, ErrNotExist
	}
	if err != nil {
		return Info{}, err
	}
	ts := func(t unix.Timespec) time.Time { return time.Unix(t.Sec, t.Nsec) }
	return Info{
		Size: st.Size, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Dev: st.Dev, Ino: st.Ino,
		Accessed: ts(st.Atim), Modified: ts(st.Mtim), Change: ts(st.Ctim),
	}, nil
}
