package sem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/shm"
)

// Prefix is how glibc's sem_open names a semaphore's file in shm.Dir:
// /NAME is sem.NAME.
const Prefix = "sem."

// semSize is sizeof(sem_t) in glibc on 64-bit Linux: the file's size.
const semSize = 32

// Path is the file of the POSIX semaphore /NAME.
func Path(name string) string {
	return ns.Path(shm.Dir + "/" + Prefix + strings.TrimPrefix(name, "/"))
}

// posixList lists the sem.* files of shm.Dir with their holders.
func posixList() ([]Info, error) {
	ents, err := os.ReadDir(ns.Path(shm.Dir))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	holders, err := shm.FileHolders()
	if err != nil {
		return nil, err
	}
	var infos []Info
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), Prefix) || e.Name() == Prefix {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(ns.Path(shm.Dir+"/"+e.Name()), &st) != nil {
			continue
		}
		infos = append(infos, posixInfo("/"+strings.TrimPrefix(e.Name(), Prefix), &st, holders))
	}
	sort.Slice(infos, func(a, b int) bool { return infos[a].Name < infos[b].Name })
	return infos, nil
}

// posixStat returns the POSIX semaphore /NAME.
func posixStat(name string) (Info, error) {
	var st unix.Stat_t
	if err := unix.Lstat(Path(name), &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return Info{}, ErrNotExist
		}
		return Info{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return Info{}, fmt.Errorf("%s is not a semaphore", Path(name))
	}
	holders, err := shm.FileHolders()
	if err != nil {
		return Info{}, err
	}
	return posixInfo(name, &st, holders), nil
}

func posixInfo(name string, st *unix.Stat_t, holders map[procfs.FileID][]shm.Holder) Info {
	i := Info{POSIX: true, Name: name, ID: -1, Nsems: 1, Size: st.Size, Mode: st.Mode & 0o777,
		UID: st.Uid, GID: st.Gid, dev: st.Dev, ino: st.Ino, Value: -1, Waiters: -1,
		Holders: holders[procfs.FileID{Dev: st.Dev, Ino: st.Ino}],
		Atime:   time.Unix(st.Atim.Unix()), Mtime: time.Unix(st.Mtim.Unix()), Ctime: time.Unix(st.Ctim.Unix())}
	if st.Size == semSize {
		i.Value, i.Waiters = readValue(Path(name), st)
	}
	return i
}

// readValue reads the count and the number of waiters from the sem_t in
// the file, as glibc lays it out on 64-bit Linux (struct new_sem): one
// 64-bit word, the value in its low 32 bits and the waiters in its high
// ones, in the machine's byte order. It reads without touching the
// file's access time where it may (O_NOATIME), and only the file it
// stat'ed; -1, -1 when it cannot (neither is known).
func readValue(path string, st *unix.Stat_t) (value, waiters int64) {
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Open(path, flags|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(path, flags, 0)
	}
	if err != nil {
		return -1, -1
	}
	defer unix.Close(fd)
	var now unix.Stat_t
	b := make([]byte, 8)
	if unix.Fstat(fd, &now) != nil || now.Ino != st.Ino || now.Dev != st.Dev {
		return -1, -1
	}
	if n, err := unix.Pread(fd, b, 0); err != nil || n != len(b) {
		return -1, -1
	}
	w := binary.NativeEndian.Uint64(b)
	return int64(uint32(w)), int64(w >> 32)
}

// removeFile unlinks path if it is still the file dev/ino.
func removeFile(path string, dev, ino uint64) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil || st.Dev != dev || st.Ino != ino {
		return ErrNotExist
	}
	if err := unix.Unlink(path); err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return ErrPermission
		}
		return err
	}
	return nil
}
