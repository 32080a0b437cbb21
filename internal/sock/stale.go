package sock

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
)

// StaleDirs are where a search for stale socket files looks when no
// directory is given: the temporary and runtime directories.
func StaleDirs() []string {
	dirs := []string{os.TempDir(), "/tmp", "/var/tmp"}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		dirs = append(dirs, x)
	} else {
		dirs = append(dirs, "/run/user/"+strconv.Itoa(os.Getuid()))
	}
	return dirs
}

// staleDepth is how many directory levels below each directory are searched.
const staleDepth = 2

// StaleFile is a socket file nobody is bound to.
type StaleFile struct {
	Path string
	st   unix.Stat_t
	idle time.Duration // since the file was bound or last changed
}

// FindStale walks dirs (none: StaleDirs; no symlinks followed, two levels down) for socket
// files that no socket in /proc/net/unix is bound to and whose connect(2)
// is refused, for every socket type (Stale), and that have been idle (by
// the file's modification and change times: bind, chmod, chown) for
// --idle. An error says some socket file could not be told (the kernel's
// table unreadable, no socket to probe with): what was found is partial,
// and nothing may be removed on its word.
func FindStale(dirs []string, idle *cli.Idle) ([]StaleFile, error) {
	if len(dirs) == 0 {
		dirs = StaleDirs()
	}
	now := time.Now()
	seen := map[string]bool{}
	var out []StaleFile
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
			stale, err := Stale(p)
			if err != nil && failed == nil {
				failed = err
			}
			if stale {
				out = append(out, StaleFile{Path: p, st: st, idle: cli.IdleFor(now, mtime, ctime)})
			}
			return nil
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, failed
}

// Sweepable is the file for a --rm --stale sweep: owned by its owner, and
// removed only if the path still holds the socket file that was probed.
func (s StaleFile) Sweepable() cli.Stale {
	return cli.Stale{What: s.Path, Owners: []uint32{s.st.Uid}, Remove: func() error {
		var st unix.Stat_t
		if unix.Lstat(s.Path, &st) != nil || st.Dev != s.st.Dev || st.Ino != s.st.Ino {
			return cli.ErrReplaced
		}
		return unix.Unlink(s.Path)
	}}
}

// StaleColumns are the columns of a StaleFile's Record in a text list.
var StaleColumns = []string{"path", "mode", "owner", "idle"}

// Record is the file's --list --stale row.
func (s StaleFile) Record() report.Record {
	return report.Record{
		{Name: "path", Value: s.Path},
		{Name: "mode", Value: report.Mode(s.st.Mode & 0o7777)},
		{Name: "owner", Value: report.User(s.st.Uid)},
		report.Idle(s.idle),
	}
}
