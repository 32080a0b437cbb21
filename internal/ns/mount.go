package ns

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// MountPeers returns a test of whether a process is in the mount
// namespace of pid: the processes of pid's container, which see its
// files by the same paths (mmapcat --list --ns). Unlike SameMount, a
// process whose namespace cannot be read is not one of them. It needs
// the same access to pid as Run.
func MountPeers(pid int) (func(int) bool, error) { return peers(pid, "mnt") }

// peers is the test of whether a process is in pid's namespace of the
// kind name ("pid", "mnt": the entry in /proc/PID/ns).
func peers(pid int, name string) (func(int) bool, error) {
	var t unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/"+name, &t); err != nil {
		return nil, enterErr(pid, err)
	}
	return func(p int) bool {
		var st unix.Stat_t
		return unix.Stat("/proc/"+strconv.Itoa(p)+"/ns/"+name, &st) == nil && st.Dev == t.Dev && st.Ino == t.Ino
	}, nil
}
