package scripttest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	Register("stopwithin", stopWithin)
	Register("waitblocked", waitBlocked)
}

// stopWithin PIDFILE SIGNAL DURATION [DURATION2]: send SIGNAL (TERM, INT,
// HUP, KILL or a number) to the process whose pid PIDFILE holds, and fail
// unless it has exited within DURATION. The process is usually a tool a
// backgrounded `sh -c 'TOOL ... & echo $! > pid; wait $!; echo status=$?'`
// started, so its exit status reaches the script's stdout. With
// DURATION2, the signal is sent a second time after DURATION2 (a user
// insisting), and the DURATION counts from the first.
func stopWithin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: stopwithin PIDFILE SIGNAL DURATION [AGAIN-AFTER]")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	sig := signalNamed(ts, args[1])
	within, err := time.ParseDuration(args[2])
	ts.Check(err)
	var again time.Duration = -1
	if len(args) == 4 {
		again, err = time.ParseDuration(args[3])
		ts.Check(err)
	}
	catching(pid, sig, 5*time.Second)
	// A tool signalled before it is under way (still starting, on a
	// loaded machine) tests nothing and may die before its handlers are
	// in: give it a moment to reach its wait.
	for end := time.Now().Add(2 * time.Second); !blocked(pid) && alive(pid) && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	start, delay0 := time.Now(), runDelay(pid)
	ts.Check(syscall.Kill(pid, sig))
	sentAgain := again < 0
	// The budget is the tool's own time: what its threads spent ready
	// but waiting for a CPU (a loaded two-core CI machine) is not its
	// slowness, and is taken off.
	var starved time.Duration
	for {
		if !alive(pid) {
			ts.Logf("pid %d exited %v after %s (%v of it waiting for a CPU)", pid, time.Since(start).Round(time.Millisecond), args[1], starved.Round(time.Millisecond))
			return
		}
		if !sentAgain && time.Since(start) >= again {
			syscall.Kill(pid, sig)
			sentAgain = true
		}
		starved = max(starved, runDelay(pid)-delay0)
		if time.Since(start)-starved > within {
			// Kill it, so that the script's wait for it ends.
			syscall.Kill(pid, syscall.SIGKILL)
			ts.Fatalf("pid %d still running %v after SIG%s (killed; %v of it waiting for a CPU)", pid, time.Since(start).Round(time.Millisecond), args[1], starved.Round(time.Millisecond))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runDelay is how long the threads of pid have been runnable but waiting
// for a CPU, in total: the second field of /proc/PID/task/TID/schedstat.
// Zero where the kernel does not keep it.
func runDelay(pid int) time.Duration {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tids, _ := os.ReadDir(dir)
	var sum int64
	for _, t := range tids {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if f := strings.Fields(string(b)); err == nil && len(f) >= 2 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			sum += n
		}
	}
	return time.Duration(sum)
}

// catching waits, at most max, until pid has a handler for sig. A tool
// started in the background by sh inherits SIGINT ignored, and Go leaves
// it ignored until the tool's signal.Notify: a SIGINT sent earlier is lost
// and the script would wait for a tool that never heard it.
func catching(pid int, sig syscall.Signal, max time.Duration) {
	if sig == syscall.SIGKILL {
		return
	}
	for end := time.Now().Add(max); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "SigCgt:"); ok {
				mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if mask&(1<<(uint(sig)-1)) != 0 {
					return
				}
			}
		}
	}
}

func signalNamed(ts *testscript.TestScript, s string) syscall.Signal {
	switch strings.TrimPrefix(strings.ToUpper(s), "SIG") {
	case "TERM":
		return syscall.SIGTERM
	case "INT":
		return syscall.SIGINT
	case "HUP":
		return syscall.SIGHUP
	case "KILL":
		return syscall.SIGKILL
	case "PIPE":
		return syscall.SIGPIPE
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		ts.Fatalf("unknown signal %q", s)
	}
	return syscall.Signal(n)
}

// alive tells whether pid exists and is not a zombie waiting for its
// parent (an exited tool whose shell has not reaped it yet has stopped).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitblocked COMMAND [DURATION]: wait until a process named COMMAND,
// started in this script's directory, sleeps in a wait for I/O (a pipe,
// a poll, a queue, a FIFO open): the tool is in the state a script means
// to disturb, not still starting up. Scripts use it instead of a fixed
// sleep, which a loaded machine outlasts.
func waitBlocked(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitblocked COMMAND [DURATION]")
	}
	limit := 10 * time.Second
	if len(args) == 2 {
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		limit = d
	}
	work := ts.MkAbs(".")
	for end := time.Now().Add(limit); ; time.Sleep(10 * time.Millisecond) {
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil {
				continue
			}
			comm, _ := os.ReadFile("/proc/" + p.Name() + "/comm")
			cwd, _ := os.Readlink("/proc/" + p.Name() + "/cwd")
			if strings.TrimSpace(string(comm)) == args[0] && cwd == work && blocked(pid) {
				return
			}
		}
		if time.Now().After(end) {
			ts.Fatalf("waitblocked %s: no such process waiting for I/O after %v", args[0], limit)
		}
	}
}

// blocked tells whether a thread of pid sleeps in the kernel waiting for
// I/O, not in the waits every Go process has while it runs or starts up
// (futexes, the runtime's epoll, sysmon's sleeps).
func blocked(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tids, _ := os.ReadDir(dir)
	for _, t := range tids {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/wchan")
		if err != nil {
			continue
		}
		switch w := string(b); {
		case w == "" || w == "0",
			strings.HasPrefix(w, "futex"),
			strings.Contains(w, "epoll"),
			strings.Contains(w, "nanosleep"),
			w == "do_wait", w == "sigsuspend":
		default:
			return true
		}
	}
	return false
}
