package mapfile

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrNoSpace: the file system (or the user's quota on it) has no room for
// the blocks a write needs.
var ErrNoSpace = errors.New("no space left on the file system")

// spaceErr turns ENOSPC and EDQUOT into ErrNoSpace, saying which limit
// applies; other errors pass through.
func (f *File) spaceErr(err error) error {
	switch {
	case errors.Is(err, unix.ENOSPC):
		return fmt.Errorf("%w (%s)", ErrNoSpace, SpaceLimit(f.Path))
	case errors.Is(err, unix.EDQUOT):
		return fmt.Errorf("%w (the disk quota of user %d on it is used up; quota(1) shows it)", ErrNoSpace, unix.Geteuid())
	}
	return err
}

// SpaceLimit describes the limit a full file system holding path has hit:
// its size and what is free, and where that limit is raised.
func SpaceLimit(path string) string {
	var st unix.Statfs_t
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if unix.Statfs(path, &st) != nil && unix.Statfs(dir, &st) != nil {
		return "the file system holding " + dir + " is full"
	}
	bs := uint64(st.Bsize)
	where := "free space on it, or use another file system"
	if st.Type == unix.TMPFS_MAGIC {
		where = "it is a tmpfs, whose limit is its size= mount option"
	}
	return fmt.Sprintf("%d of the %d bytes of the file system holding %s are free to this user; %s",
		st.Bavail*bs, st.Blocks*bs, dir, where)
}

// Zero makes the bytes [off, off+n) of the file read as zeros without
// filling holes: holes (SEEK_HOLE) are already zero and are skipped, and
// each run of data is zeroed by fallocate(2) (FALLOC_FL_ZERO_RANGE, which
// keeps the blocks, or else FALLOC_FL_PUNCH_HOLE), both with
// FALLOC_FL_KEEP_SIZE. Where the file system has neither, the pages that
// are not already zero are overwritten with zeros, a bounded buffer at a
// time. Every process mapping the file sees the zeros at once. The range
// must lie inside the file.
func (f *File) Zero(off, n int64) error {
	end := off + n
	for off < end {
		data, err := unix.Seek(f.fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return nil // only holes from off to the end of the file
		}
		if err != nil {
			data = off // no SEEK_DATA here: treat it all as data
		}
		if data >= end {
			return nil
		}
		hole, err := unix.Seek(f.fd, data, unix.SEEK_HOLE)
		if err != nil || hole > end {
			hole = end
		}
		if err := f.zeroData(data, hole-data); err != nil {
			return err
		}
		off = hole
	}
	return nil
}

// zeroData zeroes a run of the file that holds data.
func (f *File) zeroData(off, n int64) error {
	for _, mode := range []int{unix.FALLOC_FL_ZERO_RANGE, unix.FALLOC_FL_PUNCH_HOLE} {
		err := unix.Fallocate(f.fd, uint32(mode|unix.FALLOC_FL_KEEP_SIZE), off, n)
		for err == unix.EINTR {
			err = unix.Fallocate(f.fd, uint32(mode|unix.FALLOC_FL_KEEP_SIZE), off, n)
		}
		switch {
		case err == nil:
			return nil
		case err != unix.EOPNOTSUPP && err != unix.ENOSYS && err != unix.EINVAL:
			return fmt.Errorf("fallocate to zero %d bytes at %d: %w", n, off, f.spaceErr(err))
		}
	}
	return f.overwrite(off, n)
}

// zeroChunk bounds the buffer overwrite reads through.
const zeroChunk = 1 << 20

// overwrite writes zeros over the pages of [off, off+n) that are not zero
// already (pread to look, pwrite to store; the page cache is the one the
// mappings share).
func (f *File) overwrite(off, n int64) error {
	buf := make([]byte, min(zeroChunk, n))
	zeros := make([]byte, min(PageSize, n))
	for end := off + n; off < end; {
		k := int(min(int64(len(buf)), end-off))
		got, err := unix.Pread(f.fd, buf[:k], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %d bytes at %d: %w", k, off, err)
		}
		if got == 0 {
			return nil // the file ends here
		}
		for i := 0; i < got; {
			// One page, or to the next page boundary of the file.
			j := min(got, i+int(PageSize-(off+int64(i))%PageSize))
			if !bytes.Equal(buf[i:j], zeros[:j-i]) {
				if err := pwriteAll(f.fd, zeros[:j-i], off+int64(i)); err != nil {
					return fmt.Errorf("write zeros at %d: %w", off+int64(i), f.spaceErr(err))
				}
			}
			i = j
		}
		off += int64(got)
	}
	return nil
}

func pwriteAll(fd int, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(fd, b, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}
