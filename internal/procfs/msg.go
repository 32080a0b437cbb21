package procfs

import (
	"os"
	"strconv"
	"strings"
)

// System call numbers of msgsnd and msgrcv on amd64, as /proc/PID/syscall
// prints them.
const (
	sysMsgsnd = 69
	sysMsgrcv = 70
)

// MsgWaiter is a thread blocked in msgsnd or msgrcv on a System V queue.
type MsgWaiter struct {
	PID  int
	ID   int  // the queue's id
	Send bool // msgsnd (else msgrcv)
}

// MsgWaiters lists the threads blocked on System V queues now, read from
// /proc/PID/task/TID/syscall (which needs ptrace access: our own processes,
// or all as root). A queue somebody waits on is in use even when its last
// sender and receiver are gone. An error means /proc could not be listed
// (not mounted, EMFILE): who waits is unknown, which is not "nobody".
func MsgWaiters() ([]MsgWaiter, error) {
	var out []MsgWaiter
	pids, err := PIDs()
	if err != nil {
		return nil, err
	}
	for _, pid := range pids {
		dir := Root + "/" + strconv.Itoa(pid) + "/task"
		d, err := os.Open(dir)
		if err != nil {
			continue
		}
		tids, _ := d.Readdirnames(-1)
		d.Close()
		for _, tid := range tids {
			b, err := os.ReadFile(dir + "/" + tid + "/syscall")
			if err != nil {
				continue
			}
			if w, ok := ParseSyscall(string(b)); ok {
				w.PID = pid
				out = append(out, w)
			}
		}
	}
	return out, nil
}

// Call is a thread's system call as /proc/PID/task/TID/syscall shows
// it: the number and the arguments that follow it.
type Call struct {
	Nr   int64
	Args []uint64
}

// ParseCall reads one /proc/PID/syscall line ("70 0x3 0x7ffd... ...": the
// number, then the arguments in hex). ok is false for a thread in no
// system call ("running", or -1 and its registers) and for anything that
// is not such a line.
func ParseCall(s string) (c Call, ok bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return Call{}, false
	}
	nr, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || nr < 0 {
		return Call{}, false
	}
	c.Nr = nr
	for _, a := range f[1:] {
		v, err := strconv.ParseUint(a, 0, 64)
		if err != nil {
			return Call{}, false
		}
		c.Args = append(c.Args, v)
	}
	return c, true
}

// ParseSyscall reads one /proc/PID/syscall line and reports a msgsnd or
// msgrcv.
func ParseSyscall(s string) (MsgWaiter, bool) {
	c, ok := ParseCall(s)
	if !ok || c.Nr != sysMsgsnd && c.Nr != sysMsgrcv || c.Args[0] >= 1<<31 {
		return MsgWaiter{}, false
	}
	return MsgWaiter{ID: int(c.Args[0]), Send: c.Nr == sysMsgsnd}, true
}
