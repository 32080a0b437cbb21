// Package posixmq wraps the POSIX message queue system calls, which
// x/sys/unix lacks, as glibc does: "/name" is passed to the kernel without
// its slash.
package posixmq

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/ns"
)

// Attr is struct mq_attr.
type Attr struct {
	Flags   int64
	Maxmsg  int64
	Msgsize int64
	Curmsgs int64
	_       [4]int64
}

// Dir is where the mqueue file system is conventionally mounted.
const Dir = "/dev/mqueue"

// Limit files of the kernel (proc(5), mq_overview(7)).
const (
	MsgMaxFile     = "/proc/sys/fs/mqueue/msg_max"
	MsgsizeMaxFile = "/proc/sys/fs/mqueue/msgsize_max"
	QueuesMaxFile  = "/proc/sys/fs/mqueue/queues_max"
)

func kname(name string) (*byte, error) {
	return unix.BytePtrFromString(strings.TrimPrefix(name, "/"))
}

// Open is mq_open(3): name is "/name"; attr may be nil.
func Open(name string, flag int, mode uint32, attr *Attr) (int, error) {
	p, err := kname(name)
	if err != nil {
		return -1, err
	}
	for {
		fd, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flag|unix.O_CLOEXEC), uintptr(mode), uintptr(unsafe.Pointer(attr)), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(fd), nil
	}
}

// Unlink is mq_unlink(3).
func Unlink(name string) error {
	p, err := kname(name)
	if err != nil {
		return err
	}
	if _, _, e := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0); e != 0 {
		return e
	}
	return nil
}

// Now is a deadline already past: the timed calls given &Now never block
// (and are made without telling the scheduler).
var Now = unix.Timespec{}

// TimedSend is mq_timedsend(3). A nil deadline waits for room forever;
// ETIMEDOUT reports that the deadline passed with the queue still full.
func TimedSend(fd int, msg []byte, prio uint, deadline *unix.Timespec) error {
	var p unsafe.Pointer
	if len(msg) > 0 {
		p = unsafe.Pointer(&msg[0])
	}
	call := unix.Syscall6
	if deadline == &Now {
		call = unix.RawSyscall6 // cannot block: skip the scheduler's hand-off
	}
	_, _, e := call(unix.SYS_MQ_TIMEDSEND, uintptr(fd), uintptr(p), uintptr(len(msg)), uintptr(prio), uintptr(unsafe.Pointer(deadline)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// TimedReceive is mq_timedreceive(3): buf must hold the queue's msgsize.
// It returns the message's length and priority.
func TimedReceive(fd int, buf []byte, deadline *unix.Timespec) (int, uint, error) {
	var prio uint32
	call := unix.Syscall6
	if deadline == &Now {
		call = unix.RawSyscall6 // cannot block: skip the scheduler's hand-off
	}
	r, _, e := call(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), uintptr(unsafe.Pointer(&prio)), uintptr(unsafe.Pointer(deadline)), 0)
	if e != 0 {
		return 0, 0, e
	}
	return int(r), uint(prio), nil
}

// GetSetAttr is mq_getsetattr(2): newAttr may be nil to only read.
func GetSetAttr(fd int, newAttr *Attr) (Attr, error) {
	var old Attr
	_, _, e := unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd), uintptr(unsafe.Pointer(newAttr)), uintptr(unsafe.Pointer(&old)))
	if e != 0 {
		return old, e
	}
	return old, nil
}

// GetAttr is mq_getattr(3).
func GetAttr(fd int) (Attr, error) { return GetSetAttr(fd, nil) }

// Limit reads one of the /proc/sys/fs/mqueue files (-1 if unreadable).
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

// Mounted reports whether the mqueue file system is mounted on Dir (under
// ns.Run, the target's).
func Mounted() bool {
	var st unix.Statfs_t
	return unix.Statfs(ns.Path(Dir), &st) == nil && st.Type == 0x19800202
}

// Status is what /dev/mqueue/NAME says of a queue (when it is mounted).
type Status struct {
	QSize     int64 // bytes queued, plus the kernel's overhead
	Notify    int   // sigev_notify of the registered notification
	Signo     int
	NotifyPID int // 0: nobody registered with mq_notify
}

// ParseStatus parses the one line of /dev/mqueue/NAME:
// "QSIZE:129        NOTIFY:2     SIGNO:0     NOTIFY_PID:8260".
func ParseStatus(s string) (Status, bool) {
	var st Status
	seen := 0
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			return Status{}, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Status{}, false
		}
		switch k {
		case "QSIZE":
			st.QSize = n
		case "NOTIFY":
			st.Notify = int(n)
		case "SIGNO":
			st.Signo = int(n)
		case "NOTIFY_PID":
			st.NotifyPID = int(n)
		default:
			continue
		}
		seen++
	}
	return st, seen > 0
}

// ReadStatus reads /dev/mqueue/NAME; ok is false when it is not mounted.
func ReadStatus(name string) (Status, bool) {
	b, err := os.ReadFile(ns.Path(Dir + name))
	if err != nil {
		return Status{}, false
	}
	return ParseStatus(string(b))
}
