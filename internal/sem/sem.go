// Package sem is shmcat's view of semaphores: System V sets (semget,
// semctl, which x/sys/unix lacks) and POSIX named semaphores, which glibc
// keeps in /dev/shm as sem.NAME. It lists them, reads their values, last
// operators and waiters, applies SPEC's stale rule and removes them.
package sem

import (
	"errors"
	"fmt"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/shm"
)

var (
	// ErrNotExist: no semaphore by that name.
	ErrNotExist = errors.New("no such semaphore")
	// ErrPermission: the mode does not let us read or remove it.
	ErrPermission = errors.New("permission denied")
)

// Info is what --stat --sem and --list --sem know of a semaphore.
type Info struct {
	POSIX      bool
	Name       string // POSIX: "/NAME" (the file sem.NAME)
	Key        uint32 // System V
	ID         int    // System V; -1 for POSIX
	Nsems      int    // members of a System V set; 1 for POSIX
	Mode       uint32
	UID, GID   uint32
	CUID, CGID uint32    // System V creator
	Otime      time.Time // System V: last semop
	Ctime      time.Time // System V: last change; POSIX: the file's
	Atime      time.Time // POSIX file times
	Mtime      time.Time
	// Members are a System V set's members, when Readable (this user may
	// read the set).
	Members  []Member
	Readable bool
	// POSIX: the sem_t in the file (Value and Waiters -1: not a glibc
	// sem_t, or not ours to read), its file's size, and the processes
	// that map or hold it.
	Value, Waiters int64
	Size           int64
	Holders        []shm.Holder
	dev, ino       uint64
	Stale          bool
}

// Member is one semaphore of a System V set.
type Member struct {
	Num, Value int
	PID        int // the last process to operate on it (semop, SETVAL); 0: none
	Ncnt, Zcnt int // processes waiting for it to grow, to reach zero
}

// Orphaned is the first half of SPEC's stale rule for semaphores: a
// System V set whose every member's last operator is dead (or none) and
// that nobody waits on (an unreadable set never is); a POSIX semaphore
// that no process maps or holds open.
func (i Info) Orphaned() bool {
	if i.POSIX {
		return len(i.Holders) == 0
	}
	if !i.Readable {
		return false
	}
	for _, m := range i.Members {
		if procfs.Alive(m.PID) || m.Ncnt > 0 || m.Zcnt > 0 {
			return false
		}
	}
	return true
}

// LastUse are the kernel's times that --idle measures from: the last
// semop and change of a System V set; the file times of a POSIX one.
func (i Info) LastUse() []time.Time {
	if i.POSIX {
		return []time.Time{i.Mtime, i.Atime, i.Ctime}
	}
	return []time.Time{i.Otime, i.Ctime}
}

// What names the semaphore for people: "/NAME" or "key 0x... id N".
func (i Info) What() string {
	if i.POSIX {
		return i.Name
	}
	return fmt.Sprintf("key %s id %d", ipcname.FormatKey(i.Key), i.ID)
}

// List returns every System V set (by id) and every POSIX named
// semaphore (by name) on the system.
func List() ([]Info, error) {
	infos, err := sysvList()
	if err != nil {
		return nil, fmt.Errorf("read /proc/sysvipc/sem: %w", err)
	}
	named, err := posixList()
	if err != nil {
		return nil, err
	}
	return append(infos, named...), nil
}

// StatName returns one semaphore: a System V set by key, ftok or id, or
// a POSIX one by /NAME.
func StatName(n ipcname.Name) (Info, error) {
	if n.Kind == ipcname.POSIX {
		return posixStat(n.Path)
	}
	id, err := resolve(n)
	if err != nil {
		return Info{}, err
	}
	i, err := statID(id)
	if errors.Is(err, ErrPermission) {
		// Not ours to read: what /proc/sysvipc/sem shows everyone.
		all, lerr := sysvList()
		for _, l := range all {
			if lerr == nil && l.ID == id {
				return l, nil
			}
		}
	}
	return i, err
}

// Remove removes one semaphore: IPC_RMID for a System V set, unlink for
// a POSIX one (processes that have it open keep it until they close it).
func Remove(n ipcname.Name) error {
	if n.Kind == ipcname.POSIX {
		i, err := posixStat(n.Path)
		if err != nil {
			return err
		}
		return i.Remove()
	}
	id, err := resolve(n)
	if err != nil {
		return err
	}
	return RemoveID(id)
}

// Remove removes the semaphore surveyed, and only it: a System V set by
// its id, a POSIX file if its name still holds the same file
// (ErrNotExist otherwise).
func (i Info) Remove() error {
	if !i.POSIX {
		return RemoveID(i.ID)
	}
	return removeFile(Path(i.Name), i.dev, i.ino)
}

// resolve turns a System V name into a set id.
func resolve(n ipcname.Name) (int, error) {
	n, err := n.Resolve()
	if err != nil {
		return -1, err
	}
	if n.Kind == ipcname.ID {
		return n.ID, nil
	}
	id, err := Get(n.Key, 0, 0)
	if err != nil {
		return -1, idErr(err)
	}
	return id, nil
}
