package procfs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// UnlinkedFile is shared memory that no name in a directory reaches any
// more, kept alive by the processes that map it or hold it open: a file
// of that directory deleted meanwhile ("/dev/shm/x (deleted)" in their
// maps and descriptor links), or a memfd ("/memfd:NAME (deleted)").
type UnlinkedFile struct {
	FileID
	Path  string // as the kernel prints it, without " (deleted)"
	Memfd bool
	// Stat is the file's own stat, through a holder's descriptor or
	// mapping (/proc/PID/map_files, which only a privileged reader may
	// follow); nil when neither could be reached.
	Stat *unix.Stat_t
	// Extent is the largest offset+length any process maps: what the file
	// is at least, when Stat is nil.
	Extent uint64
	// Holders: each descriptor (FD) and each mapping process (FD -1),
	// in pid order.
	Holders []PipeHolder
}

// Size is the file's size, or, unknown, the extent its processes map.
func (f *UnlinkedFile) Size() int64 {
	if f.Stat != nil {
		return f.Stat.Size
	}
	return int64(f.Extent)
}

// UnlinkedFiles finds, in every process's descriptors and mappings, the
// deleted files of dir and the memfds, with who holds each. A file
// mapped through a removed name that is still linked under another is
// left out when its stat says so (see shm.Unlinked for the rest).
func UnlinkedFiles(dir string) ([]UnlinkedFile, Scan) {
	u := unlinked{dir: dir, files: map[FileID]*UnlinkedFile{}}
	sc := Maps(func(line string) bool { return strings.HasSuffix(line, " (deleted)") && u.wanted(line) }, u.mapping)
	if sc.Err != nil {
		return nil, sc
	}
	fds := u.descriptors()
	sc.Hidden = max(sc.Hidden, fds.Hidden)
	if fds.Err != nil {
		return nil, fds
	}
	out := make([]UnlinkedFile, 0, len(u.files))
	for _, f := range u.files {
		if f.Stat != nil && f.Stat.Nlink > 0 {
			// Mapped through a name since removed, but linked under
			// another (glibc's sem_open maps a temporary file, then
			// links it as sem.NAME and removes the temporary name).
			continue
		}
		sort.SliceStable(f.Holders, func(a, b int) bool { return f.Holders[a].PID < f.Holders[b].PID })
		out = append(out, *f)
	}
	sort.Slice(out, func(a, b int) bool {
		return out[a].Path < out[b].Path || out[a].Path == out[b].Path && out[a].Ino < out[b].Ino
	})
	return out, sc
}

type unlinked struct {
	dir    string
	files  map[FileID]*UnlinkedFile
	mapped map[[2]uint64]bool // (inode, pid) already a mapping holder
}

// wanted tells whether a maps line or descriptor link names a deleted
// file of dir or a memfd.
func (u *unlinked) wanted(s string) bool {
	return strings.Contains(s, " "+u.dir+"/") || strings.HasPrefix(s, u.dir+"/") ||
		strings.Contains(s, " /memfd:") || strings.HasPrefix(s, "/memfd:")
}

func (u *unlinked) file(id FileID, path string) *UnlinkedFile {
	f := u.files[id]
	if f == nil {
		path = strings.TrimSuffix(path, " (deleted)")
		f = &UnlinkedFile{FileID: id, Path: path, Memfd: strings.HasPrefix(path, "/memfd:")}
		u.files[id] = f
	}
	return f
}

func (u *unlinked) mapping(m Mapping) {
	if !strings.HasPrefix(m.Path, u.dir+"/") && !strings.HasPrefix(m.Path, "/memfd:") {
		return
	}
	f := u.file(FileID{Dev: m.Dev(), Ino: m.Ino}, m.Path)
	f.Extent = max(f.Extent, m.Offset+m.End-m.Start)
	if f.Stat == nil {
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("%s/%d/map_files/%x-%x", Root, m.PID, m.Start, m.End), &st) == nil {
			f.Stat = &st
		}
	}
	if u.mapped == nil {
		u.mapped = map[[2]uint64]bool{}
	}
	if k := [2]uint64{m.Ino, uint64(m.PID)}; !u.mapped[k] {
		u.mapped[k] = true
		f.Holders = append(f.Holders, PipeHolder{PID: m.PID, FD: -1, Comm: Comm(m.PID)})
	}
}

// descriptors adds the descriptors that hold such files, found by FDs.
// FD carries only a file's identity and type: each of these few files is
// stat'ed again in full (size, link count, owner, times), and left out if
// its descriptor was closed or reused meanwhile.
func (u *unlinked) descriptors() Scan {
	keep := func(link string) bool { return strings.HasSuffix(link, " (deleted)") && u.wanted(link) }
	return FDs(keep, func(fd FD) {
		if fd.Mode&unix.S_IFMT != unix.S_IFREG {
			return
		}
		var st unix.Stat_t
		path := Root + "/" + strconv.Itoa(fd.PID) + "/fd/" + strconv.Itoa(fd.FD)
		if unix.Stat(path, &st) != nil || st.Dev != fd.Dev || st.Ino != fd.Ino {
			return
		}
		f := u.file(FileID{Dev: st.Dev, Ino: st.Ino}, fd.Link)
		f.Stat = &st
		f.Holders = append(f.Holders, PipeHolder{PID: fd.PID, FD: fd.FD, Comm: Comm(fd.PID)})
	})
}
