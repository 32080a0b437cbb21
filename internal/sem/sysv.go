package sem

import (
	"errors"
	"sort"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/procfs"
)

// semctl commands (linux/sem.h), which x/sys/unix does not export.
const (
	getPID  = 11 // sempid of one member: the last process to operate on it
	getAll  = 13 // every member's semval
	getNcnt = 14 // processes waiting for a member's value to grow
	getZcnt = 15 // processes waiting for a member to reach zero
	setVal  = 16
)

// semidDS is struct semid64_ds on amd64 (IPC_STAT's answer).
type semidDS struct {
	Perm  unix.SysvIpcPerm
	Otime int64
	_     uint64
	Ctime int64
	_     uint64
	Nsems uint64
	_     [2]uint64
}

// Get is semget(2): the id of the set with key (flag 0: an existing one).
func Get(key uint32, nsems, flag int) (int, error) {
	id, _, e := unix.Syscall(unix.SYS_SEMGET, uintptr(int32(key)), uintptr(nsems), uintptr(flag))
	if e != 0 {
		return -1, e
	}
	return int(id), nil
}

// semctl is semctl(2) with its fourth argument (a value or a pointer)
// passed as the kernel takes it.
func semctl(id, num, cmd int, arg uintptr) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), arg, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// SetVal is semctl(SETVAL): set one member's value.
func SetVal(id, num, val int) error {
	_, err := semctl(id, num, setVal, uintptr(val))
	return err
}

// RemoveID is semctl(IPC_RMID): the set goes at once, and processes
// waiting on it wake with EIDRM.
func RemoveID(id int) error {
	_, err := semctl(id, 0, unix.IPC_RMID, 0)
	return idErr(err)
}

// idErr words a failed semctl on a set id.
func idErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.EIDRM), errors.Is(err, unix.ENOENT):
		return ErrNotExist
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return ErrPermission
	}
	return err
}

// statID is IPC_STAT of one set.
func statID(id int) (Info, error) {
	var ds semidDS
	if _, err := semctl(id, 0, unix.IPC_STAT, uintptr(unsafe.Pointer(&ds))); err != nil {
		return Info{}, idErr(err)
	}
	p := ds.Perm
	i := Info{Key: uint32(p.Key), ID: id, Nsems: int(ds.Nsems), Mode: p.Mode & 0o777,
		UID: p.Uid, GID: p.Gid, CUID: p.Cuid, CGID: p.Cgid,
		Otime: unixTime(ds.Otime), Ctime: unixTime(ds.Ctime)}
	i.Members, i.Readable = members(id, i.Nsems)
	return i, nil
}

// members reads each member's value, last pid and waiters: false when
// the set may not be read (no read permission) or went meanwhile.
func members(id, n int) ([]Member, bool) {
	if n <= 0 {
		return nil, true
	}
	vals := make([]uint16, n)
	if _, err := semctl(id, 0, getAll, uintptr(unsafe.Pointer(&vals[0]))); err != nil {
		return nil, false
	}
	out := make([]Member, n)
	for k := range out {
		pid, err1 := semctl(id, k, getPID, 0)
		ncnt, err2 := semctl(id, k, getNcnt, 0)
		zcnt, err3 := semctl(id, k, getZcnt, 0)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, false
		}
		out[k] = Member{Num: k, Value: int(vals[k]), PID: pid, Ncnt: ncnt, Zcnt: zcnt}
	}
	return out, true
}

// sysvList reads /proc/sysvipc/sem: every set in this IPC namespace,
// whoever owns it, as ipcs -s reads it, with the members of those this
// user may read.
func sysvList() ([]Info, error) {
	rows, err := procfs.SysV("sem")
	if err != nil {
		return nil, err
	}
	infos := make([]Info, 0, len(rows))
	for _, r := range rows {
		i := Info{Key: uint32(int32(r.Int("key"))), ID: int(r.Int("semid")), Nsems: int(r.Int("nsems")),
			Mode: r.Octal("perms") & 0o777, UID: uint32(r.Uint("uid")), GID: uint32(r.Uint("gid")),
			CUID: uint32(r.Uint("cuid")), CGID: uint32(r.Uint("cgid")),
			Otime: unixTime(r.Int("otime")), Ctime: unixTime(r.Int("ctime"))}
		i.Members, i.Readable = members(i.ID, i.Nsems)
		infos = append(infos, i)
	}
	sort.Slice(infos, func(a, b int) bool { return infos[a].ID < infos[b].ID })
	return infos, nil
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}
