package shm

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/procfs"
)

// Unlinked lists the shared memory that no name reaches and processes
// keep alive: POSIX objects deleted from Dir while still mapped or open
// (Info.Unlinked "deleted", Name the /name it had) and memfds ("memfd",
// Name "memfd:NAME"). They go when their last holder does; none is ever
// stale, as nothing but their holders can free them.
func Unlinked() ([]Info, error) {
	files, sc := procfs.UnlinkedFiles(Dir)
	if sc.Err != nil {
		return nil, scanErr(sc.Err)
	}
	named := namedFiles()
	infos := make([]Info, 0, len(files))
	for _, f := range files {
		if named[f.FileID] {
			continue // still reachable by a name in Dir
		}
		if !heldIn(f.Holders) {
			continue // under ns.Run: another mount namespace's
		}
		i := Info{Unlinked: "deleted", Name: strings.TrimPrefix(f.Path, Dir), ID: -1, Size: f.Size(), Mode: noMode}
		if f.Memfd {
			i.Unlinked, i.Name = "memfd", f.Path[1:]
		}
		seen := map[int]bool{}
		for _, h := range f.Holders {
			if !seen[h.PID] {
				seen[h.PID] = true
				i.Holders = append(i.Holders, Holder{PID: h.PID, Comm: h.Comm})
			}
		}
		i.Nattch = len(i.Holders)
		if st := f.Stat; st != nil {
			i.Mode, i.UID, i.GID = st.Mode&0o777, st.Uid, st.Gid
			i.Atime, i.Mtime, i.Ctime = time.Unix(st.Atim.Unix()), time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix())
		}
		infos = append(infos, i)
	}
	return infos, nil
}

// noMode marks an unlinked file whose mode and owner could not be read
// (mapped only, by a process whose map_files we may not follow).
const noMode = ^uint32(0)

// Space is the size and free space of the tmpfs behind Dir, by statfs(2).
func Space() (size, free int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(ns.Path(Dir), &st); err != nil {
		return 0, 0, err
	}
	return int64(st.Blocks) * st.Bsize, int64(st.Bavail) * st.Bsize, nil
}

// FileHolders maps each file of Dir, by device and inode, to the
// processes that hold it open or map it (each once, in pid order): what
// a POSIX object's or a POSIX semaphore's holders are.
func FileHolders() (map[procfs.FileID][]Holder, error) {
	m, err := posixHolders()
	if err != nil {
		return nil, err
	}
	out := make(map[procfs.FileID][]Holder, len(m))
	for k, v := range m {
		out[procfs.FileID{Dev: k.dev, Ino: k.ino}] = v
	}
	return out, nil
}

// namedFiles are the files Dir holds by name, by device and inode: a
// mapping whose path the kernel shows as deleted may have been made
// through a temporary name of a file that another name still reaches.
func namedFiles() map[procfs.FileID]bool {
	out := map[procfs.FileID]bool{}
	ents, _ := os.ReadDir(ns.Path(Dir))
	for _, e := range ents {
		var st unix.Stat_t
		if e.Type().IsRegular() && unix.Lstat(ns.Path(Dir+"/"+e.Name()), &st) == nil {
			out[procfs.FileID{Dev: st.Dev, Ino: st.Ino}] = true
		}
	}
	return out
}

// heldIn reports whether a process of the mount namespace that ns.Run
// entered (outside Run: any process) holds the file.
func heldIn(holders []procfs.PipeHolder) bool {
	for _, h := range holders {
		if ns.SameMount(h.PID) {
			return true
		}
	}
	return false
}
