package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sock"
)

// staleDirs are where --rm --stale and --list --stale look for socket files
// when no DIR is given.
func staleDirs(args []string) []string {
	if len(args) > 0 {
		return args
	}
	dirs := []string{os.TempDir(), "/tmp", "/var/tmp"}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		dirs = append(dirs, x)
	} else {
		dirs = append(dirs, "/run/user/"+strconv.Itoa(os.Getuid()))
	}
	return dirs
}

// staleDepth is how many directory levels below each DIR are searched.
const staleDepth = 2

// staleSocket is a socket file nobody is bound to.
type staleSocket struct {
	path string
	st   unix.Stat_t
	idle time.Duration // since the file was bound or last changed
}

// findStale walks dirs (no symlinks followed, staleDepth levels down) for
// socket files that no socket in /proc/net/unix is bound to and whose
// connect(2) is refused, for every socket type, and that have been idle
// (by the file's modification and change times: bind, chmod, chown) for
// --idle. An error says some socket file could not be told (the kernel's
// table unreadable, no socket to probe with): what was found is partial,
// and nothing may be removed on its word.
func findStale(dirs []string, idle *cli.Idle) ([]staleSocket, error) {
	now := time.Now()
	seen := map[string]bool{}
	var out []staleSocket
	var failed error
	for _, dir := range dirs {
		dir = filepath.Clean(dir)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p != dir && strings.Count(p[len(dir):], "/") > staleDepth {
				return filepath.SkipDir
			}
			if d.Type()&fs.ModeSocket == 0 || seen[p] {
				return nil
			}
			seen[p] = true
			var st unix.Stat_t
			if unix.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
				return nil
			}
			mtime, ctime := time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix())
			if !idle.Stale(now, mtime, ctime) {
				return nil
			}
			stale, err := sock.Stale(p)
			if err != nil && failed == nil {
				failed = err
			}
			if stale {
				out = append(out, staleSocket{path: p, st: st, idle: cli.IdleFor(now, mtime, ctime)})
			}
			return nil
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, failed
}

// undecided is why a search that could not tell every socket file removes
// nothing, or lists what it could.
func undecided(err error, what string) error {
	return cli.Failf("", "run it again when the cause is gone (as root if /proc/net/unix is hidden)",
		"cannot tell which socket files are in use (%s); %s", reason(err), what)
}

// removeStale removes the stale socket files this user may remove (root:
// all; others: their own), printing each; --dry-run only prints.
func removeStale(env *cli.Env, o *options, args []string) error {
	found, err := findStale(staleDirs(args), &o.Idle)
	if err != nil {
		return undecided(err, "removed nothing")
	}
	var objs []cli.Stale
	for _, s := range found {
		objs = append(objs, cli.Stale{What: s.path, Owners: []uint32{s.st.Uid}, Remove: func() error {
			// Still the socket file that was probed?
			var st unix.Stat_t
			if unix.Lstat(s.path, &st) != nil || st.Dev != s.st.Dev || st.Ino != s.st.Ino {
				return cli.ErrReplaced
			}
			return unix.Unlink(s.path)
		}})
	}
	return env.Sweep("socket files", o.DryRun, objs)
}

var staleColumns = []string{"path", "mode", "owner", "idle"}

// listStale prints the stale socket files (--list --stale); when some file
// could not be told, the ones that could, then an error.
func listStale(env *cli.Env, o *options, args []string) error {
	found, ferr := findStale(staleDirs(args), &o.Idle)
	rows := []report.Record{}
	for _, s := range found {
		rows = append(rows, report.Record{
			{Name: "path", Value: s.path},
			{Name: "mode", Value: report.Mode(s.st.Mode & 0o7777)},
			{Name: "owner", Value: report.User(s.st.Uid)},
			report.Idle(s.idle),
		})
	}
	if err := report.List(env.Stdout, o.JSON, staleColumns, rows); err != nil {
		return cli.Output(err)
	}
	if ferr != nil {
		return undecided(ferr, "the list may be incomplete")
	}
	return nil
}
