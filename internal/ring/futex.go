package ring

import (
	"os"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations (linux/futex.h). The words live in shared memory used
// by two processes, so these are the shared forms, without
// FUTEX_PRIVATE_FLAG.
const (
	futexWait = 0
	futexWake = 1
)

// sleep waits until *w is no longer val, a FUTEX_WAKE on w, a signal, or d.
func sleep(w *atomic.Uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexWait, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// wake wakes every process sleeping on w.
func wake(w *atomic.Uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexWake, 1<<30, 0, 0, 0)
}

// Alive reports whether pid is a live process: kill(pid, 0) finds it (or
// finds it belongs to another user) and it is not a zombie waiting for
// its parent to reap it.
func Alive(pid int32) bool {
	if pid <= 0 {
		return false
	}
	if err := unix.Kill(int(pid), 0); err != nil && err != unix.EPERM {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(pid)) + "/stat")
	if err != nil {
		return true // no /proc: trust kill
	}
	// The state follows the command, which is in parentheses and may
	// itself contain ") ".
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' {
			return i+2 >= len(b) || (b[i+2] != 'Z' && b[i+2] != 'X')
		}
	}
	return true
}
