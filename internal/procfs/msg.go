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

// ParseSyscall reads one /proc/PID/syscall line ("70 0x3 0x7ffd... ...":
// the number, then the arguments in hex) and reports a msgsnd or msgrcv.
func ParseSyscall(s string) (MsgWaiter, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return MsgWaiter{}, false
	}
	nr, err := strconv.Atoi(f[0])
	if err != nil || nr != sysMsgsnd && nr != sysMsgrcv {
		return MsgWaiter{}, false
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 31)
	if err != nil {
		return MsgWaiter{}, false
	}
	return MsgWaiter{ID: int(id), Send: nr == sysMsgsnd}, true
}
