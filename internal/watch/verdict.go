package watch

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/procfs"
)

// pipeline builds one chain's stages, pipe states and verdict, noting
// each holder's I/O counters and each pipe's fill in io and queued for
// the next sample's rates.
func (w *Pipes) pipeline(chain []*procfs.Pipe, now time.Time, io map[int]procfs.IOCounters, queued map[procfs.PipeKey]int) Pipeline {
	pl := Pipeline{Stages: []Stage{stageOf(chain[0].Writers)}}
	self := os.Getpid()
	for _, p := range chain {
		pl.Stages = append(pl.Stages, stageOf(p.Readers))
		st := PipeState{Inode: p.Ino}
		f, ok := p.Fill(self)
		if ok {
			st.Capacity, st.Queued = &f.Capacity, &f.Queued
			queued[procfs.PipeKey{Dev: p.Dev, Ino: p.Ino}] = f.Queued
		}
		for _, h := range p.Holders() {
			if c, ok := procfs.IO(h.PID); ok {
				io[h.PID] = c
			}
		}
		st.Rate = w.rate(p, now, io, queued)
		st.WriterBlocked = blocked(p.Writers, "pipe_write")
		st.ReaderBlocked = blocked(p.Readers, "pipe_read")
		pl.Pipes = append(pl.Pipes, st)
	}
	var names []string
	for _, s := range pl.Stages {
		names = append(names, s.String())
	}
	pl.Chain = strings.Join(names, " | ")
	pl.Slowest = slowest(pl)
	return pl
}

// rate is the bytes per second through p since the last sample: what its
// readers read (rchar) and what its writers wrote (wchar) less what
// stayed queued, the smaller of the two where both are known (a reader
// may also read a file, a writer write elsewhere). Unknown (nil) when a
// holder's counters cannot be read or it was not there last time.
func (w *Pipes) rate(p *procfs.Pipe, now time.Time, io map[int]procfs.IOCounters, queued map[procfs.PipeKey]int) *float64 {
	dt := now.Sub(w.prevTime).Seconds()
	if w.prevIO == nil || dt <= 0 {
		return nil
	}
	sum := func(hs []procfs.PipeHolder, get func(procfs.IOCounters) int64) (int64, bool) {
		var n int64
		seen := map[int]bool{}
		for _, h := range hs {
			if seen[h.PID] {
				continue
			}
			seen[h.PID] = true
			c, ok1 := io[h.PID]
			old, ok2 := w.prevIO[h.PID]
			if !ok1 || !ok2 {
				return 0, false
			}
			n += get(c) - get(old)
		}
		return n, len(seen) > 0
	}
	read, rok := sum(p.Readers, func(c procfs.IOCounters) int64 { return c.RChar })
	wrote, wok := sum(p.Writers, func(c procfs.IOCounters) int64 { return c.WChar })
	k := procfs.PipeKey{Dev: p.Dev, Ino: p.Ino}
	q1, ok1 := queued[k]
	q0, ok0 := w.prevQueued[k]
	wok = wok && ok1 && ok0
	wrote -= int64(q1 - q0)
	var n int64
	switch {
	case rok && wok:
		n = min(read, wrote)
	case rok:
		n = read
	case wok:
		n = wrote
	default:
		return nil
	}
	r := float64(max(n, 0)) / dt
	return &r
}

// blocked reports whether a thread of one of hs sleeps in the kernel's
// pipe read or write (wchan "pipe_read", "anon_pipe_read"...) on this
// pipe: its system call's descriptor is the holder's, where the call can
// be read (else the wchan alone says it).
func blocked(hs []procfs.PipeHolder, where string) bool {
	fds := map[int]map[uint64]bool{}
	for _, h := range hs {
		if fds[h.PID] == nil {
			fds[h.PID] = map[uint64]bool{}
		}
		fds[h.PID][uint64(h.FD)] = true
	}
	for pid, mine := range fds {
		for _, s := range procfs.Sleeps(pid) {
			if !strings.HasSuffix(s.Wchan, where) {
				continue
			}
			// read/write/readv/writev name the descriptor first, splice
			// its output third.
			if !s.HasCall || len(s.Call.Args) < 3 || mine[s.Call.Args[0]] || mine[s.Call.Args[2]] {
				return true
			}
		}
	}
	return false
}

// slowest applies the man page's rule. From the end of the chain, the
// first pipe whose writer is blocked writing (the pipe is full) names its
// reader: everything before it is backed up behind that stage. Failing
// that, from the start, the first pipe whose reader is blocked reading
// (the pipe is empty) names its writer: everything after it waits for
// it. Nil when no end of any pipe is blocked.
func slowest(pl Pipeline) *Verdict {
	for i := len(pl.Pipes) - 1; i >= 0; i-- {
		if pl.Pipes[i].WriterBlocked {
			return &Verdict{Stage: i + 1, Who: pl.Stages[i+1].String(),
				Why: fmt.Sprintf("its input is full: %s waits to write", pl.Stages[i])}
		}
	}
	for i, p := range pl.Pipes {
		if p.ReaderBlocked {
			return &Verdict{Stage: i, Who: pl.Stages[i].String(),
				Why: fmt.Sprintf("its output is empty: %s waits to read", pl.Stages[i+1])}
		}
	}
	return nil
}

// text is a sample for people: per pipeline its chain, one line per pipe
// and the verdict.
func (w *Pipes) text(s PipeSample, hidden int) string {
	var b strings.Builder
	b.WriteString(Header(s.Time, w.Every, meter.Count(int64(len(s.Pipelines)), "pipeline")))
	if hidden > 0 {
		fmt.Fprintf(&b, " (%d processes not inspected: run as root to see all)", hidden)
	}
	for _, pl := range s.Pipelines {
		fmt.Fprintf(&b, "\n%s", pl.Chain)
		for i, p := range pl.Pipes {
			fill := "? queued"
			if p.Queued != nil {
				fill = fmt.Sprintf("%d of %d bytes queued", *p.Queued, *p.Capacity)
			}
			rate := "? B/s"
			if p.Rate != nil {
				rate = meter.Bytes(int64(*p.Rate)) + "/s"
			}
			fmt.Fprintf(&b, "\n  pipe %d (%d -> %d): %s, %s%s", p.Inode, i, i+1, fill, rate, ends(p))
		}
		if pl.Slowest != nil {
			fmt.Fprintf(&b, "\n  slowest: %s: %s", pl.Slowest.Who, pl.Slowest.Why)
		} else {
			b.WriteString("\n  slowest: none seen (no end blocked)")
		}
	}
	return b.String()
}

func ends(p PipeState) string {
	switch {
	case p.WriterBlocked && p.ReaderBlocked:
		return ", both ends blocked"
	case p.WriterBlocked:
		return ", writer blocked"
	case p.ReaderBlocked:
		return ", reader blocked"
	}
	return ""
}
