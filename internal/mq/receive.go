package mq

import (
	"context"
	"errors"
	"fmt"
	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/report"
	"strconv"
)

// IsOutputErr tells whether err came from writing standard output (a
// closed pipe, an I/O error): not from the queue, not a cancellation.
func IsOutputErr(err error) bool {
	var oe *outputError
	return errors.As(err, &oe)
}

// outputError marks an error writing standard output.
type outputError struct{ err error }

func (e *outputError) Error() string { return e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// outErr marks err, from writing standard output, as an outputError
// unless it is a cancellation (a signal, the output's reader gone).
func outErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	return &outputError{err}
}

// JSONMax is the longest JSON line of a message of up to max bytes: six
// bytes of \u00XX escape per byte at worst, and the other fields.
func JSONMax(max int) int { return 6*max + 128 }

// jsonInMax is the longest input line -w --json reads for a queue whose
// messages hold up to max bytes: "data" escapes a byte in at most six
// (\u00XX), and the other fields and spacing get 4 KiB.
func jsonInMax(max int) int { return 6*max + 4096 }

// Receive is the loop of -r: take messages until -N of them, until the
// queue is empty (--drain, -n), until -t or a signal, or forever. Waits
// for messages end with rctx (-t, signals); writes with octx (signals).
// It takes a message only when out has room for one of up to room bytes.
func Receive(rctx, octx context.Context, q *Queue, r Receiving, out *Output, room int, emit func([]byte, int64) error) error {
	defer q.Interrupt(rctx)()
	w := Wait{Ctx: rctx}
	typ, flags := r.Type, 0
	if r.Except {
		flags |= Except
	}
	flush := func() error { return outErr(out.Flush(octx)) }
	for n := int64(0); r.Count < 0 || n < r.Count; n++ {
		if err := rctx.Err(); err != nil && !Expired(rctx) {
			return err // a signal: take no more
		}
		if !out.RoomFor(room) {
			if err := flush(); err != nil {
				return err
			}
		}
		// Try first without waiting; only when the queue is empty does
		// what was gathered go out before the wait, so that a busy queue
		// costs one write(2) per many messages.
		msg, t, err := q.Recv(w, true, typ, flags)
		if err == ErrEmpty {
			switch {
			case r.Drain:
				return nil // --drain: empty now, done (even if nothing came)
			case r.Nonblock && n == 0:
				return cli.Nothing(q.Obj, "queue empty")
			case r.Nonblock:
				return nil // -n: took what there was
			}
			if err := flush(); err != nil {
				return err
			}
			msg, t, err = q.Recv(w, false, typ, flags)
		}
		switch {
		case err == ErrEmpty && n == 0:
			return cli.Timeout(q.Obj, "waiting for a message")
		case err == ErrEmpty:
			return nil // -t after some messages: exit 0
		case errors.Is(err, context.Canceled):
			return err
		case err == ErrRemoved:
			return cli.Fail(q.Obj, ErrRemoved, fmt.Sprintf("%d messages were received before", n))
		case err != nil:
			return cli.Fail(q.Obj, err, "")
		}
		if err := emit(msg, t); err != nil {
			return outErr(err)
		}
	}
	return nil
}

// Peek prints the System V queue's messages, or the first -N, without
// taking them (msgrcv with MSG_COPY, by index).
func Peek(octx context.Context, q *Queue, r Receiving, out *Output, room int, emit func([]byte, int64) error) error {
	w := Wait{Ctx: context.Background()}
	for i := int64(0); r.Count < 0 || i < r.Count; i++ {
		if !out.RoomFor(room) {
			if err := out.Flush(octx); err != nil {
				return outErr(err)
			}
		}
		msg, t, err := q.Recv(w, true, i, Copy)
		switch {
		case err == ErrEmpty && i == 0 && r.Nonblock:
			return cli.Nothing(q.Obj, "queue empty")
		case err == ErrEmpty:
			return nil
		case err != nil:
			return cli.Fail(q.Obj, err, "")
		}
		if err := emit(msg, t); err != nil {
			return outErr(err)
		}
	}
	return nil
}

// JSONLine renders one message as a line of NDJSON.
func JSONLine(posix bool, msg []byte, typ int64) []byte {
	name := "type"
	if posix {
		name = "priority"
	}
	rec := report.Record{{Name: name, Value: typ}, {Name: "size", Value: len(msg)}, report.Payload(msg)}
	b, err := rec.MarshalJSON()
	if err != nil {
		b = []byte(`{"error":` + strconv.Quote(err.Error()) + `}`)
	}
	return append(b, '\n')
}

// Receiving is what -r asks of Receive and Peek.
type Receiving struct {
	Type     int64 // System V msgtyp (-T)
	Except   bool  // MSG_EXCEPT
	Count    int64 // stop after Count messages; -1: no count
	Drain    bool  // stop when the queue is empty
	Nonblock bool  // never wait
}
