// Package sysvipc wraps the System V message queue calls that x/sys/unix
// lacks (msgget, msgsnd, msgrcv, msgctl). Shared memory uses x/sys's own
// SysvShm* wrappers.
package sysvipc

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// msgrcv flags beyond IPC_NOWAIT (linux/msg.h).
const (
	MsgNoError = 0o10000
	MsgExcept  = 0o20000
	MsgCopy    = 0o40000
)

// Limit files of the kernel (proc(5)): the largest message and the default
// byte capacity of a new queue.
const (
	MsgMaxFile = "/proc/sys/kernel/msgmax"
	MsgMnbFile = "/proc/sys/kernel/msgmnb"
)

// MsqidDS is struct msqid64_ds on amd64.
type MsqidDS struct {
	Perm   unix.SysvIpcPerm
	Stime  int64
	Rtime  int64
	Ctime  int64
	Cbytes uint64
	Qnum   uint64
	Qbytes uint64
	Lspid  int32
	Lrpid  int32
	_      [2]uint64
}

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

// MsgStat is msgctl(id, IPC_STAT).
func MsgStat(id int) (MsqidDS, error) {
	var ds MsqidDS
	if _, _, e := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(unix.IPC_STAT), uintptr(unsafe.Pointer(&ds))); e != 0 {
		return ds, e
	}
	return ds, nil
}

// MsgSet is msgctl(id, IPC_SET): the kernel takes the owner, mode and
// qbytes from ds.
func MsgSet(id int, ds *MsqidDS) error {
	if _, _, e := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(unix.IPC_SET), uintptr(unsafe.Pointer(ds))); e != 0 {
		return e
	}
	return nil
}

// MsgSnd is msgsnd(2). buf is the struct msgbuf: an 8-byte native-endian
// mtype followed by the text. A signal interrupts a blocked call with
// EINTR (msgsnd is never restarted when a handler runs, and Go's are).
func MsgSnd(id int, buf []byte, flag int) error {
	_, _, e := syscall6(flag)(unix.SYS_MSGSND, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)-8), uintptr(flag), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// MsgRcv is msgrcv(2) into buf (an 8-byte mtype then room for the text);
// it returns the text's length. With MsgCopy, typ is the index of the
// message to copy.
func MsgRcv(id int, buf []byte, typ int64, flag int) (int, error) {
	n, _, e := syscall6(flag)(unix.SYS_MSGRCV, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)-8), uintptr(typ), uintptr(flag), 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// SetType stores mtype at the head of a msgbuf.
func SetType(buf []byte, typ int64) { *(*int64)(unsafe.Pointer(&buf[0])) = typ }

// Type reads mtype from the head of a msgbuf.
func Type(buf []byte) int64 { return *(*int64)(unsafe.Pointer(&buf[0])) }

// Limit reads one of the kernel's msg limit files (-1 if unreadable).
func Limit(file string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// holding counts the goroutines under Interrupt while another P is free.
var holding atomic.Int32

// syscall6 is how msgsnd or msgrcv with flag is called. A call that
// cannot block (IPC_NOWAIT) skips the scheduler's hand-off. So does a
// blocking one under Interrupt when GOMAXPROCS > 1: it keeps its P while
// the queue is full or empty, which spares a hand-off to the scheduler,
// a wake-up of another thread and the system monitor's polling on every
// wait (a fifth of a busy 64-byte transfer's time). That is safe there:
// the other P runs the signal handling and the interrupting goroutine,
// whose SIGURG ends the wait with EINTR, as does the runtime's own
// preemption (for a garbage collection, or after 10 ms), after which the
// caller's retry is an ordinary preemption point.
func syscall6(flag int) func(trap, a1, a2, a3, a4, a5, a6 uintptr) (uintptr, uintptr, unix.Errno) {
	if flag&unix.IPC_NOWAIT != 0 || holding.Load() > 0 {
		return unix.RawSyscall6
	}
	return unix.Syscall6
}

// Interruptor makes the blocking msgsnd and msgrcv calls of one goroutine
// cancellable. A process-directed signal lands on any thread, and Go
// installs its handlers with SA_RESTART, so SIGINT alone never wakes a
// thread blocked in msgrcv. Interrupt locks the calling goroutine to its
// thread and, once ctx is done, sends that thread SIGURG with tgkill(2)
// (the signal Go itself uses for preemption, so its handler takes it
// quietly) until stop is called. The blocked call returns EINTR; the
// caller sees ctx.Err() and gives up. A signal sent just before the call
// began is not lost: it is repeated every few milliseconds.
func Interrupt(ctx context.Context) (stop func()) {
	runtime.LockOSThread()
	hold := runtime.GOMAXPROCS(0) > 1
	if hold {
		holding.Add(1)
	}
	pid, tid := unix.Getpid(), unix.Gettid()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			unix.Tgkill(pid, tid, unix.SIGURG)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		if hold {
			holding.Add(-1)
		}
		close(done)
		wg.Wait()
		runtime.UnlockOSThread()
	}
}
