package main

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// The two calls every transfer is made of. For System V, a blocking call
// is woken by sysvipc.Interrupt, which the caller has set up on its
// goroutine; for POSIX, each wait is a mq_timed* call with an absolute
// deadline at most a slice away, after which ctx is looked at again.

// send puts one message on the queue. It returns errFull when the queue
// has no room and w does not let it wait (or the -t deadline passed).
func (q *queue) send(w wait, msg []byte, typ int64, prio uint, sbuf *[]byte) error {
	if q.posix {
		// The first attempt never waits (and arms no kernel timer); only
		// a full queue costs a timed wait.
		for try := true; ; try = false {
			dl := &posixmq.Now
			if !try && !w.nonblock {
				dl = w.deadline(&q.ts)
			}
			err := posixmq.TimedSend(q.fd, msg, prio, dl)
			switch err {
			case nil:
				return nil
			case unix.EINTR:
				continue
			case unix.ETIMEDOUT, unix.EAGAIN:
				if try && !w.nonblock {
					continue
				}
				if w.nonblock || expired(w.ctx) {
					return errFull
				}
				if err := w.ctx.Err(); err != nil {
					return err
				}
				continue
			}
			return err
		}
	}
	need := 8 + len(msg)
	if cap(*sbuf) < need {
		*sbuf = make([]byte, need, max(need, 8+q.max))
	}
	b := (*sbuf)[:need]
	sysvipc.SetType(b, typ)
	copy(b[8:], msg)
	flag := 0
	if w.nonblock {
		flag = unix.IPC_NOWAIT
	}
	for {
		err := sysvipc.MsgSnd(q.id, b, flag)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			// Go's own preemption signal lands here too: retry unless
			// we were told to stop.
			if expired(w.ctx) {
				return errFull
			}
			if err := w.ctx.Err(); err != nil {
				return err
			}
			continue
		case unix.EAGAIN:
			return errFull
		case unix.EIDRM, unix.EINVAL:
			if _, serr := sysvipc.MsgStat(q.id); serr == unix.EINVAL || serr == unix.EIDRM {
				return errRemoved
			}
		}
		return err
	}
}

// recv takes one message from the queue into *buf (which it may grow) and
// returns its text and its type or priority. try never waits: errEmpty.
// With sel the System V msgtyp and flags (MSG_EXCEPT) select the message.
func (q *queue) recv(w wait, try bool, buf *[]byte, typ int64, flags int) ([]byte, int64, error) {
	if q.posix {
		if len(*buf) < q.max {
			*buf = make([]byte, q.max)
		}
		for {
			dl := &posixmq.Now
			if !try {
				dl = w.deadline(&q.ts)
			}
			n, prio, err := posixmq.TimedReceive(q.fd, *buf, dl)
			switch err {
			case nil:
				return (*buf)[:n], int64(prio), nil
			case unix.EINTR:
				continue
			case unix.ETIMEDOUT, unix.EAGAIN:
				if try || expired(w.ctx) {
					return nil, 0, errEmpty
				}
				if !w.flushBy.IsZero() && !time.Now().Before(w.flushBy) {
					return nil, 0, errLater
				}
				if err := w.ctx.Err(); err != nil {
					return nil, 0, err
				}
				continue
			case unix.EMSGSIZE:
				// The queue's msgsize changed under us (it was recreated).
				if err := q.posixAttr(); err != nil {
					return nil, 0, err
				}
				*buf = make([]byte, q.max)
				continue
			case unix.EBADF:
				return nil, 0, errors.New("queue not open for reading")
			}
			return nil, 0, err
		}
	}
	if len(*buf) < 8+q.max {
		*buf = make([]byte, 8+q.max)
	}
	if try {
		flags |= unix.IPC_NOWAIT
	}
	for {
		n, err := sysvipc.MsgRcv(q.id, *buf, typ, flags)
		switch err {
		case nil:
			return (*buf)[8 : 8+n], sysvipc.Type(*buf), nil
		case unix.EINTR:
			if expired(w.ctx) {
				return nil, 0, errEmpty
			}
			if err := w.ctx.Err(); err != nil {
				return nil, 0, err
			}
			continue
		case unix.ENOMSG:
			return nil, 0, errEmpty
		case unix.E2BIG:
			// A message longer than kernel.msgmax is now: it was sent
			// before the limit was lowered. Make room and take it.
			*buf = make([]byte, 2*len(*buf))
			continue
		case unix.EIDRM, unix.EINVAL:
			return nil, 0, errRemoved
		case unix.ENOSYS:
			if flags&sysvipc.MsgCopy != 0 {
				return nil, 0, errNoCopy
			}
		}
		return nil, 0, err
	}
}

var errNoCopy = errors.New("this kernel cannot copy messages without taking them (MSG_COPY needs CONFIG_CHECKPOINT_RESTORE)")

// expired reports whether ctx's deadline (-t) has passed.
func expired(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}
