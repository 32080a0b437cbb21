package fifo

import (
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/procfs"
)

// Use is what /proc tells of the FIFOs in use: who holds each one open
// for reading or writing, and who is about to open one (blocked in
// open(2) waiting for the other end, or holding it by path only).
//
// A descriptor opened with O_PATH does not count as a reader or a writer:
// it names the FIFO but cannot read or write it (fifocat -w holds one
// while it waits for a reader). procfs.Pipes counts it as a reader, and
// opening the FIFO through it to look at the bytes queued would release
// the waiting writer into a reader that is gone at once.
type Use struct {
	Pipes   map[procfs.PipeKey]*procfs.Pipe
	Opening map[procfs.PipeKey][]procfs.PipeHolder
	Unknown []int // blocked opening a FIFO whose open(2) could not be read
	Proc    procfs.Scan
}

// Others tells whether a process other than pid holds the FIFO or is
// opening it.
func (u *Use) Others(k procfs.PipeKey, pid int) bool {
	var held []procfs.PipeHolder
	if p := u.Pipes[k]; p != nil {
		held = p.Holders()
	}
	return len(procfs.Without(held, pid)) > 0 || len(procfs.Without(u.Opening[k], pid)) > 0
}

// Scan walks /proc. self is left out of the openers (a -w -t run that
// gave up still has a thread blocked in its open).
func Scan(self int) *Use {
	u := &Use{Pipes: map[procfs.PipeKey]*procfs.Pipe{}, Opening: map[procfs.PipeKey][]procfs.PipeHolder{}}
	comms := map[int]string{}
	comm := func(pid int) string {
		c, ok := comms[pid]
		if !ok {
			c = procfs.Comm(pid)
			comms[pid] = c
		}
		return c
	}
	pinned := map[int][]procfs.PipeKey{}
	u.Proc = procfs.FDs(func(link string) bool { return strings.HasPrefix(link, "/") }, func(f procfs.FD) {
		if f.Mode&unix.S_IFMT != unix.S_IFIFO {
			return
		}
		k := procfs.PipeKey{Dev: f.Dev, Ino: f.Ino}
		h := procfs.PipeHolder{PID: f.PID, FD: f.FD, Comm: comm(f.PID)}
		if f.Flags&unix.O_PATH != 0 {
			pinned[f.PID] = append(pinned[f.PID], k)
			if f.PID != self {
				u.Opening[k] = append(u.Opening[k], h)
			}
			return
		}
		p := u.Pipes[k]
		if p == nil {
			p = &procfs.Pipe{Dev: f.Dev, Ino: f.Ino, FIFO: true, Path: strings.TrimSuffix(f.Link, " (deleted)")}
			u.Pipes[k] = p
		}
		if f.Reads() {
			p.Readers = append(p.Readers, h)
		}
		if f.Writes() {
			p.Writers = append(p.Writers, h)
		}
	})
	for _, pid := range procfs.FIFOOpeners(self) {
		keys, ok := openingWhat(pid)
		if !ok {
			// Its open(2) could not be read (the process was ending, a
			// 32-bit program): what it holds by path is the best guess.
			keys = pinned[pid]
			if keys == nil {
				u.Unknown = append(u.Unknown, pid)
				continue
			}
		}
		for _, k := range keys {
			if !hasPID(u.Opening[k], pid) {
				u.Opening[k] = append(u.Opening[k], procfs.PipeHolder{PID: pid, FD: -1, Comm: comm(pid)})
			}
		}
	}
	for _, p := range u.Pipes {
		sortHolders(p.Readers)
		sortHolders(p.Writers)
	}
	for _, hs := range u.Opening {
		sortHolders(hs)
	}
	return u
}

func hasPID(hs []procfs.PipeHolder, pid int) bool {
	for _, h := range hs {
		if h.PID == pid {
			return true
		}
	}
	return false
}

func sortHolders(h []procfs.PipeHolder) {
	sort.Slice(h, func(i, j int) bool {
		if h[i].PID != h[j].PID {
			return h[i].PID < h[j].PID
		}
		return h[i].FD < h[j].FD
	})
}

// openingWhat is the FIFOs that the threads of pid blocked in the kernel's
// FIFO open are opening, by device and inode, from the system call each is
// in (/proc/PID/task/TID/syscall) and the path it passed (read from
// /proc/PID/mem). A thread whose path names no FIFO any more (removed, or
// its /proc/self/fd/N closed) is opening none that a path leads to, and
// is left out. ok is false when some thread's open could not be read.
func openingWhat(pid int) (keys []procfs.PipeKey, ok bool) {
	dir := procfs.Root + "/" + strconv.Itoa(pid)
	tasks, err := os.ReadDir(dir + "/task")
	if err != nil {
		return nil, false
	}
	for _, t := range tasks {
		tdir := dir + "/task/" + t.Name()
		if b, err := os.ReadFile(tdir + "/wchan"); err != nil || string(b) != "wait_for_partner" {
			continue
		}
		switch k, r := openTarget(pid, tdir); r {
		case targetFound:
			keys = append(keys, k)
		case targetUnknown:
			return nil, false
		}
	}
	return keys, true
}

// What openTarget found out about a blocked open(2).
const (
	targetFound   = iota // the FIFO it opens
	targetNone           // it opens no FIFO a path leads to, or is no longer in open(2)
	targetUnknown        // its system call or path could not be read
)

// openTarget reads the open(2) a blocked thread is in and finds its FIFO.
func openTarget(pid int, tdir string) (procfs.PipeKey, int) {
	b, err := os.ReadFile(tdir + "/syscall")
	if err != nil {
		return procfs.PipeKey{}, targetUnknown
	}
	c, ok := procfs.ParseCall(string(b))
	if !ok || len(c.Args) < 2 {
		return procfs.PipeKey{}, targetNone // "running", or no system call: done opening
	}
	nr, a0, a1 := c.Nr, c.Args[0], c.Args[1]
	dirfd, ptr := int64(int32(a0)), a1
	switch nr {
	case unix.SYS_OPENAT, unix.SYS_OPENAT2:
	case sysOpen:
		dirfd, ptr = unix.AT_FDCWD, a0
	default:
		return procfs.PipeKey{}, targetNone // in another system call now
	}
	name, ok := readString(pid, ptr)
	if !ok {
		return procfs.PipeKey{}, targetUnknown
	}
	var st unix.Stat_t
	switch err := unix.Stat(procPath(pid, tdir, dirfd, name), &st); {
	case err == unix.ENOENT || err == unix.ENOTDIR:
		return procfs.PipeKey{}, targetNone
	case err != nil:
		return procfs.PipeKey{}, targetUnknown
	case st.Mode&unix.S_IFMT != unix.S_IFIFO:
		return procfs.PipeKey{}, targetNone
	}
	return procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}, targetFound
}

// procPath is the path, seen from here through /proc, that process pid
// (thread directory tdir) means by name relative to dirfd.
func procPath(pid int, tdir string, dirfd int64, name string) string {
	dir := procfs.Root + "/" + strconv.Itoa(pid)
	for _, r := range []struct{ prefix, to string }{
		{"/proc/self/", dir + "/"},
		{"/proc/thread-self/", tdir + "/"},
		{"/dev/fd/", dir + "/fd/"},
	} {
		if rest, ok := strings.CutPrefix(name, r.prefix); ok {
			return r.to + rest
		}
	}
	switch {
	case strings.HasPrefix(name, "/"):
		return dir + "/root" + name
	case dirfd == unix.AT_FDCWD:
		return dir + "/cwd/" + name
	}
	return dir + "/fd/" + strconv.FormatInt(dirfd, 10) + "/" + name
}

// readString reads a NUL-terminated path from process pid's memory.
func readString(pid int, addr uint64) (string, bool) {
	mem, err := os.Open(procfs.Root + "/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return "", false
	}
	defer mem.Close()
	var out []byte
	buf := make([]byte, 256)
	for len(out) < unix.PathMax {
		// Never read across a page boundary in one go: the next page
		// may not be mapped.
		n := min(len(buf), 4096-int(addr%4096))
		n, err := mem.ReadAt(buf[:n], int64(addr))
		if n == 0 {
			return "", false
		}
		if i := strings.IndexByte(string(buf[:n]), 0); i >= 0 {
			return string(append(out, buf[:i]...)), true
		}
		if err != nil {
			return "", false
		}
		out = append(out, buf[:n]...)
		addr += uint64(n)
	}
	return "", false
}

// fill reads the capacity and bytes queued of a FIFO without opening it:
// pidfd_getfd(2) duplicates a holder's own descriptor, so no reader or
// writer is added. Where that is not allowed, procfs's Fill opens a
// reader's descriptor (never a writer's: that could release a writer
// blocked in open(2)).
func fill(p *procfs.Pipe, self int) (procfs.PipeFill, bool) {
	for _, h := range append(append([]procfs.PipeHolder(nil), p.Readers...), p.Writers...) {
		if h.PID == self {
			continue
		}
		if f, ok := fillVia(h, p); ok {
			return f, true
		}
	}
	return p.Fill(self)
}

func fillVia(h procfs.PipeHolder, p *procfs.Pipe) (procfs.PipeFill, bool) {
	pidfd, err := unix.PidfdOpen(h.PID, 0)
	if err != nil {
		return procfs.PipeFill{}, false
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, h.FD, 0)
	if err != nil {
		return procfs.PipeFill{}, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Dev != p.Dev || st.Ino != p.Ino {
		return procfs.PipeFill{}, false // the descriptor was reused meanwhile
	}
	return procfs.FillOf(fd)
}
