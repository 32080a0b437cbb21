package procfs

import (
	"fmt"
	"os"
	"strconv"
)

// Sleep is where a thread of a process sleeps in the kernel: its wchan
// (the kernel function, "pipe_write", "pipe_read", "do_select"...) and,
// when it may be read, its system call.
type Sleep struct {
	Wchan   string
	Call    Call
	HasCall bool
}

// Sleeps lists what the threads of pid sleep in. /proc/PID/task/TID/wchan
// shows "0" and the syscall file cannot be read for a process we may not
// trace (another user's, unless root): those threads are left out, so an
// empty list means unknown as well as running.
func Sleeps(pid int) []Sleep {
	dir := Root + "/" + strconv.Itoa(pid) + "/task"
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	tids, _ := d.Readdirnames(-1)
	d.Close()
	var out []Sleep
	for _, tid := range tids {
		b, err := os.ReadFile(dir + "/" + tid + "/wchan")
		if err != nil || len(b) == 0 || string(b) == "0" {
			continue
		}
		s := Sleep{Wchan: string(b)}
		if c, err := os.ReadFile(dir + "/" + tid + "/syscall"); err == nil {
			s.Call, s.HasCall = ParseCall(string(c))
		}
		out = append(out, s)
	}
	return out
}

// PGID is the process group of pid from /proc/PID/stat, or -1.
func PGID(pid int) int {
	b, err := os.ReadFile(Root + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and
	// parentheses, so count from the last ')'.
	s := string(b)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ')' {
			var state string
			var ppid, pgrp int
			if _, err := fmt.Sscan(s[i+1:], &state, &ppid, &pgrp); err != nil {
				return -1
			}
			return pgrp
		}
	}
	return -1
}
