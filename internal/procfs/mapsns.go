package procfs

import (
	"bufio"
	"os"
)

// MapsIn is Maps over the processes in accepts (nil: all); the others'
// maps are not read, nor counted in Scan.Hidden.
func MapsIn(in func(pid int) bool, keep func(line string) bool, fn func(Mapping)) Scan {
	var sc Scan
	sc.walk("maps", func(pid int, path string) error {
		if in != nil && !in(pid) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for s.Scan() {
			if line := s.Text(); keep(line) {
				if m, ok := parseMapping(pid, line); ok {
					fn(m)
				}
			}
		}
		f.Close()
		return nil
	})
	return sc
}
