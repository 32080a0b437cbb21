package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
)

// typeName names a file type as people say it.
func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "pipe"
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFLNK:
		return "symbolic link"
	}
	return "unknown"
}

func holders(hs []procfs.PipeHolder) []report.Record {
	out := []report.Record{}
	for _, h := range hs {
		out = append(out, report.Record{
			{Name: "pid", Value: h.PID},
			{Name: "command", Value: h.Comm},
			{Name: "fd", Value: h.FD},
		})
	}
	return out
}

// holderText renders holders as "pid (comm)", each process once; with
// limit > 0, the first limit of them and "+N more" (a --list row stays on
// one line; JSON always has them all).
func holderText(hs []procfs.PipeHolder, limit int) string {
	var parts []string
	seen := map[int]bool{}
	for _, h := range hs {
		if !seen[h.PID] {
			seen[h.PID] = true
			parts = append(parts, fmt.Sprintf("%d (%s)", h.PID, h.Comm))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	if limit > 0 && len(parts) > limit+1 {
		parts = append(parts[:limit], fmt.Sprintf("+%d more", len(parts)-limit))
	}
	return strings.Join(parts, ", ")
}

// listHolders is how many holders a --list row names before "+N more".
const listHolders = 3

// others drops this process from a holder list.
func others(hs []procfs.PipeHolder) []procfs.PipeHolder {
	self := os.Getpid()
	var out []procfs.PipeHolder
	for _, h := range hs {
		if h.PID != self {
			out = append(out, h)
		}
	}
	return out
}

func access(fl int) string {
	switch fl & unix.O_ACCMODE {
	case unix.O_RDONLY:
		return "read"
	case unix.O_WRONLY:
		return "write"
	}
	return "read-write"
}

// stat describes descriptor fd of this process: what it is and, for a
// pipe, its capacity, the bytes queued and the processes at either end.
func stat(env *cli.Env, o *options, fd int) error {
	obj := fmt.Sprintf("fd %d", fd)
	var st unix.Stat_t
	if !cli.Inherited(fd) {
		return cli.Failf(obj, "", "not an open descriptor")
	}
	if err := unix.Fstat(fd, &st); err != nil {
		if err == unix.EBADF {
			return cli.Failf(obj, "", "not an open descriptor")
		}
		return cli.Fail(obj, err, "")
	}
	fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	isPipe := st.Mode&unix.S_IFMT == unix.S_IFIFO
	named := isPipe && !strings.HasPrefix(link, "pipe:[")
	typ := typeName(st.Mode)
	if named {
		typ = "fifo"
	}
	r := report.Record{
		{Name: "fd", Value: fd},
		{Name: "type", Value: typ},
		{Name: "pipe", Value: isPipe},
		{Name: "inode", Value: st.Ino},
		{Name: "access", Value: access(fl)},
	}
	if !isPipe || named {
		r = append(r, report.Field{Name: "path", Value: link})
	}
	if isPipe {
		var capacity, queued any
		if f, ok := procfs.FillOf(fd); ok {
			capacity, queued = f.Capacity, f.Queued
		}
		var rd, wr []procfs.PipeHolder
		pipes, sc := procfs.Pipes(named)
		if sc.Err != nil {
			return cli.Fail(obj, fmt.Errorf("cannot see which processes hold pipes: %w", sc.Err), "")
		}
		if p := pipes[procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}]; p != nil {
			rd, wr = others(p.Readers), others(p.Writers)
		}
		r = append(r,
			report.Field{Name: "capacity", Value: capacity},
			report.Field{Name: "queued", Value: queued},
			report.Field{Name: "writers", Value: holders(wr), Text: holderText(wr, 0)},
			report.Field{Name: "readers", Value: holders(rd), Text: holderText(rd, 0)})
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, r))
}

var listColumns = []string{"inode", "capacity", "queued", "writers", "readers"}

// list prints every anonymous pipe held open on the system, writers ->
// readers, ordered so that the stages of a pipeline follow each other.
func list(env *cli.Env, o *options) error {
	pipes, sc := procfs.Pipes(false)
	if sc.Err != nil {
		return cli.Fail("pipes", fmt.Errorf("cannot see which processes hold pipes: %w", sc.Err), "")
	}
	all := make([]*procfs.Pipe, 0, len(pipes))
	for _, p := range pipes {
		all = append(all, p)
	}
	first := func(p *procfs.Pipe) int {
		if len(p.Writers) > 0 {
			return p.Writers[0].PID
		}
		if len(p.Readers) > 0 {
			return p.Readers[0].PID
		}
		return 0
	}
	sort.Slice(all, func(i, j int) bool {
		if a, b := first(all[i]), first(all[j]); a != b {
			return a < b
		}
		return all[i].Ino < all[j].Ino
	})
	self := os.Getpid()
	rows := []report.Record{}
	for _, p := range all {
		var capacity, queued any
		if f, ok := p.Fill(self); ok {
			capacity, queued = f.Capacity, f.Queued
		}
		rows = append(rows, report.Record{
			{Name: "inode", Value: p.Ino},
			{Name: "capacity", Value: capacity},
			{Name: "queued", Value: queued},
			{Name: "writers", Value: holders(p.Writers), Text: holderText(p.Writers, listHolders) + " ->"},
			{Name: "readers", Value: holders(p.Readers), Text: holderText(p.Readers, listHolders)},
		})
	}
	if err := report.List(env.Stdout, o.JSON, listColumns, rows); err != nil {
		return cli.Output(err)
	}
	if sc.Hidden > 0 && !o.JSON {
		env.Warnf("%d processes could not be inspected; run as root to see their pipes", sc.Hidden)
	}
	return nil
}
