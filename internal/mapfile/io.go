package mapfile

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
)

// SameAs tells whether fd is open on this same file (cat's "input file is
// output file"); false when either cannot be stat'ed.
func (f *File) SameAs(fd int) bool {
	var a unix.Stat_t
	b, err := f.Stat()
	if err != nil || unix.Fstat(fd, &a) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// SeekTo sets the descriptor's offset to off from the start, for a file
// read as input.
func (f *File) SeekTo(off int64) error {
	_, err := unix.Seek(f.fd, off, io.SeekStart)
	return err
}

// Sync writes the file's data out (fdatasync(2)).
func (f *File) Sync() error { return unix.Fdatasync(f.fd) }

// RemoveOwn unlinks the file at f.Path, and only if the path still names
// this open file (not one another process put there since).
func (f *File) RemoveOwn() {
	var st unix.Stat_t
	mine, err := f.Stat()
	if err == nil && unix.Lstat(f.Path, &st) == nil && st.Dev == mine.Dev && st.Ino == mine.Ino {
		unix.Unlink(f.Path)
	}
}

// AdviseSequential tells the kernel the window will be read once, front
// to back (MADV_SEQUENTIAL): read-ahead, and pages dropped behind.
func (w *Window) AdviseSequential() { w.Advise(unix.MADV_SEQUENTIAL) }

// IsEFAULT tells whether err is EFAULT: a read(2)/write(2) through a
// mapping whose file shrank under it.
func IsEFAULT(err error) bool { return errors.Is(err, unix.EFAULT) }

// IsStorage tells whether err is the file system failing to back a page:
// EIO or ENOSPC.
func IsStorage(err error) bool { return errors.Is(err, unix.EIO) || errors.Is(err, unix.ENOSPC) }
