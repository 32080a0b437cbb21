package procfs

import (
	"fmt"
	"sort"
	"strings"
)

// FileID names a file by device and inode, as stat(2) and /proc/PID/maps
// both do.
type FileID struct {
	Dev uint64
	Ino uint64
}

// Mapper is one process's shared mappings of one file, summed.
type Mapper struct {
	PID      int
	Comm     string
	Writable bool   // some mapping is PROT_WRITE
	Bytes    uint64 // address space mapped
	Regions  int    // how many mappings
}

// MappedFile is a file some process maps MAP_SHARED.
type MappedFile struct {
	FileID
	Path    string // as the kernel printed it, without " (deleted)"
	Deleted bool   // unlinked while mapped
	// MapFile is /proc/PID/map_files/START-END of one mapping of the file:
	// stat(2) on it reaches the file even once it is deleted (for whoever
	// may inspect that process's mappings).
	MapFile string
	Mappers []Mapper
}

// SharedFileMappings walks every process's maps and groups its
// MAP_SHARED mappings of files by file. keep chooses the files (nil: all
// that are named by an absolute path, which leaves out System V segments
// and anonymous shared memory). Processes come in pid order.
func SharedFileMappings(keep func(FileID) bool) ([]MappedFile, Scan) {
	return SharedFileMappingsIn(nil, keep)
}

// SharedFileMappingsIn is SharedFileMappings over the processes in
// accepts (nil: all), such as those of one mount namespace (a
// container's: see ns.MountPeers).
func SharedFileMappingsIn(in func(pid int) bool, keep func(FileID) bool) ([]MappedFile, Scan) {
	byFile := map[FileID]*MappedFile{}
	type key struct {
		id  FileID
		pid int
	}
	byProc := map[key]*Mapper{}
	sc := MapsIn(in, func(line string) bool {
		return strings.Contains(line, "s ") && strings.Contains(line, " /")
	}, func(m Mapping) {
		if !m.Shared() || m.Ino == 0 || !strings.HasPrefix(m.Path, "/") {
			return
		}
		path, deleted := strings.CutSuffix(m.Path, " (deleted)")
		if strings.HasPrefix(path, "/SYSV") && m.Major == 0 || path == "/dev/zero" {
			return // System V segments and anonymous shared memory, not files
		}
		id := FileID{Dev: m.Dev(), Ino: m.Ino}
		if keep != nil && !keep(id) {
			return
		}
		f := byFile[id]
		if f == nil {
			f = &MappedFile{FileID: id, Path: path, Deleted: deleted,
				MapFile: fmt.Sprintf("/proc/%d/map_files/%x-%x", m.PID, m.Start, m.End)}
			byFile[id] = f
		}
		p := byProc[key{id, m.PID}]
		if p == nil {
			p = &Mapper{PID: m.PID}
			byProc[key{id, m.PID}] = p
		}
		p.Regions++
		p.Bytes += m.End - m.Start
		p.Writable = p.Writable || strings.Contains(m.Perms, "w")
	})
	for k, p := range byProc {
		p.Comm = Comm(p.PID)
		f := byFile[k.id]
		f.Mappers = append(f.Mappers, *p)
	}
	files := make([]MappedFile, 0, len(byFile))
	for _, f := range byFile {
		sort.Slice(f.Mappers, func(i, j int) bool { return f.Mappers[i].PID < f.Mappers[j].PID })
		files = append(files, *f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, sc
}
