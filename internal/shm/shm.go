// Package shm opens shared memory of both families behind one type: System
// V segments (shmget/shmat) and POSIX objects (shm_open's /dev/shm files,
// mapped MAP_SHARED). Segment.Mem is the mapping: readers and writers copy
// straight into and out of it.
package shm

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/ns"
)

// Dir is where glibc's shm_open keeps POSIX objects.
const Dir = "/dev/shm"

var (
	// ErrNotExist: no object by that name.
	ErrNotExist = errors.New("no such segment")
	// ErrExist: --excl and the object exists.
	ErrExist = errors.New("segment exists")
	// ErrPermission: the mode does not let us do that.
	ErrPermission = errors.New("permission denied")
)

// Segment is an open, mapped shared memory object.
type Segment struct {
	Name ipcname.Name // resolved: POSIX, Key or ID
	ID   int          // System V id; -1 for POSIX
	Key  uint32       // System V key (0 for an id: name of a removed segment)
	Size int64
	Mem  []byte // the whole object, mapped; nil when Size is 0
	fd   int    // POSIX only
}

// Path is the file behind a POSIX name (under ns.Run, the one the
// target process sees).
func Path(n ipcname.Name) string { return ns.Path(Dir + n.Path) }

// Open opens an existing object and maps it, writable if write is set.
func Open(n ipcname.Name, write bool) (*Segment, error) {
	n, err := n.Resolve()
	if err != nil {
		return nil, err
	}
	if n.Kind == ipcname.POSIX {
		flag := unix.O_RDONLY
		if write {
			flag = unix.O_RDWR
		}
		fd, err := unix.Open(Path(n), flag|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return nil, openErr(err)
		}
		return mapPOSIX(n, fd, write)
	}
	id := n.ID
	if n.Kind == ipcname.Key {
		if id, err = unix.SysvShmGet(int(int32(n.Key)), 0, 0); err != nil {
			return nil, openErr(err)
		}
	}
	return attach(n, id, write)
}

// Create makes a new object of size bytes with permissions mode, failing
// with ErrExist if it already exists. The mode is applied at creation, with
// the umask cleared for POSIX objects so that -m 0644 means 0644.
func Create(n ipcname.Name, size int64, mode uint32) (*Segment, error) {
	n, err := n.Resolve()
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case ipcname.POSIX:
		fd, named, err := createFile(Path(n), size, mode)
		if err != nil {
			return nil, err
		}
		s, err := mapPOSIX(n, fd, true)
		switch {
		case err != nil && named:
			unix.Unlink(Path(n)) // ours (O_EXCL), and of no use unmapped
			return nil, err
		case err != nil:
			return nil, err
		case !named:
			if err := publish(s.fd, Path(n)); err != nil {
				s.Close()
				return nil, err
			}
		}
		return s, nil
	case ipcname.Key:
		if size < 1 {
			size = 1 // the kernel's SHMMIN; the one byte is a NUL and reads as empty
		}
		id, err := unix.SysvShmGet(int(int32(n.Key)), int(size), unix.IPC_CREAT|unix.IPC_EXCL|int(mode))
		if err != nil {
			return nil, createErr(err, size)
		}
		s, err := attach(n, id, true)
		if err != nil {
			unix.SysvShmCtl(id, unix.IPC_RMID, nil) // ours (IPC_EXCL), and of no use unattached
		}
		return s, err
	}
	return nil, fmt.Errorf("%v names an existing segment; it cannot be created", n)
}

func mapPOSIX(n ipcname.Name, fd int, write bool) (*Segment, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s is not a shared memory object", Path(n))
	}
	s := &Segment{Name: n, ID: -1, Size: st.Size, fd: fd}
	if st.Size > 0 {
		prot := unix.PROT_READ
		if write {
			prot |= unix.PROT_WRITE
		}
		mem, err := unix.Mmap(fd, 0, int(st.Size), prot, unix.MAP_SHARED)
		if err != nil {
			unix.Close(fd)
			if errors.Is(err, unix.ENOMEM) {
				return nil, mapErr(err, st.Size)
			}
			return nil, fmt.Errorf("mmap: %w", err)
		}
		s.Mem = mem
	}
	return s, nil
}

func attach(n ipcname.Name, id int, write bool) (*Segment, error) {
	var ds unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &ds); err != nil {
		return nil, openErr(err)
	}
	flag := unix.SHM_RDONLY
	if write {
		flag = 0
	}
	mem, err := unix.SysvShmAttach(id, 0, flag)
	if err != nil {
		return nil, mapErr(err, int64(ds.Segsz))
	}
	return &Segment{Name: n, ID: id, Key: uint32(ds.Perm.Key), Size: int64(ds.Segsz), Mem: mem, fd: -1}, nil
}

// POSIX reports whether the segment is a POSIX object.
func (s *Segment) POSIX() bool { return s.ID < 0 }

// Fd is the POSIX object's descriptor (-1 for System V).
func (s *Segment) Fd() int { return s.fd }

// ErrNoSpace: the tmpfs behind /dev/shm cannot hold the data. Reserve
// and Fault return a *SpaceError, which matches it and says how big the
// file system is.
var ErrNoSpace = errors.New("no space left in " + Dir)

// Reserve makes sure the pages of [off, off+n) exist, so that writing into
// the mapping cannot fault for want of space: a POSIX object is a sparse
// tmpfs file, and a full tmpfs answers a store with SIGBUS. System V
// segments are charged at creation and need nothing.
func (s *Segment) Reserve(off, n int64) error {
	if !s.POSIX() || n <= 0 {
		return nil
	}
	err := unix.Fallocate(s.fd, unix.FALLOC_FL_KEEP_SIZE, off, n)
	switch {
	case err == nil, errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		return nil
	case errors.Is(err, unix.ENOSPC):
		return noSpace(s.fd, meter.Bytes(n))
	}
	return fmt.Errorf("fallocate: %w", err)
}

// Close unmaps or detaches the segment. The object itself stays.
func (s *Segment) Close() error {
	var err error
	if s.Mem != nil {
		if s.POSIX() {
			err = unix.Munmap(s.Mem)
		} else {
			err = unix.SysvShmDetach(s.Mem)
		}
		s.Mem = nil
	}
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
	return err
}

// Remove removes the object: IPC_RMID for System V (it goes when the last
// process detaches), unlink for POSIX (only a regular file in /dev/shm).
func Remove(n ipcname.Name) error {
	n, err := n.Resolve()
	if err != nil {
		return err
	}
	if n.Kind == ipcname.POSIX {
		var st unix.Stat_t
		if err := unix.Lstat(Path(n), &st); err != nil {
			return openErr(err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return fmt.Errorf("%s is not a shared memory object; not removed", Path(n))
		}
		return openErr(unix.Unlink(Path(n)))
	}
	id := n.ID
	if n.Kind == ipcname.Key {
		if id, err = unix.SysvShmGet(int(int32(n.Key)), 0, 0); err != nil {
			return openErr(err)
		}
	}
	_, err = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	return openErr(err)
}

// openErr turns errnos into the messages people understand.
func openErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EIDRM):
		return ErrNotExist
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%w (or it is being removed)", ErrNotExist)
	case errors.Is(err, unix.EEXIST):
		return ErrExist
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return ErrPermission
	case errors.Is(err, unix.ELOOP):
		return fmt.Errorf("is a symbolic link; refused")
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return err
}

// mapErr explains a failure to map or attach size bytes.
func mapErr(err error, size int64) error {
	if errors.Is(err, unix.ENOMEM) {
		return fmt.Errorf("cannot map %d bytes: out of address space (ulimit -v) or memory", size)
	}
	return openErr(err)
}

func createErr(err error, size int64) error {
	switch {
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("cannot create %d bytes: over the kernel's segment size limit (kernel.shmmax, /proc/sys/kernel/shmmax)", size)
	case errors.Is(err, unix.ENOSPC):
		return fmt.Errorf("cannot create %d bytes: out of segments or shared memory (kernel.shmmni, kernel.shmall)", size)
	case errors.Is(err, unix.ENOMEM):
		return fmt.Errorf("cannot create %d bytes: out of memory", size)
	}
	return openErr(err)
}

// Exists reports whether the named object exists now.
func Exists(n ipcname.Name) bool {
	_, err := StatName(n)
	return err == nil
}
