package fifo

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
)

// Info is what --stat and --list know of one FIFO.
type Info struct {
	Path     string
	File     *File               // nil when only /proc knows it (another mount namespace)
	Pipe     *procfs.Pipe        // nil when nobody holds it open
	Opening  []procfs.PipeHolder // blocked opening it, or holding it by path only
	Stale    bool
	fill     procfs.PipeFill
	haveFill bool
	idle     time.Duration // since its times last moved; unknown without File
}

// judge applies SPEC's stale rule: orphaned (nobody holds it open or is
// opening it) and idle, by its own times, for at least --idle.
func (i *Info) judge(now time.Time, limit *cli.Idle) {
	if i.File != nil {
		i.idle = cli.IdleFor(now, i.File.Atime, i.File.Mtime, i.File.Ctime)
	}
	i.Stale = i.Pipe == nil && len(i.Opening) == 0 && (i.File == nil || limit.Stale(now, now.Add(-i.idle)))
}

// Stat is --stat of the FIFO at path.
func Stat(path string, limit *cli.Idle) (*Info, error) {
	f, err := Look(path)
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	u := Scan(self)
	i := &Info{Path: path, File: f, Pipe: u.Pipes[f.Key], Opening: u.Opening[f.Key]}
	if i.Pipe != nil {
		i.fill, i.haveFill = fill(i.Pipe, self)
	}
	i.judge(time.Now(), limit)
	return i, nil
}

// SearchDirs are where --list and --rm --stale look for FIFOs that nobody
// holds when no DIR is given (the ones held open anywhere are found
// through /proc).
func SearchDirs() []string {
	dirs := []string{os.TempDir(), "/tmp", "/var/tmp", "/dev/shm"}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		dirs = append(dirs, x)
	}
	return dirs
}

// searchDepth is how deep below each search directory FIFOs are looked for.
const searchDepth = 2

// find walks dirs (not following symlinks, not deeper than searchDepth)
// and returns the FIFOs in them by device and inode.
func find(dirs []string) map[procfs.PipeKey]*Info {
	out := map[procfs.PipeKey]*Info{}
	for _, dir := range dirs {
		dir = filepath.Clean(dir)
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p != dir && strings.Count(p[len(dir):], "/") >= searchDepth+1 {
				return filepath.SkipDir
			}
			if d.Type()&fs.ModeNamedPipe == 0 {
				return nil
			}
			if f := lstat(p); f != nil && out[f.Key] == nil {
				out[f.Key] = &Info{Path: p, File: f}
			}
			return nil
		})
	}
	return out
}

// Survey joins the FIFOs held open anywhere with those found in dir (none
// given: SearchDirs), judges which are stale, and returns them in path
// order, with what /proc told (for its warnings).
func Survey(dir string, limit *cli.Idle) ([]*Info, *Use) {
	dirs := SearchDirs()
	if dir != "" {
		dirs = []string{dir}
	}
	found := find(dirs)
	self := os.Getpid()
	u := Scan(self)
	for k, p := range u.Pipes {
		i := found[k]
		if i == nil {
			if dir != "" {
				continue // with DIR, only the FIFOs in it
			}
			i = &Info{Path: p.Path}
			if f := lstat(p.Path); f != nil && f.Key == k {
				i.File = f
			}
			found[k] = i
		}
		i.Pipe = p
		i.fill, i.haveFill = fill(p, self)
	}
	now := time.Now()
	all := make([]*Info, 0, len(found))
	for k, i := range found {
		i.Opening = u.Opening[k]
		i.judge(now, limit)
		all = append(all, i)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].Path < all[b].Path })
	return all, u
}

// ListColumns are --list's columns.
var ListColumns = []string{"path", "mode", "owner", "queued", "writers", "readers", "idle", "stale"}

// Record is what --stat and --list print of the FIFO.
func (i *Info) Record() report.Record {
	r := report.Record{{Name: "type", Value: "fifo"}, {Name: "path", Value: i.Path}}
	if i.File != nil {
		r = append(r,
			report.Field{Name: "mode", Value: report.Mode(i.File.Mode)},
			report.Field{Name: "owner", Value: report.User(i.File.UID)},
			report.Field{Name: "group", Value: report.Group(i.File.GID)})
	}
	var rd, wr []procfs.PipeHolder
	if i.Pipe != nil {
		rd, wr = i.Pipe.Readers, i.Pipe.Writers
	}
	var capacity, queued any // unknown ("-", null) unless a reader lets us look
	if i.haveFill {
		capacity, queued = i.fill.Capacity, i.fill.Queued
	}
	r = append(r,
		report.Field{Name: "capacity", Value: capacity},
		report.Field{Name: "queued", Value: queued},
		procfs.HolderField("readers", rd, 0, ""),
		procfs.HolderField("writers", wr, 0, ""),
		procfs.HolderField("opening", i.Opening, 0, ""))
	if i.File != nil {
		r = append(r, report.Idle(i.idle))
	} else {
		r = append(r, report.Idle(-1))
	}
	return append(r, report.Field{Name: "stale", Value: i.Stale})
}
