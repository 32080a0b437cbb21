package watch

import (
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/procfs"
)

// Pipes samples the pipelines of the system (or of one process or process
// group) for pipecat --list --watch.
type Pipes struct {
	PID, PGID int // narrow to what this process / process group is joined to; 0: all
	Every     time.Duration

	prevIO     map[int]procfs.IOCounters
	prevQueued map[procfs.PipeKey]int
	prevTime   time.Time
	found      bool
}

// Stage is one step of a pipeline: the processes that read the pipe before
// it and write the pipe after it.
type Stage struct {
	Procs []Proc `json:"processes"`
}

// Proc is a process of a stage, with the JSON names every tool uses.
type Proc struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
}

func (s Stage) String() string {
	var parts []string
	for _, p := range s.Procs {
		parts = append(parts, strconv.Itoa(p.PID)+" "+p.Comm)
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("+%d more", len(parts)-3))
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

// PipeState is one pipe of a pipeline in one sample. Capacity and Queued
// are nil when no reader's descriptor could be opened; Rate is bytes per
// second through the pipe, nil when unknown (the first sample, or
// counters of other users' processes).
type PipeState struct {
	Inode         uint64   `json:"inode"`
	Capacity      *int     `json:"capacity"`
	Queued        *int     `json:"queued"`
	Rate          *float64 `json:"bytes_per_s"`
	WriterBlocked bool     `json:"writer_blocked"`
	ReaderBlocked bool     `json:"reader_blocked"`
}

// Verdict names the slowest stage of a pipeline and why.
type Verdict struct {
	Stage int    `json:"stage"` // index into Stages
	Who   string `json:"who"`
	Why   string `json:"why"`
}

// Pipeline is a chain of stages joined by pipes: Pipes[i] goes from
// Stages[i] to Stages[i+1].
type Pipeline struct {
	Chain   string      `json:"chain"`
	Stages  []Stage     `json:"stages"`
	Pipes   []PipeState `json:"pipes"`
	Slowest *Verdict    `json:"slowest"`
}

// PipeSample is what one --watch sample shows.
type PipeSample struct {
	Time      time.Time  `json:"time"`
	Pipelines []Pipeline `json:"pipelines"`
}

// Sample takes one sample. With PID or PGID, it is Done once nothing of
// them holds a pipe any more, and an error if nothing did at the first.
func (w *Pipes) Sample() (Frame, error) {
	pipes, sc := procfs.Pipes(false)
	if sc.Err != nil {
		return Frame{}, cli.Fail("pipes", fmt.Errorf("cannot see which processes hold pipes: %w", sc.Err), "")
	}
	now := time.Now()
	sel := w.selected(pipes)
	io := map[int]procfs.IOCounters{}
	queued := map[procfs.PipeKey]int{}
	s := PipeSample{Time: now, Pipelines: []Pipeline{}}
	for _, chain := range chains(sel) {
		s.Pipelines = append(s.Pipelines, w.pipeline(chain, now, io, queued))
	}
	w.prevIO, w.prevQueued, w.prevTime = io, queued, now
	narrowed := w.PID != 0 || w.PGID != 0
	if narrowed && len(sel) == 0 && !w.found {
		return Frame{}, w.none()
	}
	w.found = w.found || len(sel) > 0
	return Frame{Text: w.text(s, sc.Hidden), JSON: s, Done: narrowed && len(sel) == 0}, nil
}

// none is the error of a --pid or --pgid that holds no pipe.
// A pid or group with no process at all is said to be so.
func (w *Pipes) none() error {
	if w.PID != 0 {
		if unix.Kill(w.PID, 0) == unix.ESRCH {
			return cli.Failf("pid "+strconv.Itoa(w.PID), "", "no such process")
		}
		return cli.Failf("pid "+strconv.Itoa(w.PID), "", "holds no pipe")
	}
	if unix.Kill(-w.PGID, 0) == unix.ESRCH {
		return cli.Failf("process group "+strconv.Itoa(w.PGID), "", "no such process group")
	}
	return cli.Failf("process group "+strconv.Itoa(w.PGID), "", "none of its processes holds a pipe")
}

// selected is the pipes to show, without pipecat's own descriptors: all,
// those a process of the group holds, or those joined to the process
// (held by it, or by a process joined by a pipe to one that is).
func (w *Pipes) selected(all map[procfs.PipeKey]*procfs.Pipe) []*procfs.Pipe {
	self := os.Getpid()
	var ps []*procfs.Pipe
	for _, p := range all {
		p.Readers, p.Writers = procfs.Without(p.Readers, self), procfs.Without(p.Writers, self)
		if len(p.Readers)+len(p.Writers) > 0 {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Ino < ps[j].Ino })
	switch {
	case w.PGID != 0:
		var out []*procfs.Pipe
		pgids := map[int]int{}
		for _, p := range ps {
			for _, h := range p.Holders() {
				g, ok := pgids[h.PID]
				if !ok {
					g = procfs.PGID(h.PID)
					pgids[h.PID] = g
				}
				if g == w.PGID {
					out = append(out, p)
					break
				}
			}
		}
		return out
	case w.PID != 0:
		return joined(ps, w.PID)
	}
	return ps
}

// joined is the pipes held by pid or, step by step, by the processes
// that share a pipe with one already taken.
func joined(ps []*procfs.Pipe, pid int) []*procfs.Pipe {
	pids := map[int]bool{pid: true}
	taken := map[*procfs.Pipe]bool{}
	for grew := true; grew; {
		grew = false
		for _, p := range ps {
			if taken[p] || !heldBy(p, pids) {
				continue
			}
			taken[p], grew = true, true
			for _, h := range p.Holders() {
				pids[h.PID] = true
			}
		}
	}
	var out []*procfs.Pipe
	for _, p := range ps {
		if taken[p] {
			out = append(out, p)
		}
	}
	return out
}

func heldBy(p *procfs.Pipe, pids map[int]bool) bool {
	for _, h := range p.Holders() {
		if pids[h.PID] {
			return true
		}
	}
	return false
}

// chains orders the pipes into pipelines: a pipe follows another when a
// process reads the first and writes the second. A chain starts at a
// pipe that follows none (or, for a cycle, at any pipe left).
func chains(ps []*procfs.Pipe) [][]*procfs.Pipe {
	follows := func(a, b *procfs.Pipe) bool { // b follows a
		return a != b && sharePID(a.Readers, outputs(b.Writers))
	}
	hasPred := map[*procfs.Pipe]bool{}
	for _, a := range ps {
		for _, b := range ps {
			if follows(a, b) {
				hasPred[b] = true
			}
		}
	}
	used := map[*procfs.Pipe]bool{}
	var out [][]*procfs.Pipe
	walk := func(p *procfs.Pipe) {
		var c []*procfs.Pipe
		for p != nil && !used[p] {
			used[p] = true
			c = append(c, p)
			p = nextPipe(ps, p, used, follows)
		}
		out = append(out, c)
	}
	for _, p := range ps {
		if !hasPred[p] && !used[p] {
			walk(p)
		}
	}
	for _, p := range ps {
		if !used[p] {
			walk(p)
		}
	}
	return out
}

// nextPipe is the first pipe, not yet in a chain, that follows p.
func nextPipe(ps []*procfs.Pipe, p *procfs.Pipe, used map[*procfs.Pipe]bool, follows func(a, b *procfs.Pipe) bool) *procfs.Pipe {
	for _, b := range ps {
		if !used[b] && follows(p, b) {
			return b
		}
	}
	return nil
}

// outputs is the writers that hold the pipe as standard output or error,
// as a shell joins the stages of a pipeline: a pipe held on another
// descriptor (one a process inherited and never closed, say) does not
// make its holder a stage of a chain through it.
func outputs(ws []procfs.PipeHolder) []procfs.PipeHolder {
	var out []procfs.PipeHolder
	for _, w := range ws {
		if w.FD == 1 || w.FD == 2 {
			out = append(out, w)
		}
	}
	return out
}

func sharePID(a, b []procfs.PipeHolder) bool {
	for _, x := range a {
		for _, y := range b {
			if x.PID == y.PID {
				return true
			}
		}
	}
	return false
}

// stageOf is the processes of holders, each once, in pid order.
func stageOf(hs []procfs.PipeHolder) Stage {
	s := Stage{Procs: []Proc{}}
	seen := map[int]bool{}
	for _, h := range hs {
		if !seen[h.PID] {
			seen[h.PID] = true
			s.Procs = append(s.Procs, Proc{h.PID, h.Comm})
		}
	}
	return s
}
