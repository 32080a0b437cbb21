package tap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// marker sits between a socket file's name and its tapper's identity in
// the hidden name: ".NAME.sockcat-tap.PID-START".
const marker = ".sockcat-tap."

// tapper is the process that holds a tap: its pid and its start time (in
// clock ticks after boot, /proc/PID/stat's 22nd field), so that a pid the
// kernel gave to another process since is not taken for it.
type tapper struct {
	PID   int
	Start uint64
}

// self is this process as a tapper.
func self() (tapper, error) {
	start, err := startTime(os.Getpid())
	if err != nil {
		return tapper{}, fmt.Errorf("reading /proc/self/stat: %w", err)
	}
	return tapper{PID: os.Getpid(), Start: start}, nil
}

// alive reports whether the tapper is still running: a zombie is not.
func (t tapper) alive() bool {
	start, err := startTime(t.PID)
	return err == nil && start == t.Start
}

// errZombie says a process has exited and waits to be reaped.
var errZombie = errors.New("a zombie")

// startTime reads the start time of process pid from /proc/PID/stat.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after its last ')', at field 3.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, errZombie
	}
	return strconv.ParseUint(f[22-3], 10, 64)
}

// hiddenName is where the real socket of path waits while t taps it: a
// dot file beside it, named for it and for t.
func hiddenName(path string, t tapper) string {
	dir, base := filepath.Split(path)
	return fmt.Sprintf("%s.%s%s%d-%d", dir, base, marker, t.PID, t.Start)
}

// parseHidden reads a hidden name (a base name) back: the tapped file's
// base name and the tapper. ok is false for any other name.
func parseHidden(name string) (base string, t tapper, ok bool) {
	i := strings.LastIndex(name, marker)
	if !strings.HasPrefix(name, ".") || i < 2 {
		return "", tapper{}, false
	}
	pid, start, found := strings.Cut(name[i+len(marker):], "-")
	p, err1 := strconv.Atoi(pid)
	s, err2 := strconv.ParseUint(start, 10, 64)
	if !found || err1 != nil || err2 != nil || p <= 0 {
		return "", tapper{}, false
	}
	return name[1:i], tapper{PID: p, Start: s}, true
}
