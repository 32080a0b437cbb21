// Package mapfile maps regular files MAP_SHARED: windows at any offset
// (the mapping itself starts on the page boundary below it), growth in
// large steps that reserve the blocks first (so a full disk is an ENOSPC
// error, not a SIGBUS), and page-cache residency through mincore(2).
package mapfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fdinfo"
)

// PageSize is the kernel's page size; mappings start on its multiples.
var PageSize = int64(unix.Getpagesize())

var (
	// ErrNotExist: no file at that path.
	ErrNotExist = errors.New("no such file")
	// ErrExist: -x and the file exists.
	ErrExist = errors.New("file exists")
	// ErrNotRegular: the path names something that cannot be mapped as a file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrSymlink: a symbolic link where a file is opened without following one.
	ErrSymlink = errors.New("a symbolic link; not followed")
)

// File is an open regular file.
type File struct {
	Path    string
	fd      int
	unnamed bool // made by CreateUnnamed and not yet linked at Path
}

// Open opens an existing regular file, for writing too if write is set.
// What was opened is checked with fstat(2) before it is used, so a FIFO or
// a device planted at the path is refused without blocking on it.
func Open(path string, write bool) (*File, error) {
	flag := unix.O_RDONLY
	if write {
		flag = unix.O_RDWR
	}
	fd, err := unix.Open(path, flag|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, openErr(err)
	}
	return regular(path, fd)
}

// OpenNoFollow opens an existing regular file for reading and writing, and
// refuses a symbolic link at path (ErrSymlink) rather than follow it: for
// a file that appeared at a path this process meant to create.
func OpenNoFollow(path string) (*File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, openErr(err)
	}
	return regular(path, fd)
}

// Create opens path for reading and writing, creating it with mode (the
// umask not applied, so -m 0644 means 0644) if it is absent; with excl an
// existing file is an error. It never follows a symbolic link at path
// (ErrSymlink), and a new file is made with O_EXCL, so nothing planted at
// the name is ever written through. Created tells whether this call made it.
func Create(path string, mode uint32, excl bool) (f *File, created bool, err error) {
	old := unix.Umask(0)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CREAT|unix.O_EXCL, mode)
	unix.Umask(old)
	if errors.Is(err, unix.EEXIST) {
		if excl {
			return nil, false, ErrExist
		}
		f, err := OpenNoFollow(path) // there already, or created by someone else meanwhile
		return f, false, err
	}
	if err != nil {
		return nil, false, openErr(err)
	}
	f, err = regular(path, fd)
	return f, err == nil, err
}

// CreateUnnamed makes a new file with mode in the directory of path that
// has no name yet (O_TMPFILE): it appears at path, whole, when Link is
// called, so that a reader waiting for path never sees it half written.
// File systems without O_TMPFILE fail here, and the caller uses Create.
func CreateUnnamed(path string, mode uint32) (*File, error) {
	old := unix.Umask(0)
	fd, err := unix.Open(filepath.Dir(path), unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, mode)
	unix.Umask(old)
	if err != nil {
		return nil, err
	}
	return &File{Path: path, fd: fd, unnamed: true}, nil
}

// Link gives a file made by CreateUnnamed its name. It never replaces
// anything: if another process created path meanwhile (a file, a
// symbolic link), it returns ErrExist and the file stays unnamed.
func (f *File) Link() error {
	if !f.unnamed {
		return nil
	}
	src := "/proc/self/fd/" + strconv.Itoa(f.fd)
	err := unix.Linkat(unix.AT_FDCWD, src, unix.AT_FDCWD, f.Path, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		return fmt.Errorf("link the new file into place: %w", openErr(err))
	}
	f.unnamed = false
	return nil
}

// Unnamed tells whether the file was made by CreateUnnamed and not linked.
func (f *File) Unnamed() bool { return f.unnamed }

func regular(path string, fd int) (*File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%w (%s)", ErrNotRegular, TypeName(st.Mode))
	}
	// O_NONBLOCK only kept open(2) from blocking; a regular file ignores it.
	return &File{Path: path, fd: fd}, nil
}

// TypeName names a file type as ls users know it, with its article: "a
// regular file", "a FIFO", ...
func TypeName(mode uint32) string {
	switch t := fdinfo.TypeName(mode); t {
	case "pipe":
		return "a FIFO"
	case "unknown":
		return "an unknown file type"
	default:
		return "a " + t
	}
}

func openErr(err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return ErrNotExist
	case errors.Is(err, unix.EEXIST):
		return ErrExist
	case errors.Is(err, unix.EISDIR):
		return fmt.Errorf("%w (a directory)", ErrNotRegular)
	case errors.Is(err, unix.ELOOP):
		return ErrSymlink
	}
	return err
}

// Fd is the file's descriptor.
func (f *File) Fd() int { return f.fd }

// Stat returns fstat(2) of the open file.
func (f *File) Stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstat(f.fd, &st)
	return st, err
}

// Size is the file's current size.
func (f *File) Size() (int64, error) {
	st, err := f.Stat()
	return st.Size, err
}

// Close closes the descriptor; windows stay mapped until unmapped.
func (f *File) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

// Reserve makes sure the bytes [off, off+n) exist in the file and have
// blocks behind them, growing the file if it is shorter (fallocate(2));
// where the file system cannot allocate ahead, it only grows the size
// (ftruncate(2)). A full file system is reported here, before a store into
// the mapping would have raised SIGBUS.
func (f *File) Reserve(off, n int64) error {
	if n <= 0 {
		return nil
	}
	err := unix.Fallocate(f.fd, 0, off, n)
	for err == unix.EINTR {
		err = unix.Fallocate(f.fd, 0, off, n)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		return f.spaceErr(err)
	}
	if err != unix.EOPNOTSUPP && err != unix.ENOSYS && err != unix.EINVAL {
		return fmt.Errorf("fallocate %d bytes at %d: %w", n, off, err)
	}
	size, err := f.Size()
	if err != nil {
		return err
	}
	if size < off+n {
		return f.Truncate(off + n)
	}
	return nil
}

// Truncate sets the file's size.
func (f *File) Truncate(size int64) error {
	err := unix.Ftruncate(f.fd, size)
	for err == unix.EINTR {
		err = unix.Ftruncate(f.fd, size)
	}
	if errors.Is(err, unix.EFBIG) || errors.Is(err, unix.EINVAL) && size > 0 {
		return fmt.Errorf("ftruncate to %d bytes: larger than the file system allows, or than the file size limit (ulimit -f, RLIMIT_FSIZE)", size)
	}
	if err != nil {
		return fmt.Errorf("ftruncate to %d bytes: %w", size, err)
	}
	return nil
}

// Window is a shared mapping of the bytes [Off, Off+len(Mem)) of a file.
// Touching Mem in Go code must happen under fault.Guard: another process
// may truncate the file and turn a load or store into SIGBUS.
type Window struct {
	Off int64
	Mem []byte
	m   []byte // the whole mapping, from the page boundary at or below Off
}

// Map maps n bytes of the file at off, writable if write is set. An empty
// window maps nothing.
func (f *File) Map(off, n int64, write bool) (*Window, error) {
	w := &Window{Off: off}
	if n <= 0 {
		return w, nil
	}
	base := off &^ (PageSize - 1)
	prot := unix.PROT_READ
	if write {
		prot |= unix.PROT_WRITE
	}
	if uint64(off-base+n) > uint64(^uint(0)>>1) {
		return nil, fmt.Errorf("a %d-byte window does not fit in this address space", n)
	}
	m, err := unix.Mmap(f.fd, base, int(off-base+n), prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes at %d: %w", n, off, err)
	}
	w.m, w.Mem = m, m[off-base:]
	return w, nil
}

// Sync writes the window's dirty pages to the file and waits (MS_SYNC).
func (w *Window) Sync() error {
	if w.m == nil {
		return nil
	}
	if err := unix.Msync(w.m, unix.MS_SYNC); err != nil {
		return fmt.Errorf("msync: %w", err)
	}
	return nil
}

// Advise passes an madvise(2) hint for the window; hints may be ignored.
func (w *Window) Advise(advice int) {
	if w.m != nil {
		unix.Madvise(w.m, advice)
	}
}

// Unmap removes the mapping; the window must not be used afterwards.
func (w *Window) Unmap() error {
	if w.m == nil {
		return nil
	}
	err := unix.Munmap(w.m)
	w.m, w.Mem = nil, nil
	return err
}

// Residency is how much of a file the page cache holds.
type Residency struct {
	Resident int64 // pages in the page cache
	Pages    int64 // pages the file spans
}

// residentChunk bounds each mincore mapping so that a huge file does not
// need a huge stretch of address space at once.
const residentChunk = 1 << 30

// Resident counts the file's pages in the page cache with mincore(2), over
// read-only mappings that touch no page.
func (f *File) Resident() (Residency, error) {
	size, err := f.Size()
	if err != nil {
		return Residency{}, err
	}
	r := Residency{Pages: (size + PageSize - 1) / PageSize}
	vec := make([]byte, min(residentChunk, size+PageSize-1)/PageSize)
	for off := int64(0); off < size; off += residentChunk {
		n := min(residentChunk, size-off)
		m, err := unix.Mmap(f.fd, off, int(n), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return r, fmt.Errorf("mmap for mincore: %w", err)
		}
		pages := (n + PageSize - 1) / PageSize
		err = mincore(m, vec[:pages])
		unix.Munmap(m)
		if err != nil {
			return r, fmt.Errorf("mincore: %w", err)
		}
		for _, v := range vec[:pages] {
			r.Resident += int64(v & 1)
		}
	}
	return r, nil
}

// mincore wraps mincore(2), which x/sys/unix does not export.
func mincore(b, vec []byte) error {
	_, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return e
	}
	return nil
}
