// Package window holds what shmcat and mmapcat share when they print a
// window of shared memory: the -o/-L bounds, content trimming (-a, -z,
// --trim), emitting by vmsplice(2), splice(2)/sendfile(2) or write(2), and
// following a changing window (-f) with every touch of a mapping under
// the fault guard. Run is the frame of a -r or -f run both tools use
// (the -t deadline, --progress, -v, -i and the exit 3 of a follow that
// printed nothing); the tools only say how to open their object: a
// segment mapped whole (PrintMapped, MapLook) or a file mapped by window
// (PrintFile, FileLook).
//
// Syscalls owned here: fstat(2)/lseek(2) (RegularLeft), pread(2) (ReadAt,
// Slurp), read(2) (ReadSome, after relay.Waiter), vmsplice(2) (Emit),
// splice(2)/sendfile(2) (EmitFrom), fcntl(F_[GS]ETPIPE_SZ) (GrowPipe),
// madvise(MADV_POPULATE_READ) (Populate). Waits are relay.Waiter's; the
// write(2) fallback is relay.Write or pipeout.
package window

import (
	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/region"

	"golang.org/x/sys/unix"
)

// Bounds returns the [lo, hi) range of an object of size that an offset
// and an optional length (-o, -L) select; noun names the object in the
// errors ("segment", "file").
func Bounds(obj, noun string, off, length int64, lengthSet bool, size int64) (lo, hi int64, err error) {
	lo, hi = off, size
	if lo > size {
		return 0, 0, cli.Failf(obj, "", "offset %d is beyond the end of the %d-byte %s", lo, size, noun)
	}
	if lengthSet {
		if length > size-lo {
			return 0, 0, cli.Failf(obj, "", "window of %d bytes at offset %d runs past the end of the %d-byte %s", length, lo, size, noun)
		}
		hi = lo + length
	}
	return lo, hi, nil
}

// Clip is Bounds for an object whose size changes while it is followed:
// the window is cut to what the object holds now instead of refused.
func Clip(off, length int64, lengthSet bool, size int64) (lo, hi int64) {
	lo, hi = min(off, size), size
	if lengthSet {
		hi = min(hi, lo+length)
	}
	return lo, hi
}

// Trim says which part of a window is printed.
type Trim int

const (
	All     Trim = iota // every byte
	ToNUL               // up to the first NUL byte (a C string, -z)
	LastNUL             // up to the last non-NUL byte
)

// Content returns the part of w that t selects. w may be a mapping: call
// it under fault.Guard.
func Content(t Trim, w []byte) []byte {
	switch t {
	case ToNUL:
		return region.CString(w)
	case LastNUL:
		return region.TrimNUL(w)
	}
	return w
}

// RegularLeft is what remains to read of a regular file, or -1 for other
// input and for files that do not know their size (/proc files say 0).
func RegularLeft(fd int) int64 {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size == 0 {
		return -1
	}
	pos, err := unix.Seek(fd, 0, 1)
	if err != nil {
		return -1
	}
	return max(st.Size-pos, 0)
}

// Populate faults a mapping in with one call rather than one fault per
// page as write(2) walks it (kernels before 5.14 lack it; then the faults
// just happen).
func Populate(mem []byte) {
	if len(mem) > 0 {
		unix.Madvise(mem, unix.MADV_POPULATE_READ)
	}
}

// Pick returns the Trim that the flags ask for (-a, -z, --trim), or def
// when none does.
func Pick(def Trim, all, toNUL, lastNUL bool) Trim {
	switch {
	case all:
		return All
	case toNUL:
		return ToNUL
	case lastNUL:
		return LastNUL
	}
	return def
}
