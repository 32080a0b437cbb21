package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
)

// fifo is what --stat and --list know of one FIFO.
type fifo struct {
	path     string
	st       *unix.Stat_t        // nil when only /proc knows it (another mount namespace)
	pipe     *procfs.Pipe        // nil when nobody holds it open
	opening  []procfs.PipeHolder // blocked opening it, or holding it by path only
	fill     procfs.PipeFill
	haveFill bool
	idle     time.Duration // since its times last moved; unknown without st
	stale    bool
}

// judge applies SPEC's stale rule: orphaned (nobody holds it open or is
// opening it) and idle, by its own times, for at least --idle.
func (f *fifo) judge(now time.Time, limit *cli.Idle) {
	if f.st != nil {
		f.idle = cli.IdleFor(now, stTime(f.st.Atim), stTime(f.st.Mtim), stTime(f.st.Ctim))
	}
	f.stale = f.pipe == nil && len(f.opening) == 0 && (f.st == nil || limit.Stale(now, now.Add(-f.idle)))
}

func stTime(t unix.Timespec) time.Time { return time.Unix(t.Unix()) }

func holders(hs []procfs.PipeHolder) []report.Record {
	out := []report.Record{}
	for _, h := range hs {
		var fd any = h.FD
		if h.FD < 0 {
			fd = nil // blocked in open(2): no descriptor yet
		}
		out = append(out, report.Record{
			{Name: "pid", Value: h.PID},
			{Name: "command", Value: h.Comm, Text: "(" + h.Comm + ")"},
			{Name: "fd", Value: fd},
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
		report.Field{Name: "opening", Value: holders(f.opening), Text: holderText(f.opening)})
	if f.st != nil {
		r = append(r, report.Idle(f.idle))
	} else {
		r = append(r, report.Idle(-1))
	}
	return append(r, report.Field{Name: "stale", Value: f.stale})
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
	self := os.Getpid()
	u := inUse(self)
	k := procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}
	f := &fifo{path: path, st: st, pipe: u.pipes[k], opening: u.opening[k]}
	if f.pipe != nil {
		f.fill, f.haveFill = fill(f.pipe, self)
	}
	f.judge(time.Now(), &o.Idle)
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

// survey joins the FIFOs held open anywhere with those found on disk, and
// judges which are stale.
func survey(dir string, limit *cli.Idle) ([]*fifo, *fifoUse) {
	found := findFIFOs(searchDirs(dir))
	self := os.Getpid()
	u := inUse(self)
	for k, p := range u.pipes {
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
		f.fill, f.haveFill = fill(p, self)
	}
	now := time.Now()
	all := make([]*fifo, 0, len(found))
	for k, f := range found {
		f.opening = u.opening[k]
		f.judge(now, limit)
		all = append(all, f)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].path < all[j].path })
	return all, u
}

var listColumns = []string{"path", "mode", "owner", "queued", "writers", "readers", "idle", "stale"}

func list(env *cli.Env, o *options, dir string) error {
	all, u := survey(dir, &o.Idle)
	var rows []report.Record
	for _, f := range all {
		if o.Stale && !f.stale {
			continue
		}
		rows = append(rows, f.record())
	}
	if err := report.List(env.Stdout, o.JSON, listColumns, rows); err != nil {
		return cli.Output(err)
	}
	if !o.JSON {
		if u.scan.Hidden > 0 {
			env.Warnf("%d processes could not be inspected; FIFOs only they hold may show as stale (run as root to see all)", u.scan.Hidden)
		}
		if len(u.unknown) > 0 {
			env.Warnf("%s blocked opening a FIFO that could not be told; the FIFO it waits on may show as stale", pidList(u.unknown))
		}
	}
	return nil
}

// pidList is "pid 12 is" or "pids 12, 13 are".
func pidList(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	if len(s) == 1 {
		return "pid " + s[0] + " is"
	}
	return "pids " + strings.Join(s, ", ") + " are"
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

// removeSame is --rm after a transfer: it removes the FIFO at path if it
// is still the one the transfer used (st). Gone already (the peer's --rm
// came first) is success, and a new FIFO made at path since is another
// one, left alone.
func removeSame(path string, st *unix.Stat_t) error {
	var now unix.Stat_t
	if err := unix.Lstat(path, &now); err == unix.ENOENT {
		return nil
	} else if err != nil {
		return cli.Fail(path, err, "")
	}
	if now.Dev != st.Dev || now.Ino != st.Ino {
		return nil
	}
	if err := unix.Unlink(path); err != nil && err != unix.ENOENT {
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

// removeStale removes the stale FIFOs that this user may remove (root:
// all; others: their own), printing each as it goes. A FIFO is live only
// through a process that holds it or is opening it, by device and inode;
// a process blocked opening a FIFO that cannot be told is not counted
// against any of them (it is most likely elsewhere), only reported.
func removeStale(env *cli.Env, o *options, dir string) error {
	all, u := survey(dir, &o.Idle)
	if len(u.unknown) > 0 {
		env.Warnf("%s blocked opening a FIFO that could not be told; not counted as opening any of these", pidList(u.unknown))
	}
	uid := uint32(os.Geteuid())
	var failed error
	for _, f := range all {
		if !f.stale || f.st == nil || uid != 0 && f.st.Uid != uid {
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
