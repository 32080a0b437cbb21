package tap

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Interrupted is a tap whose sockcat is gone (killed by SIGKILL, or the
// machine's power): the server's socket file still waits at Hidden.
type Interrupted struct {
	Path   string // the tapped path
	Hidden string // where the server's socket file was moved
	PID    int    // the sockcat that tapped it
}

// Find looks beside path for a tap of it: a live one is a *TappedError;
// interrupted ones are returned, to be repaired before path is tapped.
func Find(path string) ([]Interrupted, error) {
	dir, base := filepath.Split(path)
	d := dir
	if d == "" {
		d = "."
	}
	names, err := readNames(d)
	if err != nil {
		return nil, err
	}
	var found []Interrupted
	for _, n := range names {
		b, t, ok := parseHidden(n)
		if !ok || b != base || !isSocket(dir+n) {
			continue
		}
		if t.alive() {
			return nil, &TappedError{PID: t.PID, Hidden: dir + n}
		}
		found = append(found, Interrupted{Path: path, Hidden: dir + n, PID: t.PID})
	}
	return found, nil
}

// readNames lists the names in dir.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// isSocket reports whether path is a socket file (not following a link).
func isSocket(path string) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK
}

// Scan walks dirs (no symlinks followed, depth levels below each) for
// taps whose sockcat is gone. Directories it may not read are passed over.
func Scan(dirs []string, depth int) []Interrupted {
	seen := map[string]bool{}
	var found []Interrupted
	for _, dir := range dirs {
		dir = filepath.Clean(dir)
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p != dir && strings.Count(p[len(dir):], "/") > depth {
				return filepath.SkipDir
			}
			base, t, ok := parseHidden(d.Name())
			if !ok || d.Type()&fs.ModeSocket == 0 || seen[p] || t.alive() {
				return nil
			}
			seen[p] = true
			found = append(found, Interrupted{Path: filepath.Join(filepath.Dir(p), base), Hidden: p, PID: t.PID})
			return nil
		})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Hidden < found[j].Hidden })
	return found
}

// Repair undoes an interrupted tap and says what it did (with dryRun,
// what it would do). When nothing answers at Path (the dead tap's socket
// file, or none), the server's file is renamed back over it. When
// something answers there, the tap died before its move, or the server
// has bound the path anew since: the file at Hidden is a leftover, and is
// removed, unless it answers too (then both are left, and it says so).
func (i Interrupted) Repair(dryRun bool) (string, error) {
	would := func(s string) string {
		if dryRun {
			return "would " + s
		}
		return s + "d"
	}
	if answers(i.Path) {
		if answers(i.Hidden) {
			return "", fmt.Errorf("%s and %s (left by sockcat --tap, pid %d, now gone) both answer: left both; remove the one no client needs", i.Path, i.Hidden, i.PID)
		}
		if !dryRun {
			if err := unix.Unlink(i.Hidden); err != nil && err != unix.ENOENT {
				return "", &os.PathError{Op: "unlink", Path: i.Hidden, Err: err}
			}
		}
		return fmt.Sprintf("%s %s, left by sockcat --tap (pid %d, now gone): %s answers", would("remove"), i.Hidden, i.PID, i.Path), nil
	}
	if !dryRun {
		if err := unix.Rename(i.Hidden, i.Path); err != nil {
			return "", fmt.Errorf("restoring %s from %s: %w", i.Path, i.Hidden, &os.PathError{Op: "rename", Path: i.Hidden, Err: err})
		}
	}
	return fmt.Sprintf("%s %s from %s, where sockcat --tap (pid %d, now gone) had moved it", would("restore"), i.Path, i.Hidden, i.PID), nil
}

// ScanDepth is how far below each directory --rm --stale looks, as for
// stale socket files.
const ScanDepth = 2

// Lock takes an exclusive flock(2) on path's directory, so that two
// sockcats starting a tap of one path at once do not both find it
// untapped and tap each other's socket. It returns the unlock. A
// directory that cannot be opened for reading, or that something else
// keeps locked for lockWait, is not locked (the race stays, and is rare).
func Lock(path string) (unlock func()) {
	fd, err := unix.Open(filepath.Dir(path), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return func() {}
	}
	// Another tap holds it for a moment at most; anything holding it for
	// longer is not ours to wait for.
	for end := time.Now().Add(lockWait); unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	return func() { unix.Close(fd) }
}

// lockWait bounds the wait for Lock.
const lockWait = 2 * time.Second
