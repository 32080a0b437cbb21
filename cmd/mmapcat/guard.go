package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/procfs"
)

// shrinkGuard refuses a write that would leave the file shorter than size0
// (ending at end) while other processes map it, as --stat lists them: a
// program that touches a page past the new end dies of SIGBUS. --force
// shrinks it anyway; a new file has no mappers.
func shrinkGuard(o *options, f *mapfile.File, size0, end int64) error {
	if o.Force || f.Unnamed() || end >= size0 {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	id := procfs.FileID{Dev: st.Dev, Ino: st.Ino}
	files, sc := procfs.SharedFileMappings(func(x procfs.FileID) bool { return x == id })
	if sc.Err != nil {
		return cli.Fail(f.Path, fmt.Errorf("would shrink from %d to %d bytes, and which processes map it cannot be told (reading /proc: %w); nothing written", size0, end, sc.Err),
			"--force shrinks it anyway")
	}
	var who []string
	for _, file := range files {
		for _, p := range file.Mappers {
			if p.PID != os.Getpid() {
				who = append(who, fmt.Sprintf("%d (%s)", p.PID, p.Comm))
			}
		}
	}
	if len(who) == 0 {
		return nil
	}
	procs := "process"
	if len(who) > 1 {
		procs = "processes"
	}
	return cli.Failf(f.Path, "--in-place or -L keep its size; --force shrinks it anyway",
		"would shrink from %d to %d bytes while %s %s map it (a program touching the cut pages dies of SIGBUS); nothing written",
		size0, end, procs, strings.Join(who, ", "))
}
