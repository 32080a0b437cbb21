package procfs

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// IOCounters are a process's I/O counters from /proc/PID/io: the bytes
// its read-like and write-like calls moved (pipes included), whole
// process, all threads.
type IOCounters struct {
	RChar, WChar int64
}

// IO reads /proc/PID/io. ok is false when it may not be read (another
// user's process, unless root) or the process is gone.
func IO(pid int) (c IOCounters, ok bool) {
	f, err := os.Open(Root + "/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return IOCounters{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	seen := 0
	for sc.Scan() {
		k, v, found := strings.Cut(sc.Text(), ":")
		if !found {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "rchar":
			c.RChar = n
			seen++
		case "wchar":
			c.WChar = n
			seen++
		}
	}
	return c, seen == 2
}
