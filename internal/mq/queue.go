// Package mq opens message queues of both families behind one type:
// POSIX queues (mq_open, mq_timedsend, mq_timedreceive) and System V
// queues (msgget, msgsnd, msgrcv, msgctl), and inspects them: attributes,
// who waits on or holds one (from /proc), staleness, the list of all.
// Its errors are the tool's wording (cli.Fail with hints).
package mq

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
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// Queue is an open message queue of either family.
type Queue struct {
	Name    ipcname.Name // as given (resolved for ftok)
	Obj     string       // how messages name it
	POSIX   bool
	ID      int             // System V
	Key     uint32          // System V
	Max     int             // largest message the queue takes
	Limit   string          // what sets Max, for error messages
	fd      int             // POSIX
	waiter  *relay.Waiter   // POSIX: waits for room or a message
	waitCtx context.Context // what waiter is bound to
	writing bool            // opened to send (else to receive)
	sbuf    []byte          // System V: mtype and text of a message to send
	rbuf    []byte          // what a message is received into
}

// Params are the options that shape a queue this run creates (and that
// an existing queue must match: --maxmsg, --msgsize; --qbytes is set).
type Params struct {
	Mode                    ipcname.Mode
	MaxMsg, MsgSize, QBytes ipcname.Size
}

var (
	ErrNotExist = errors.New("no such queue")
	ErrExist    = errors.New("queue already exists")
	ErrEmpty    = errors.New("queue empty")
	ErrFull     = errors.New("queue full")
	ErrRemoved  = errors.New("queue was removed")
)

// Open opens the queue, creating it when create is set (and failing
// when it exists under excl), for writing or reading. created tells
// whether this call made it.
func Open(o *Params, name ipcname.Name, obj string, create, excl, writing bool) (q *Queue, created bool, err error) {
	name, err = name.Resolve()
	if err != nil {
		return nil, false, cli.Fail(obj, err, "")
	}
	q = &Queue{Name: name, Obj: obj, POSIX: name.Kind == ipcname.POSIX, fd: -1, ID: -1, writing: writing}
	if q.POSIX {
		created, err = q.openPOSIX(o, create, excl)
	} else {
		created, err = q.openSysV(o, create, excl)
	}
	if err != nil {
		return nil, false, err
	}
	return q, created, nil
}

func (q *Queue) openPOSIX(o *Params, create, excl bool) (bool, error) {
	flag := unix.O_RDWR
	fd, err := posixmq.Open(q.Name.Path, flag, 0, nil)
	switch {
	case err == nil && excl:
		unix.Close(fd)
		return false, q.openErr(ErrExist)
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
		fd, err = posixmq.Open(q.Name.Path, flag|unix.O_CREAT|unix.O_EXCL, o.Mode.Or(0o600), attr)
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
		fd, err = posixmq.Open(q.Name.Path, dir, 0, nil)
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
func (q *Queue) sameAttr(o *Params) error {
	a, err := posixmq.GetAttr(q.fd)
	if err != nil {
		return nil
	}
	if o.MaxMsg.Set && o.MaxMsg.N != a.Maxmsg || o.MsgSize.Set && o.MsgSize.N != a.Msgsize {
		return cli.Failf(q.Obj, "they are set at creation: leave them out, or remove the queue first",
			"queue exists with --maxmsg %d --msgsize %d", a.Maxmsg, a.Msgsize)
	}
	return nil
}

func (q *Queue) posixAttr() error {
	// Our own description never blocks (the shared mq_flags of a
	// description nobody else holds): a full or empty queue is waited
	// for in poll(2), beside the context, by relay.Waiter.
	a, err := posixmq.GetSetAttr(q.fd, &posixmq.Attr{Flags: unix.O_NONBLOCK})
	if err != nil {
		return cli.Fail(q.Obj, fmt.Errorf("mq_getattr: %w", err), "")
	}
	q.Max = int(a.Msgsize)
	q.Limit = "its mq_msgsize, set at creation by --msgsize up to " + posixmq.MsgsizeMaxFile
	return nil
}

func (q *Queue) openSysV(o *Params, create, excl bool) (bool, error) {
	created := false
	switch q.Name.Kind {
	case ipcname.ID:
		if create && excl {
			return false, q.openErr(ErrExist)
		}
		q.ID = q.Name.ID
	default:
		q.Key = q.Name.Key
		// Ask for the permission this run needs, so that a queue the
		// user may not use is refused even when no message moves.
		need := 0o400
		if q.writing {
			need = 0o200
		}
		id, err := sysvipc.MsgGet(q.Key, need)
		switch {
		case err == nil && excl:
			return false, q.openErr(ErrExist)
		case err == unix.ENOENT && create:
			id, err = sysvipc.MsgGet(q.Key, unix.IPC_CREAT|unix.IPC_EXCL|int(o.Mode.Or(0o600)))
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
		q.ID = id
	}
	ds, err := sysvipc.MsgStat(q.ID)
	if err != nil && err != unix.EACCES {
		if created {
			sysvipc.MsgRemove(q.ID)
		}
		return false, q.openErr(err)
	}
	if q.Name.Kind == ipcname.ID {
		q.Key = uint32(ds.Perm.Key)
	}
	if o.QBytes.Set && err != nil {
		return false, cli.Fail(q.Obj, fmt.Errorf("cannot set qbytes to %d: %w", o.QBytes.N, err), "changing it needs read permission, and only the owner may")
	}
	if o.QBytes.Set && int64(ds.Qbytes) != o.QBytes.N {
		ds.Qbytes = uint64(o.QBytes.N)
		if err := sysvipc.MsgSet(q.ID, &ds); err != nil {
			if created {
				sysvipc.MsgRemove(q.ID)
			}
			hint := "only the owner may change it"
			if err == unix.EPERM && o.QBytes.N > sysvipc.Limit(sysvipc.MsgMnbFile) {
				hint = fmt.Sprintf("raising it above kernel.msgmnb (%d, %s) needs root (CAP_SYS_RESOURCE)", sysvipc.Limit(sysvipc.MsgMnbFile), sysvipc.MsgMnbFile)
			}
			return false, cli.Fail(q.Obj, fmt.Errorf("cannot set qbytes to %d: %w", o.QBytes.N, err), hint)
		}
	}
	q.Max = int(sysvipc.Limit(sysvipc.MsgMaxFile))
	q.Limit = "kernel.msgmax, " + sysvipc.MsgMaxFile
	if q.Max < 0 {
		q.Max = 8192
	}
	if err == nil && int(ds.Qbytes) < q.Max {
		q.Max = int(ds.Qbytes)
		q.Limit = "the queue's qbytes, set by --qbytes (default kernel.msgmnb, " + sysvipc.MsgMnbFile + ")"
	}
	return created, nil
}

// Close closes a POSIX queue's descriptor.
func (q *Queue) Close() {
	if q.waiter != nil {
		q.waiter.Close()
		q.waiter = nil
	}
	if q.fd >= 0 {
		unix.Close(q.fd)
	}
}

// Remove removes the queue (POSIX: mq_unlink; System V: IPC_RMID).
func (q *Queue) Remove() error {
	var err error
	if q.POSIX {
		err = posixmq.Unlink(q.Name.Path)
	} else {
		err = sysvipc.MsgRemove(q.ID)
	}
	if err != nil && err != unix.ENOENT && err != unix.EINVAL && err != unix.EIDRM {
		return q.openErr(err)
	}
	return nil
}

// RemoveUnused removes the queue this run created, unless somebody else
// has put a message in it or (System V) waits on it meanwhile.
func (q *Queue) RemoveUnused() {
	if q.POSIX {
		if a, err := posixmq.GetAttr(q.fd); err != nil || a.Curmsgs > 0 {
			return
		}
		posixmq.Unlink(q.Name.Path)
		return
	}
	if ds, err := sysvipc.MsgStat(q.ID); err != nil || ds.Qnum > 0 {
		return
	}
	ws, err := procfs.MsgWaiters()
	if err != nil {
		return // who waits is unknown: keep it
	}
	for _, w := range ws {
		if w.ID == q.ID && w.PID != os.Getpid() {
			return
		}
	}
	sysvipc.MsgRemove(q.ID)
}

// lookErr is openErr for --stat and --rm, which neither -c nor -t helps.
func (q *Queue) lookErr(err error) error {
	if err == unix.EINVAL && q.Name.Kind == ipcname.ID || err == unix.EIDRM || err == unix.ENOENT || err == ErrNotExist {
		return cli.Fail(q.Obj, ErrNotExist, "mqcat --list shows the queues there are")
	}
	return q.openErr(err)
}

// openErr turns an errno from opening into the message and hint that apply.
func (q *Queue) openErr(err error) error {
	if err == unix.EINVAL && q.Name.Kind == ipcname.ID || err == unix.EIDRM {
		err = ErrNotExist
	}
	switch err {
	case unix.ENOENT, ErrNotExist:
		return cli.Fail(q.Obj, ErrNotExist, "use -c to create it, or -t to wait for it")
	case unix.EEXIST, ErrExist:
		return cli.Fail(q.Obj, ErrExist, "-x refuses an existing queue")
	case unix.EACCES, unix.EPERM:
		if q.POSIX {
			return cli.Fail(q.Obj, errors.New("permission denied"), "ask its owner (ls -l "+posixmq.Dir+" shows owners and modes when mounted)")
		}
		return cli.Fail(q.Obj, errors.New("permission denied"), "mqcat --stat shows its owner and mode")
	case unix.ENOSYS:
		return cli.Fail(q.Obj, errors.New("this kernel has no message queues of this family"), "")
	}
	return cli.Fail(q.Obj, err, "")
}

// createErr names the limit that refused a new queue.
func (q *Queue) createErr(err error, attr *posixmq.Attr) error {
	if q.POSIX {
		switch err {
		case unix.EINVAL, unix.EPERM:
			if attr != nil {
				return cli.Fail(q.Obj, fmt.Errorf("cannot create with --maxmsg %d --msgsize %d: %w", attr.Maxmsg, attr.Msgsize, err),
					fmt.Sprintf("unprivileged limits are %s (%d) and %s (%d)", posixmq.MsgMaxFile, posixmq.Limit(posixmq.MsgMaxFile), posixmq.MsgsizeMaxFile, posixmq.Limit(posixmq.MsgsizeMaxFile)))
			}
		case unix.EMFILE:
			return cli.Fail(q.Obj, fmt.Errorf("cannot create: %w", err), "RLIMIT_MSGQUEUE (ulimit -q) caps the bytes of this user's queues")
		case unix.ENOSPC:
			return cli.Fail(q.Obj, fmt.Errorf("cannot create: too many queues"), "the limit is "+posixmq.QueuesMaxFile)
		case unix.ENFILE:
			return cli.Fail(q.Obj, fmt.Errorf("cannot create: %w", err), "")
		}
		if err == unix.EMFILE || err == unix.ENOMEM {
			return cli.Fail(q.Obj, err, "")
		}
	} else if err == unix.ENOSPC {
		return cli.Fail(q.Obj, errors.New("cannot create: too many queues"), "the limit is kernel.msgmni, /proc/sys/kernel/msgmni")
	}
	return q.openErr(err)
}

// Wait is how a send or receive may block.
type Wait struct {
	Ctx      context.Context // cancelled by signals and by -t
	Nonblock bool
}

// wait blocks until the POSIX queue has room (POLLOUT) or a message
// (POLLIN), or ctx is done.
func (q *Queue) wait(ctx context.Context, events int16) error {
	if q.waiter != nil && q.waitCtx != ctx {
		q.waiter.Close()
		q.waiter = nil
	}
	if q.waiter == nil {
		q.waiter, q.waitCtx = relay.NewWaiter(ctx), ctx
	}
	return q.waiter.Wait(q.fd, events)
}

// Interrupt lets ctx end a blocking System V call of the calling
// goroutine (sysvipc.Interrupt) until stop; POSIX waits need nothing.
func (q *Queue) Interrupt(ctx context.Context) (stop func()) {
	if q.POSIX {
		return func() {}
	}
	return sysvipc.Interrupt(ctx)
}

// Receive flags for Recv: System V msgrcv's MSG_EXCEPT and MSG_COPY.
const (
	Except = sysvipc.MsgExcept
	Copy   = sysvipc.MsgCopy
)

// The two calls every transfer is made of. For System V, a blocking call
// is woken by sysvipc.Interrupt, which the caller has set up on its
// goroutine; a POSIX call never blocks (and, given a deadline already
// past, arms no timer), and a full or empty queue is waited for by
// relay.Waiter: poll(2) on the queue's descriptor and the context.

// Send puts one message on the queue. It returns ErrFull when the queue
// has no room and w does not let it wait (or the -t deadline passed).
func (q *Queue) Send(w Wait, msg []byte, typ int64, prio uint) error {
	sbuf := &q.sbuf
	if q.POSIX {
		for {
			err := posixmq.TimedSend(q.fd, msg, prio, &posixmq.Now)
			switch err {
			case nil:
				return nil
			case unix.EINTR:
				continue
			case unix.ETIMEDOUT, unix.EAGAIN:
				if w.Nonblock {
					return ErrFull
				}
				if err := q.wait(w.Ctx, unix.POLLOUT); err != nil {
					if Expired(w.Ctx) {
						return ErrFull
					}
					return err
				}
				continue
			}
			return err
		}
	}
	need := 8 + len(msg)
	if cap(*sbuf) < need {
		*sbuf = make([]byte, need, max(need, 8+q.Max))
	}
	b := (*sbuf)[:need]
	sysvipc.SetType(b, typ)
	copy(b[8:], msg)
	flag := 0
	if w.Nonblock {
		flag = unix.IPC_NOWAIT
	}
	for {
		err := sysvipc.MsgSnd(q.ID, b, flag)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			// Go's own preemption signal lands here too: retry unless
			// we were told to stop.
			if Expired(w.Ctx) {
				return ErrFull
			}
			if err := w.Ctx.Err(); err != nil {
				return err
			}
			continue
		case unix.EAGAIN:
			return ErrFull
		case unix.EIDRM, unix.EINVAL:
			if _, serr := sysvipc.MsgStat(q.ID); serr == unix.EINVAL || serr == unix.EIDRM {
				return ErrRemoved
			}
		}
		return err
	}
}

// Recv takes one message from the queue and returns its text (valid
// until the next Recv) and its type or priority; try never waits, and
// returns ErrEmpty. For System V, typ (msgtyp) and flags (Except, Copy)
// select the message.
func (q *Queue) Recv(w Wait, try bool, typ int64, flags int) ([]byte, int64, error) {
	buf := &q.rbuf
	if q.POSIX {
		if len(*buf) < q.Max {
			*buf = make([]byte, q.Max)
		}
		for {
			n, prio, err := posixmq.TimedReceive(q.fd, *buf, &posixmq.Now)
			switch err {
			case nil:
				return (*buf)[:n], int64(prio), nil
			case unix.EINTR:
				continue
			case unix.ETIMEDOUT, unix.EAGAIN:
				if try {
					return nil, 0, ErrEmpty
				}
				if err := q.wait(w.Ctx, unix.POLLIN); err != nil {
					if Expired(w.Ctx) {
						return nil, 0, ErrEmpty
					}
					return nil, 0, err
				}
				continue
			case unix.EMSGSIZE:
				// The queue's msgsize changed under us (it was recreated).
				if err := q.posixAttr(); err != nil {
					return nil, 0, err
				}
				*buf = make([]byte, q.Max)
				continue
			case unix.EBADF:
				return nil, 0, errors.New("queue not open for reading")
			}
			return nil, 0, err
		}
	}
	if len(*buf) < 8+q.Max {
		*buf = make([]byte, 8+q.Max)
	}
	if try {
		flags |= unix.IPC_NOWAIT
	}
	for {
		n, err := sysvipc.MsgRcv(q.ID, *buf, typ, flags)
		switch err {
		case nil:
			return (*buf)[8 : 8+n], sysvipc.Type(*buf), nil
		case unix.EINTR:
			if Expired(w.Ctx) {
				return nil, 0, ErrEmpty
			}
			if err := w.Ctx.Err(); err != nil {
				return nil, 0, err
			}
			continue
		case unix.ENOMSG:
			return nil, 0, ErrEmpty
		case unix.E2BIG:
			// A message longer than kernel.msgmax is now: it was sent
			// before the limit was lowered. Make room and take it.
			*buf = make([]byte, 2*len(*buf))
			continue
		case unix.EIDRM, unix.EINVAL:
			return nil, 0, ErrRemoved
		case unix.ENOSYS:
			if flags&sysvipc.MsgCopy != 0 {
				return nil, 0, ErrNoCopy
			}
		}
		return nil, 0, err
	}
}

var ErrNoCopy = errors.New("this kernel cannot copy messages without taking them (MSG_COPY needs CONFIG_CHECKPOINT_RESTORE)")

// Expired reports whether ctx's deadline (-t) has passed.
func Expired(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
