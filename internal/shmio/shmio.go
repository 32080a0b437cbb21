// Package shmio opens shared memory segments the way shmcat's -r and -w
// need them and copies input into them: a read that creates the segment
// it waits for (-c), and a write into a window that takes all of the
// input or none of it, creating the segment when absent and removing one
// it made again when the write fails. Every store into a mapping runs
// under the fault guard.
//
// System calls are shm's (shmget/shmat, shm_open's files, fallocate),
// relay's (the spool: memfd_create and splice) and window's (fstat and
// lseek of the input); this package makes none of its own.
package shmio

import (
	"errors"
	"fmt"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/shm"
	win "github.com/ipcats/ipcats/internal/window"
)

// Options are the -r and -w options a segment is opened and written by.
type Options struct {
	Offset    int64 // -o
	Length    int64 // -L, when LengthSet
	LengthSet bool
	Size      int64 // -s, when SizeSet: a created segment's size, an existing one's
	SizeSet   bool
	Mode      uint32 // -m: permissions of a created segment
	Excl      bool   // -x: only create
	NoClear   bool   // --no-clear: leave the window after the data as it was
}

// OpenError is a failure of shm to open, create or remove the segment
// (shm.ErrNotExist, ErrExist, ErrPermission, ...): the tool words it.
type OpenError struct{ Err error }

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// window returns the [lo, hi) range of a segment of size that -o and -L
// select.
func (o *Options) window(size int64, obj string) (lo, hi int64, err error) {
	return win.Bounds(obj, "segment", o.Offset, o.Length, o.LengthSet, size)
}

// SameSize refuses an existing segment whose size -s contradicts.
func (o *Options) SameSize(seg *shm.Segment, obj string) error {
	if o.SizeSet && o.Size != seg.Size {
		return cli.Failf(obj, "leave out -s to use it as it is", "segment is %d bytes, not %d (-s)", seg.Size, o.Size)
	}
	return nil
}

// SpaceErr makes err, from a write into the segment, the run's error,
// with the hint for a full /dev/shm when that was the cause and what was
// done before it (when not empty) after the message.
func SpaceErr(obj string, err error, done string) error {
	if err == nil {
		return nil
	}
	if done != "" {
		done = "; " + done
	}
	var se *shm.SpaceError
	if errors.As(err, &se) {
		return cli.Failf(obj, shm.SpaceHint, "%v%s", se, done)
	}
	return cli.Failf(obj, "", "%v%s", err, done)
}

// Where names the segment in -v lines: obj, the name as given, plus what
// the kernel knows it by.
func Where(seg *shm.Segment, obj string) string {
	switch {
	case seg.POSIX():
		return obj
	case seg.Name.Kind == ipcname.ID:
		return fmt.Sprintf("%s (key %s)", obj, ipcname.FormatKey(seg.Key))
	}
	return fmt.Sprintf("%s (id %d)", obj, seg.ID)
}
