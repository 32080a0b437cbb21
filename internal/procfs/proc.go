// Package procfs answers "who holds what" from /proc: processes and their
// open descriptors and mappings, and the System V tables in /proc/sysvipc.
package procfs

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is the proc mount, kept in one place; a variable only so a test can
// show what a walk does without it.
var Root = "/proc"

// Alive reports whether pid names a live process (kill(pid, 0) does not
// say ESRCH; EPERM means alive but not ours).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}

// Comm is the process's command name, or "?" when it cannot be read.
func Comm(pid int) string {
	b, err := os.ReadFile(Root + "/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSuffix(string(b), "\n")
}

// PIDs lists the numeric entries of /proc. An error means the list could
// not be read at all (no /proc, or no descriptor left to open it with).
func PIDs() ([]int, error) {
	d, err := os.Open(Root)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// FD is one open descriptor of a process.
type FD struct {
	PID   int
	FD    int
	Link  string // readlink of /proc/PID/fd/N: a path, "pipe:[ino]", "socket:[ino]"
	Dev   uint64 // of the open file (stat through the link)
	Ino   uint64
	Mode  uint32 // st_mode of the open file
	Flags int    // open flags from /proc/PID/fdinfo/N (O_RDONLY, O_WRONLY, O_RDWR)
}

// Reads reports whether the descriptor was opened for reading. An O_PATH
// descriptor (its access bits read as O_RDONLY) only names the file: it
// neither reads nor writes, and opening the file through it is an open
// for I/O that was never there (a FIFO writer waiting for its reader
// would be released into one that is gone at once).
func (f FD) Reads() bool {
	return f.Flags&unix.O_PATH == 0 && f.Flags&unix.O_ACCMODE != unix.O_WRONLY
}

// Writes reports whether the descriptor was opened for writing.
func (f FD) Writes() bool {
	return f.Flags&unix.O_PATH == 0 && f.Flags&unix.O_ACCMODE != unix.O_RDONLY
}

// Scan is the outcome of a walk over every process.
type Scan struct {
	Hidden int   // processes whose descriptors or maps we may not read
	Err    error // the walk stopped early (e.g. EMFILE): what it found is partial
}

// walk calls fn with the path under /proc/PID of every process; a failure
// to open it that is not the process going away or being private
// (ENOENT, ESRCH, EACCES) ends the walk in sc.Err.
func (sc *Scan) walk(sub string, fn func(pid int, path string) error) {
	pids, err := PIDs()
	if err != nil {
		sc.Err = err
		return
	}
	for _, pid := range pids {
		err := fn(pid, Root+"/"+strconv.Itoa(pid)+"/"+sub)
		switch {
		case err == nil, os.IsNotExist(err), errors.Is(err, unix.ESRCH):
		case os.IsPermission(err):
			sc.Hidden++
		default:
			sc.Err = err
			return
		}
	}
}

// FDs calls fn for each open descriptor of each process that keep accepts
// (keep sees only the link text, so a walk that wants sockets need not stat
// every file). It reports how many processes could not be inspected.
func FDs(keep func(link string) bool, fn func(FD)) Scan {
	var sc Scan
	sc.walk("fd", func(pid int, dir string) error {
		d, err := os.Open(dir)
		if err != nil {
			return err
		}
		names, _ := d.Readdirnames(-1)
		d.Close()
		for _, n := range names {
			link, err := os.Readlink(dir + "/" + n)
			if err != nil || !keep(link) {
				continue
			}
			var st unix.Stat_t
			if unix.Stat(dir+"/"+n, &st) != nil {
				continue
			}
			fd, _ := strconv.Atoi(n)
			fn(FD{PID: pid, FD: fd, Link: link, Dev: st.Dev, Ino: st.Ino, Mode: st.Mode,
				Flags: fdFlags(pid, n)})
		}
		return nil
	})
	return sc
}

func fdFlags(pid int, fd string) int {
	f, err := os.Open(Root + "/" + strconv.Itoa(pid) + "/fdinfo/" + fd)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "flags:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			return int(n)
		}
	}
	return 0
}

// Mapping is one line of /proc/PID/maps.
type Mapping struct {
	PID        int
	Start, End uint64
	Perms      string // "rw-s"
	Offset     uint64
	Major      uint32
	Minor      uint32
	Ino        uint64
	Path       string // may end in " (deleted)"
}

// Shared reports whether the mapping is MAP_SHARED.
func (m Mapping) Shared() bool { return len(m.Perms) == 4 && m.Perms[3] == 's' }

// Maps calls fn for each mapping of each process whose line keep accepts
// (keep sees the raw line, a cheap filter before parsing).
func Maps(keep func(line string) bool, fn func(Mapping)) Scan {
	return MapsIn(nil, keep, fn)
}

// MapsIn is Maps over the processes in accepts (nil: all); the others'
// maps are not read, nor counted in Scan.Hidden.
func MapsIn(in func(pid int) bool, keep func(line string) bool, fn func(Mapping)) Scan {
	var sc Scan
	sc.walk("maps", func(pid int, path string) error {
		if in != nil && !in(pid) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for s.Scan() {
			if line := s.Text(); keep(line) {
				if m, ok := parseMapping(pid, line); ok {
					fn(m)
				}
			}
		}
		f.Close()
		return nil
	})
	return sc
}

func parseMapping(pid int, line string) (Mapping, bool) {
	// 7f..-7f.. rw-s 00000000 00:01 32769      /SYSV00001e61 (deleted)
	fields := strings.Fields(line)
	if len(fields) < 5 {
		return Mapping{}, false
	}
	m := Mapping{PID: pid, Perms: fields[1]}
	lo, hi, ok := strings.Cut(fields[0], "-")
	if !ok {
		return Mapping{}, false
	}
	m.Start, _ = strconv.ParseUint(lo, 16, 64)
	m.End, _ = strconv.ParseUint(hi, 16, 64)
	m.Offset, _ = strconv.ParseUint(fields[2], 16, 64)
	maj, min, _ := strings.Cut(fields[3], ":")
	a, _ := strconv.ParseUint(maj, 16, 32)
	b, _ := strconv.ParseUint(min, 16, 32)
	m.Major, m.Minor = uint32(a), uint32(b)
	m.Ino, _ = strconv.ParseUint(fields[4], 10, 64)
	if len(fields) > 5 {
		m.Path = afterFields(line, 5)
	}
	return m, true
}

// afterFields is what follows the first n space-separated fields of line,
// spaces inside it kept: the path of a maps line, after its inode. (Not
// the text after the first occurrence of the inode's digits: inode 2, the
// first file of a fresh tmpfs, is found in the device column "00:27".)
func afterFields(line string, n int) string {
	rest := line
	for ; n > 0; n-- {
		rest = strings.TrimLeft(rest, " ")
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			rest = rest[i:]
		} else {
			return ""
		}
	}
	return strings.TrimLeft(rest, " ")
}

// Dev packs a mapping's major:minor as a stat st_dev.
func (m Mapping) Dev() uint64 { return unix.Mkdev(m.Major, m.Minor) }
