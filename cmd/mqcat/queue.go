package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// queue is an open message queue of either family.
type queue struct {
	name    ipcname.Name // as given (resolved for ftok)
	obj     string       // how messages name it
	posix   bool
	fd      int // POSIX
	id      int // System V
	key     uint32
	ts      unix.Timespec // deadline of the current POSIX call
	writing bool          // opened to send (else to receive)
	max     int           // largest message the queue takes
	limit   string        // what sets max, for error messages
}

var (
	errNotExist = errors.New("no such queue")
	errExist    = errors.New("queue already exists")
	errEmpty    = errors.New("queue empty")
	errFull     = errors.New("queue full")
	errRemoved  = errors.New("queue was removed")
)

// openQueue opens the queue, creating it when create is set (and failing
// when it exists under excl), for writing or reading. created tells
// whether this call made it.
func openQueue(o *options, name ipcname.Name, obj string, create, excl, writing bool) (q *queue, created bool, err error) {
	name, err = name.Resolve()
	if err != nil {
		return nil, false, cli.Fail(obj, err, "")
	}
	q = &queue{name: name, obj: obj, posix: name.Kind == ipcname.POSIX, fd: -1, id: -1, writing: writing}
	if q.posix {
		created, err = q.openPOSIX(o, create, excl)
	} else {
		created, err = q.openSysV(o, create, excl)
	}
	if err != nil {
		return nil, false, err
	}
	return q, created, nil
}

func (q *queue) openPOSIX(o *options, create, excl bool) (bool, error) {
	flag := unix.O_RDWR
	fd, err := posixmq.Open(q.name.Path, flag, 0, nil)
	switch {
	case err == nil && excl:
		unix.Close(fd)
		return false, q.openErr(errExist)
	case err == unix.ENOENT && create:
		var attr *posixmq.Attr
		if o.MaxMsg.Set || o.MsgSize.Set {
			attr = &posixmq.Attr{Maxmsg: posixmq.Limit("/proc/sys/fs/mqueue/msg_default"), Msgsize: posixmq.Limit("/proc/sys/fs/mqueue/msgsize_default")}
			if o.MaxMsg.Set {
				attr.Maxmsg = o.MaxMsg.N
			}
			if o.MsgSize.Set {
				attr.Msgsize = o.MsgSize.N
			}
		}
		old := unix.Umask(0)
		fd, err = posixmq.Open(q.name.Path, flag|unix.O_CREAT|unix.O_EXCL, o.Mode.Or(0o600), attr)
		unix.Umask(old)
		if err == unix.EEXIST {
			return q.openPOSIX(o, false, excl) // another process made it meanwhile
		}
		if err != nil {
			return false, q.createErr(err, attr)
		}
		q.fd = fd
		return true, q.posixAttr()
	case err == unix.EACCES:
		// A queue we may only read or only write: open it for the one
		// direction this run needs.
		dir := unix.O_RDONLY
		if q.writing {
			dir = unix.O_WRONLY
		}
		fd, err = posixmq.Open(q.name.Path, dir, 0, nil)
	}
	if err != nil {
		return false, q.openErr(err)
	}
	q.fd = fd
	if err := q.posixAttr(); err != nil {
		return false, err
	}
	return false, q.sameAttr(o)
}

// sameAttr refuses --maxmsg or --msgsize that an existing queue does not
// have: they are fixed at creation.
func (q *queue) sameAttr(o *options) error {
	a, err := posixmq.GetAttr(q.fd)
	if err != nil {
		return nil
	}
	if o.MaxMsg.Set && o.MaxMsg.N != a.Maxmsg || o.MsgSize.Set && o.MsgSize.N != a.Msgsize {
		return cli.Failf(q.obj, "they are set at creation: leave them out, or remove the queue first",
			"queue exists with --maxmsg %d --msgsize %d", a.Maxmsg, a.Msgsize)
	}
	return nil
}

func (q *queue) posixAttr() error {
	a, err := posixmq.GetAttr(q.fd)
	if err != nil {
		return cli.Fail(q.obj, fmt.Errorf("mq_getattr: %w", err), "")
	}
	q.max = int(a.Msgsize)
	q.limit = "its mq_msgsize, set at creation by --msgsize up to " + posixmq.MsgsizeMaxFile
	return nil
}

func (q *queue) openSysV(o *options, create, excl bool) (bool, error) {
	created := false
	switch q.name.Kind {
	case ipcname.ID:
		if create && excl {
			return false, q.openErr(errExist)
		}
		q.id = q.name.ID
	default:
		q.key = q.name.Key
		// Ask for the permission this run needs, so that a queue the
		// user may not use is refused even when no message moves.
		need := 0o400
		if q.writing {
			need = 0o200
		}
		id, err := sysvipc.MsgGet(q.key, need)
		switch {
		case err == nil && excl:
			return false, q.openErr(errExist)
		case err == unix.ENOENT && create:
			id, err = sysvipc.MsgGet(q.key, unix.IPC_CREAT|unix.IPC_EXCL|int(o.Mode.Or(0o600)))
			if err == unix.EEXIST {
				return q.openSysV(o, false, excl)
			}
			if err != nil {
				return false, q.createErr(err, nil)
			}
			created = true
		}
		if err != nil {
			return false, q.openErr(err)
		}
		q.id = id
	}
	ds, err := sysvipc.MsgStat(q.id)
	if err != nil && err != unix.EACCES {
		if created {
			sysvipc.MsgRemove(q.id)
		}
		return false, q.openErr(err)
	}
	if q.name.Kind == ipcname.ID {
		q.key = uint32(ds.Perm.Key)
	}
	if o.QBytes.Set && err != nil {
		return false, cli.Fail(q.obj, fmt.Errorf("cannot set qbytes to %d: %w", o.QBytes.N, err), "changing it needs read permission, and only the owner may")
	}
	if o.QBytes.Set && int64(ds.Qbytes) != o.QBytes.N {
		ds.Qbytes = uint64(o.QBytes.N)
		if err := sysvipc.MsgSet(q.id, &ds); err != nil {
			if created {
				sysvipc.MsgRemove(q.id)
			}
			hint := "only the owner may change it"
			if err == unix.EPERM && o.QBytes.N > sysvipc.Limit(sysvipc.MsgMnbFile) {
				hint = fmt.Sprintf("raising it above kernel.msgmnb (%d, %s) needs root (CAP_SYS_RESOURCE)", sysvipc.Limit(sysvipc.MsgMnbFile), sysvipc.MsgMnbFile)
			}
			return false, cli.Fail(q.obj, fmt.Errorf("cannot set qbytes to %d: %w", o.QBytes.N, err), hint)
		}
	}
	q.max = int(sysvipc.Limit(sysvipc.MsgMaxFile))
	q.limit = "kernel.msgmax, " + sysvipc.MsgMaxFile
	if q.max < 0 {
		q.max = 8192
	}
	if err == nil && int(ds.Qbytes) < q.max {
		q.max = int(ds.Qbytes)
		q.limit = "the queue's qbytes, set by --qbytes (default kernel.msgmnb, " + sysvipc.MsgMnbFile + ")"
	}
	return created, nil
}

func (q *queue) close() {
	if q.fd >= 0 {
		unix.Close(q.fd)
	}
}

// remove removes the queue (POSIX: mq_unlink; System V: IPC_RMID).
func (q *queue) remove() error {
	var err error
	if q.posix {
		err = posixmq.Unlink(q.name.Path)
	} else {
		err = sysvipc.MsgRemove(q.id)
	}
	if err != nil && err != unix.ENOENT && err != unix.EINVAL && err != unix.EIDRM {
		return q.openErr(err)
	}
	return nil
}

// removeUnused removes the queue this run created, unless somebody else
// has put a message in it or (System V) waits on it meanwhile.
func (q *queue) removeUnused() {
	if q.posix {
		if a, err := posixmq.GetAttr(q.fd); err != nil || a.Curmsgs > 0 {
			return
		}
		posixmq.Unlink(q.name.Path)
		return
	}
	if ds, err := sysvipc.MsgStat(q.id); err != nil || ds.Qnum > 0 {
		return
	}
	ws, err := procfs.MsgWaiters()
	if err != nil {
		return // who waits is unknown: keep it
	}
	for _, w := range ws {
		if w.ID == q.id && w.PID != os.Getpid() {
			return
		}
	}
	sysvipc.MsgRemove(q.id)
}

// openErr turns an errno from opening into the message and hint that apply.
func (q *queue) openErr(err error) error {
	if err == unix.EINVAL && q.name.Kind == ipcname.ID || err == unix.EIDRM {
		err = errNotExist
	}
	switch err {
	case unix.ENOENT, errNotExist:
		return cli.Fail(q.obj, errNotExist, "use -c to create it, or -t to wait for it")
	case unix.EEXIST, errExist:
		return cli.Fail(q.obj, errExist, "-x refuses an existing queue")
	case unix.EACCES, unix.EPERM:
		if q.posix {
			return cli.Fail(q.obj, errors.New("permission denied"), "ask its owner (ls -l "+posixmq.Dir+" shows owners and modes when mounted)")
		}
		return cli.Fail(q.obj, errors.New("permission denied"), "mqcat --stat shows its owner and mode")
	case unix.ENOSYS:
		return cli.Fail(q.obj, errors.New("this kernel has no message queues of this family"), "")
	}
	return cli.Fail(q.obj, err, "")
}

// createErr names the limit that refused a new queue.
func (q *queue) createErr(err error, attr *posixmq.Attr) error {
	if q.posix {
		switch err {
		case unix.EINVAL, unix.EPERM:
			if attr != nil {
				return cli.Fail(q.obj, fmt.Errorf("cannot create with --maxmsg %d --msgsize %d: %w", attr.Maxmsg, attr.Msgsize, err),
					fmt.Sprintf("unprivileged limits are %s (%d) and %s (%d)", posixmq.MsgMaxFile, posixmq.Limit(posixmq.MsgMaxFile), posixmq.MsgsizeMaxFile, posixmq.Limit(posixmq.MsgsizeMaxFile)))
			}
		case unix.EMFILE:
			return cli.Fail(q.obj, fmt.Errorf("cannot create: %w", err), "RLIMIT_MSGQUEUE (ulimit -q) caps the bytes of this user's queues")
		case unix.ENOSPC:
			return cli.Fail(q.obj, fmt.Errorf("cannot create: too many queues"), "the limit is "+posixmq.QueuesMaxFile)
		case unix.ENFILE:
			return cli.Fail(q.obj, fmt.Errorf("cannot create: %w", err), "")
		}
		if err == unix.EMFILE || err == unix.ENOMEM {
			return cli.Fail(q.obj, err, "")
		}
	} else if err == unix.ENOSPC {
		return cli.Fail(q.obj, errors.New("cannot create: too many queues"), "the limit is kernel.msgmni, /proc/sys/kernel/msgmni")
	}
	return q.openErr(err)
}

// wait is how a send or receive may block.
type wait struct {
	ctx      context.Context // cancelled by signals and by -t
	nonblock bool
	flushBy  time.Time // POSIX receive: give up with errLater at this time
}

// errLater ends a POSIX receive that reached wait.flushBy: the caller has
// output to write before it waits on.
var errLater = errors.New("output pending")

// slice is how long a POSIX wait lasts before it looks at ctx again.
const slice = 100 * time.Millisecond

// deadline sets *ts to the next absolute deadline for a POSIX timed call
// and returns ts (the caller's, so that no call allocates).
func (w wait) deadline(ts *unix.Timespec) *unix.Timespec {
	t := time.Now().Add(slice)
	if d, ok := w.ctx.Deadline(); ok && d.Before(t) {
		t = d
	}
	if !w.flushBy.IsZero() && w.flushBy.Before(t) {
		t = w.flushBy
	}
	*ts = posixmq.Deadline(t)
	return ts
}
