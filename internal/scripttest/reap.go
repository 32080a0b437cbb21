package scripttest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/procfs"
)

// reap ends the processes a script left running, which it finds by the
// script's own $WORK in their environment: a tool started in the
// background of a `sh -c '... &'` survives the interrupt testscript
// sends that shell, and, holding the shell's standard output, would keep
// testscript waiting for it until the test binary's timeout. Each gets
// SIGTERM (so a tool leaves its object as it would on a stop), then,
// after a grace, SIGKILL. It returns what it found, as "pid (comm)".
func reap(work string) []string {
	found := scriptProcs(work)
	if len(found) == 0 {
		return nil
	}
	var left []string
	for _, pid := range found {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		left = append(left, fmt.Sprintf("%d (%s)", pid, strings.TrimSpace(string(comm))))
		unix.Kill(pid, unix.SIGTERM)
	}
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if found = scriptProcs(work); len(found) == 0 {
			return left
		}
	}
	for _, pid := range found {
		unix.Kill(pid, unix.SIGKILL)
	}
	return left
}

// scriptProcs lists the live processes (zombies aside) whose environment
// holds WORK=work, other than this one.
func scriptProcs(work string) []int {
	pids, _ := procfs.PIDs()
	mark := []byte("\x00WORK=" + work + "\x00")
	var out []int
	for _, pid := range pids {
		if pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), mark) {
			continue
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}
