// Package complete offers the live objects a tool's argument can name to
// shell completion (go-flags' Completer): the keys and /names of shared
// memory segments and message queues, and the paths of listening Unix
// sockets. A tool declares its object argument with one of these types
// instead of string; the value is the word the user typed.
package complete

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/jessevdk/go-flags"

	"github.com/ipcats/ipcats/internal/procfs"
)

// Segment is a System V key or a POSIX /name of shared memory.
type Segment string

// Complete offers the keys of /proc/sysvipc/shm and the objects in
// /dev/shm (not the sem.* files of POSIX semaphores).
func (Segment) Complete(match string) []flags.Completion {
	return offer(match, keys("shm"), names("/dev/shm", "sem."))
}

// Queue is a System V key or a POSIX /name of a message queue.
type Queue string

// Complete offers the keys of /proc/sysvipc/msg and the queues in
// /dev/mqueue (when it is mounted).
func (Queue) Complete(match string) []flags.Completion {
	return offer(match, keys("msg"), names("/dev/mqueue", ""))
}

// UnixSocket is a path that may name a listening Unix socket.
type UnixSocket string

// Complete offers the paths of the listening Unix sockets (not the
// abstract ones, which have no path).
func (UnixSocket) Complete(match string) []flags.Completion {
	socks, _ := procfs.Sockets()
	var paths []string
	for _, s := range socks {
		if s.Proto == "unix" && s.State == "LISTEN" && strings.HasPrefix(s.Local, "/") {
			paths = append(paths, s.Local)
		}
	}
	return offer(match, paths)
}

// keys lists the keys of a System V table as the tools print them.
func keys(table string) []string {
	rows, _ := procfs.SysV(table)
	var out []string
	for _, r := range rows {
		if k := r.Uint("key"); k != 0 { // IPC_PRIVATE has no key to type
			out = append(out, fmt.Sprintf("0x%08x", k))
		}
	}
	return out
}

// names lists the objects of dir as /names, skipping those with skip as
// prefix.
func names(dir, skip string) []string {
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		if skip == "" || !strings.HasPrefix(e.Name(), skip) {
			out = append(out, "/"+e.Name())
		}
	}
	return out
}

// offer is every candidate that begins with match, sorted, once.
func offer(match string, lists ...[]string) []flags.Completion {
	seen := map[string]bool{}
	var out []flags.Completion
	for _, l := range lists {
		for _, c := range l {
			if strings.HasPrefix(c, match) && !seen[c] {
				seen[c] = true
				out = append(out, flags.Completion{Item: c})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out
}
