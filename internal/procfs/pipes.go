package procfs

import (
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PipeHolder is one descriptor of a process on a pipe or FIFO.
type PipeHolder struct {
	PID  int
	FD   int
	Comm string
}

// Pipe is an anonymous pipe or a FIFO that processes hold open, with who
// holds it for reading and for writing (an O_RDWR holder is in both).
type Pipe struct {
	Dev, Ino uint64
	FIFO     bool
	Path     string // a FIFO's path as /proc shows it; "pipe:[ino]" otherwise
	Readers  []PipeHolder
	Writers  []PipeHolder
}

// Holders is every process holding the pipe, each pid once, in pid order.
func (p *Pipe) Holders() []PipeHolder {
	seen := map[int]bool{}
	var out []PipeHolder
	for _, h := range append(append([]PipeHolder(nil), p.Writers...), p.Readers...) {
		if !seen[h.PID] {
			seen[h.PID] = true
			out = append(out, h)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// PipeKey identifies a pipe: its device and inode.
type PipeKey struct{ Dev, Ino uint64 }

// Pipes walks every process's descriptors and returns the anonymous pipes
// (fifos false) or the FIFOs (fifos true) held open anywhere, keyed by
// device and inode. Each holder list is in pid, then fd, order.
func Pipes(fifos bool) (map[PipeKey]*Pipe, Scan) {
	out := map[PipeKey]*Pipe{}
	comms := map[int]string{}
	keep := func(link string) bool { return strings.HasPrefix(link, "pipe:[") }
	if fifos {
		keep = func(link string) bool { return strings.HasPrefix(link, "/") }
	}
	sc := FDs(keep, func(f FD) {
		if f.Mode&unix.S_IFMT != unix.S_IFIFO || !f.Reads() && !f.Writes() {
			return // not a pipe, or an O_PATH descriptor: not a holder
		}
		k := PipeKey{f.Dev, f.Ino}
		p := out[k]
		if p == nil {
			p = &Pipe{Dev: f.Dev, Ino: f.Ino, FIFO: fifos, Path: strings.TrimSuffix(f.Link, " (deleted)")}
			out[k] = p
		}
		c, ok := comms[f.PID]
		if !ok {
			c = Comm(f.PID)
			comms[f.PID] = c
		}
		h := PipeHolder{PID: f.PID, FD: f.FD, Comm: c}
		if f.Reads() {
			p.Readers = append(p.Readers, h)
		}
		if f.Writes() {
			p.Writers = append(p.Writers, h)
		}
	})
	for _, p := range out {
		sortHolders(p.Readers)
		sortHolders(p.Writers)
	}
	return out, sc
}

func sortHolders(h []PipeHolder) {
	sort.Slice(h, func(i, j int) bool {
		if h[i].PID != h[j].PID {
			return h[i].PID < h[j].PID
		}
		return h[i].FD < h[j].FD
	})
}

// PipeFill is a pipe's capacity and the bytes queued in it.
type PipeFill struct {
	Capacity int
	Queued   int
}

// Fill reads the capacity and queued bytes of a pipe that some process
// holds for reading, by opening that reader's descriptor through /proc as
// one more reader. It never opens a pipe that has no reader: doing so could
// release a writer blocked in open(2) into a pipe about to lose its only
// reader. ok is false when there is no reader or its fd may not be opened.
func (p *Pipe) Fill(skipPID int) (f PipeFill, ok bool) {
	for _, h := range p.Readers {
		if h.PID == skipPID {
			continue
		}
		path := Root + "/" + strconv.Itoa(h.PID) + "/fd/" + strconv.Itoa(h.FD)
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Dev != p.Dev || st.Ino != p.Ino {
			unix.Close(fd) // the descriptor was reused meanwhile
			continue
		}
		f, ok = FillOf(fd)
		unix.Close(fd)
		if ok {
			return f, true
		}
	}
	return PipeFill{}, false
}

// FillOf reads the capacity (F_GETPIPE_SZ) and queued bytes (FIONREAD) of
// a pipe descriptor.
func FillOf(fd int) (PipeFill, bool) {
	c, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return PipeFill{}, false
	}
	q, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD
	if err != nil {
		return PipeFill{}, false
	}
	return PipeFill{Capacity: c, Queued: q}, true
}

// FIFOOpeners is the processes (other than skipPID) blocked in open(2) of
// a FIFO, waiting for a process to open its other end. The kernel counts
// them as readers or writers, but they hold no descriptor yet, so FDs
// cannot see them. Only processes whose wchan may be read are seen (root:
// all; others: their own).
func FIFOOpeners(skipPID int) []int {
	var out []int
	pids, _ := PIDs() // none readable: nobody seen
	for _, pid := range pids {
		if pid == skipPID {
			continue
		}
		if waitingForPartner(Root + "/" + strconv.Itoa(pid)) {
			out = append(out, pid)
		}
	}
	return out
}

// waitingForPartner reports whether a thread of the process at dir sleeps
// in the kernel's FIFO open.
func waitingForPartner(dir string) bool {
	tasks, err := os.ReadDir(dir + "/task")
	if err != nil {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/task/" + t.Name() + "/wchan")
		if err == nil && string(b) == "wait_for_partner" {
			return true
		}
	}
	return false
}
