// Package sysvipc wraps the System V message queue calls that x/sys/unix
// lacks (msgget, msgsnd, msgrcv, msgctl). Shared memory uses x/sys's own
// SysvShm* wrappers.
package sysvipc

import (
	"golang.org/x/sys/unix"
)

// MsgGet is msgget(2).
func MsgGet(key uint32, flag int) (int, error) {
	id, _, e := unix.Syscall(unix.SYS_MSGGET, uintptr(int32(key)), uintptr(flag), 0)
	if e != 0 {
		return -1, e
	}
	return int(id), nil
}

// MsgRemove is msgctl(id, IPC_RMID).
func MsgRemove(id int) error {
	if _, _, e := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(unix.IPC_RMID), 0); e != 0 {
		return e
	}
	return nil
}
