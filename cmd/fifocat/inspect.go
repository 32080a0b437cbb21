package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
)

// fifo is what --stat and --list know of one FIFO.
type fifo struct {
	path     string
	st       *unix.Stat_t // nil when only /proc knows it (another mount namespace)
	pipe     *procfs.Pipe // nil when nobody holds it
	fill     procfs.PipeFill
	haveFill bool
}

func (f *fifo) stale() bool { return f.pipe == nil }

func holders(hs []procfs.PipeHolder) []report.Record {
	out := []report.Record{}
	for _, h := range hs {
		out = append(out, report.Record{
			{Name: "pid", Value: h.PID},
			{Name: "command", Value: h.Comm, Text: "(" + h.Comm + ")"},
			{Name: "fd", Value: h.FD},
		})
	}
	return out
}

// holderText renders holders as "pid (comm)" lists, each process once.
func holderText(hs []procfs.PipeHolder) string {
	var parts []string
	seen := map[int]bool{}
	for _, h := range hs {
		if !seen[h.PID] {
			seen[h.PID] = true
			parts = append(parts, fmt.Sprintf("%d (%s)", h.PID, h.Comm))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (f *fifo) record() report.Record {
	r := report.Record{{Name: "type", Value: "fifo"}, {Name: "path", Value: f.path}}
	if f.st != nil {
		r = append(r,
			report.Field{Name: "mode", Value: report.Mode(f.st.Mode)},
			report.Field{Name: "owner", Value: report.User(f.st.Uid)},
			report.Field{Name: "group", Value: report.Group(f.st.Gid)})
	}
	var rd, wr []procfs.PipeHolder
	if f.pipe != nil {
		rd, wr = f.pipe.Readers, f.pipe.Writers
	}
	var capacity, queued any // unknown ("-", null) unless a reader lets us look
	if f.haveFill {
		capacity, queued = f.fill.Capacity, f.fill.Queued
	}
	r = append(r,
		report.Field{Name: "capacity", Value: capacity},
		report.Field{Name: "queued", Value: queued},
		report.Field{Name: "readers", Value: holders(rd), Text: holderText(rd)},
		report.Field{Name: "writers", Value: holders(wr), Text: holderText(wr)},
		report.Field{Name: "stale", Value: f.stale()})
	return r
}

// lstatFIFO checks that path is a FIFO without following a symlink.
func lstatFIFO(path string) (*unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err == unix.ENOENT {
			return nil, cli.Failf(path, "fifocat --list shows the FIFOs in use", "no such FIFO")
		}
		return nil, cli.Fail(path, err, "")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil, notFIFO(path, st.Mode)
	}
	return &st, nil
}

func stat(env *cli.Env, o *options, path string) error {
	st, err := lstatFIFO(path)
	if err != nil {
		return err
	}
	pipes, _ := procfs.Pipes(true)
	f := &fifo{path: path, st: st, pipe: pipes[procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}]}
	if f.pipe != nil {
		f.fill, f.haveFill = f.pipe.Fill(os.Getpid())
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, f.record()))
}

// searchDirs are where --list and --rm --stale look for FIFOs that nobody
// holds (the ones held open anywhere are found through /proc).
func searchDirs(dir string) []string {
	if dir != "" {
		return []string{dir}
	}
	dirs := []string{os.TempDir(), "/tmp", "/var/tmp", "/dev/shm"}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		dirs = append(dirs, x)
	}
	return dirs
}

// searchDepth is how deep below each search directory FIFOs are looked for.
const searchDepth = 2

// findFIFOs walks dirs (not following symlinks, not deeper than
// searchDepth) and returns the FIFOs in them by device and inode.
func findFIFOs(dirs []string) map[procfs.PipeKey]*fifo {
	out := map[procfs.PipeKey]*fifo{}
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
			var st unix.Stat_t
			if unix.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
				return nil
			}
			k := procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}
			if _, dup := out[k]; !dup {
				out[k] = &fifo{path: p, st: &st}
			}
			return nil
		})
	}
	return out
}

// survey joins the FIFOs held open anywhere with those found on disk.
func survey(dir string) ([]*fifo, procfs.Scan) {
	found := findFIFOs(searchDirs(dir))
	pipes, sc := procfs.Pipes(true)
	self := os.Getpid()
	for k, p := range pipes {
		f := found[k]
		if f == nil {
			if dir != "" {
				continue // with DIR, only the FIFOs in it
			}
			f = &fifo{path: p.Path}
			var st unix.Stat_t
			if unix.Lstat(p.Path, &st) == nil && st.Dev == k.Dev && st.Ino == k.Ino {
				f.st = &st
			}
			found[k] = f
		}
		f.pipe = p
		f.fill, f.haveFill = p.Fill(self)
	}
	all := make([]*fifo, 0, len(found))
	for _, f := range found {
		all = append(all, f)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].path < all[j].path })
	return all, sc
}

var listColumns = []string{"path", "mode", "owner", "queued", "writers", "readers", "stale"}

func list(env *cli.Env, o *options, dir string) error {
	all, sc := survey(dir)
	var rows []report.Record
	for _, f := range all {
		if o.Stale && !f.stale() {
			continue
		}
		rows = append(rows, f.record())
	}
	if err := report.List(env.Stdout, o.JSON, listColumns, rows); err != nil {
		return cli.Output(err)
	}
	if sc.Hidden > 0 && !o.JSON {
		env.Warnf("%d processes could not be inspected; FIFOs only they hold may show as stale (run as root to see all)", sc.Hidden)
	}
	return nil
}

// remove unlinks path if, and only if, it is a FIFO.
func remove(path string) error {
	if _, err := lstatFIFO(path); err != nil {
		return err
	}
	if err := unix.Unlink(path); err != nil {
		return unlinkErr(path, err)
	}
	return nil
}

// unlinkErr explains why a FIFO could not be removed.
func unlinkErr(path string, err error) error {
	dir := filepath.Dir(path)
	switch err {
	case unix.EACCES:
		return cli.Fail(path, err, "removing it needs write permission on "+dir+" (ask its owner or root)")
	case unix.EPERM:
		var st unix.Stat_t
		if unix.Stat(dir, &st) == nil && st.Mode&unix.S_ISVTX != 0 {
			return cli.Fail(path, err, dir+" is sticky: only the FIFO's owner, the directory's owner or root may remove it")
		}
		return cli.Fail(path, err, "check the attributes of "+dir+" with lsattr -d")
	case unix.EROFS:
		return cli.Fail(path, err, dir+" is on a read-only file system")
	}
	return cli.Fail(path, err, "")
}

// removeStale removes the FIFOs nobody holds that this user may remove
// (root: all; others: their own), printing each as it goes.
func removeStale(env *cli.Env, o *options, dir string) error {
	all, _ := survey(dir)
	uid := uint32(os.Geteuid())
	var failed error
	for _, f := range all {
		if !f.stale() || f.st == nil || uid != 0 && f.st.Uid != uid {
			continue
		}
		if o.DryRun {
			fmt.Fprintf(env.Stdout, "would remove %s\n", f.path)
			continue
		}
		// Make sure it is still the FIFO we surveyed.
		var st unix.Stat_t
		if unix.Lstat(f.path, &st) != nil || st.Dev != f.st.Dev || st.Ino != f.st.Ino {
			continue
		}
		if err := unix.Unlink(f.path); err != nil {
			env.Warnf("%s", unlinkErr(f.path, err))
			failed = errors.New("some stale FIFOs could not be removed")
			continue
		}
		fmt.Fprintf(env.Stdout, "removed %s\n", f.path)
	}
	if failed != nil {
		return cli.Fail("", failed, "")
	}
	return nil
}
