package shm

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/procfs"
)

// Info is what --stat and --list know of an object.
type Info struct {
	POSIX      bool
	Name       string // POSIX: "/name"
	Key        uint32 // System V
	ID         int    // System V; -1 for POSIX
	Size       int64
	Mode       uint32 // permission bits
	UID, GID   uint32
	CUID, CGID uint32 // System V creator
	CPID, LPID int    // System V creator and last shmat/shmdt
	Nattch     int    // System V: attachments; POSIX: processes holding it
	Atime      time.Time
	Dtime      time.Time // System V last detach
	Ctime      time.Time
	Mtime      time.Time // POSIX
	Destroy    bool      // System V: marked for removal (IPC_RMID while attached)
	Locked     bool      // System V: SHM_LOCK'ed in memory
	// Unlinked: "deleted" (a POSIX object removed while held) or "memfd"
	// for memory no name reaches (see Unlinked); "" for the others.
	Unlinked string
	Holders  []Holder
	Stale    bool
}

// Holder is a process that has the object attached, mapped or open.
type Holder struct {
	PID  int
	Comm string
}

// IsStale applies SPEC's rule: a System V segment nobody has attached whose
// creator is dead; a POSIX object no process holds open or mapped.
func (i *Info) isStale() bool {
	if i.Unlinked != "" {
		return false
	}
	if i.POSIX {
		return len(i.Holders) == 0
	}
	return i.Nattch == 0 && !procfs.Alive(i.CPID)
}

// StatName returns the attributes of one object.
func StatName(n ipcname.Name) (Info, error) {
	n, err := n.Resolve()
	if err != nil {
		return Info{}, err
	}
	if n.Kind == ipcname.POSIX {
		var st unix.Stat_t
		if err := unix.Lstat(Path(n), &st); err != nil {
			return Info{}, openErr(err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return Info{}, fmt.Errorf("%s is not a shared memory object", Path(n))
		}
		holders, err := posixHolders()
		if err != nil {
			return Info{}, err
		}
		i := posixInfo(n.Path, &st, holders[devIno{st.Dev, st.Ino}])
		return i, nil
	}
	id := n.ID
	if n.Kind == ipcname.Key {
		if id, err = unix.SysvShmGet(int(int32(n.Key)), 0, 0); err != nil {
			return Info{}, openErr(err)
		}
	}
	all, err := sysvInfos()
	if err != nil {
		return Info{}, err
	}
	for _, i := range all {
		if i.ID == id {
			attached, err := sysvHolders()
			if err != nil {
				return Info{}, err
			}
			i.Holders = attached[id]
			return i, nil
		}
	}
	return Info{}, ErrNotExist
}

// List returns every System V segment and POSIX object on the system,
// System V first (by id), then POSIX (by name).
func List() ([]Info, error) {
	infos, err := sysvInfos()
	if err != nil {
		return nil, fmt.Errorf("read /proc/sysvipc/shm: %w", err)
	}
	attached, err := sysvHolders()
	if err != nil {
		return nil, err
	}
	for k := range infos {
		infos[k].Holders = attached[infos[k].ID]
	}
	ents, err := os.ReadDir(ns.Path(Dir))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	holders, err := posixHolders()
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		// glibc keeps POSIX semaphores beside shared memory as sem.NAME.
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), "sem.") {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(ns.Path(Dir+"/"+e.Name()), &st) != nil {
			continue
		}
		infos = append(infos, posixInfo("/"+e.Name(), &st, holders[devIno{st.Dev, st.Ino}]))
	}
	return infos, nil
}

func sysvInfos() ([]Info, error) {
	rows, err := procfs.SysV("shm")
	if err != nil {
		return nil, err
	}
	infos := make([]Info, 0, len(rows))
	for _, r := range rows {
		perms := r.Octal("perms")
		i := Info{
			Key: uint32(int32(r.Int("key"))), ID: int(r.Int("shmid")), Size: r.Int("size"),
			Mode: perms & 0o777, Destroy: perms&shmDest != 0, Locked: perms&shmLocked != 0,
			UID: uint32(r.Uint("uid")), GID: uint32(r.Uint("gid")),
			CUID: uint32(r.Uint("cuid")), CGID: uint32(r.Uint("cgid")),
			CPID: int(r.Int("cpid")), LPID: int(r.Int("lpid")), Nattch: int(r.Int("nattch")),
			Atime: unixTime(r.Int("atime")), Dtime: unixTime(r.Int("dtime")), Ctime: unixTime(r.Int("ctime")),
		}
		i.Stale = i.isStale()
		infos = append(infos, i)
	}
	sort.Slice(infos, func(a, b int) bool { return infos[a].ID < infos[b].ID })
	return infos, nil
}

func posixInfo(name string, st *unix.Stat_t, holders []Holder) Info {
	i := Info{
		POSIX: true, Name: name, ID: -1, Size: st.Size, Mode: st.Mode & 0o777,
		UID: st.Uid, GID: st.Gid, Nattch: len(holders), Holders: holders,
		Atime: time.Unix(st.Atim.Unix()), Mtime: time.Unix(st.Mtim.Unix()), Ctime: time.Unix(st.Ctim.Unix()),
	}
	i.Stale = i.isStale()
	return i
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

type devIno struct{ dev, ino uint64 }

// posixHolders maps each /dev/shm file to the processes holding it open
// or mapped, each process once. A walk of /proc that stopped early (no
// descriptor left, no /proc) is an error: a partial answer would make
// held objects look orphaned, and --rm --stale remove them.
func posixHolders() (map[devIno][]Holder, error) {
	seen := map[devIno]map[int]bool{}
	add := func(k devIno, pid int) {
		if seen[k] == nil {
			seen[k] = map[int]bool{}
		}
		seen[k][pid] = true
	}
	fds := procfs.FDs(func(link string) bool { return strings.HasPrefix(link, Dir+"/") },
		func(f procfs.FD) { add(devIno{f.Dev, f.Ino}, f.PID) })
	if fds.Err != nil {
		return nil, scanErr(fds.Err)
	}
	maps := procfs.Maps(func(line string) bool { return strings.Contains(line, " "+Dir+"/") },
		func(m procfs.Mapping) { add(devIno{m.Dev(), m.Ino}, m.PID) })
	if maps.Err != nil {
		return nil, scanErr(maps.Err)
	}
	return holderLists(seen), nil
}

func scanErr(err error) error {
	return fmt.Errorf("cannot see which processes hold shared memory: %w", err)
}

// sysvHolders maps each System V segment id to the processes attached to it
// (their maps show "/SYSV<key>" with the id as the inode).
func sysvHolders() (map[int][]Holder, error) {
	seen := map[int]map[int]bool{}
	sc := procfs.Maps(func(line string) bool { return strings.Contains(line, " /SYSV") },
		func(m procfs.Mapping) {
			if !ns.SameIPC(m.PID) {
				return // attached to a segment of another IPC namespace
			}
			id := int(m.Ino)
			if seen[id] == nil {
				seen[id] = map[int]bool{}
			}
			seen[id][m.PID] = true
		})
	if sc.Err != nil {
		return nil, scanErr(sc.Err)
	}
	return holderLists(seen), nil
}

func holderLists[K comparable](seen map[K]map[int]bool) map[K][]Holder {
	out := make(map[K][]Holder, len(seen))
	for k, pids := range seen {
		for pid := range pids {
			out[k] = append(out[k], Holder{PID: pid, Comm: procfs.Comm(pid)})
		}
		sort.Slice(out[k], func(a, b int) bool { return out[k][a].PID < out[k][b].PID })
	}
	return out
}

// shmDest is the SHM_DEST bit of a segment's mode: IPC_RMID was asked while
// processes were still attached (linux/shm.h; x/sys does not export it).
const shmDest = 0o1000

// shmLocked is the SHM_LOCKED bit: the segment is locked in memory.
const shmLocked = 0o2000
