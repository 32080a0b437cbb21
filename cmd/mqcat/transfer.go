package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/framing"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// sender sends records one by one and keeps the counts an error reports.
type sender struct {
	env  *cli.Env
	q    *queue
	w    wait
	m    *meter.Meter
	typ  int64
	prio uint
	sbuf []byte
	unit string // "line", "record", "block"
}

// write sends standard input into the queue, one message per record.
func write(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) (err error) {
	q, created, err := openQueue(o, name, obj, true, o.Excl, true)
	if err != nil {
		return err
	}
	modeUnchanged(env, o, obj, created)
	defer q.close()
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	if created {
		// What a failed run created, it removes: a queue left empty by a
		// refused first record (or a signal before any) is no result.
		defer func() {
			if err != nil && m.Msgs() == 0 {
				q.removeUnused()
			}
		}()
	}
	ctx, cancel := o.Wait.Deadline(ctx)
	defer cancel()
	if !q.posix {
		defer sysvipc.Interrupt(ctx)()
	}
	s := &sender{env: env, q: q, w: wait{ctx: ctx, nonblock: o.Nonblock}, m: m, typ: o.typ(1), prio: uint(o.Priority.N), unit: framingOf(o).Name()}
	if o.JSON {
		s.unit = "line"
		err = s.sendJSON(env.Stdin)
	} else {
		err = s.sendRecords(env.Stdin, framingOf(o))
	}
	if err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("sent", "to "+where(q)))
	}
	return nil
}

func (s *sender) sendRecords(in io.Reader, mode framing.Mode) error {
	r := framing.NewReader(in, mode, s.q.max, nil)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		var tl *framing.TooLongError
		if errors.As(err, &tl) {
			return s.tooLong(tl.Record, tl.Size, tl.AtLeast)
		}
		if err != nil {
			return cli.Fail("standard input", err, s.sentSoFar())
		}
		if err := s.one(rec, s.typ, s.prio, r.Count()); err != nil {
			return err
		}
	}
}

// one sends the n-th record and turns a failure into the error that says
// how much was delivered.
func (s *sender) one(rec []byte, typ int64, prio uint, n int) error {
	err := s.q.send(s.w, rec, typ, prio, &s.sbuf)
	switch {
	case err == nil:
		s.m.AddMsg(len(rec))
		return nil
	case err == errFull && s.w.nonblock:
		return &cli.Error{Code: cli.ExitTimeout, Object: s.q.obj, Err: fmt.Errorf("queue full at %s %d (-n)", s.unit, n), Hint: s.sentSoFar()}
	case err == errFull:
		return &cli.Error{Code: cli.ExitTimeout, Object: s.q.obj, Err: fmt.Errorf("%w waiting for room for %s %d", cli.ErrTimeout, s.unit, n), Hint: s.sentSoFar()}
	case errors.Is(err, context.Canceled):
		// A signal ends the run quietly (128+N); say what was delivered.
		s.env.Warnf("%s: interrupted at %s %d; %s", s.q.obj, s.unit, n, s.sentSoFar())
		return err
	}
	return cli.Fail(s.q.obj, fmt.Errorf("sending %s %d: %w", s.unit, n, err), s.sentSoFar())
}

func (s *sender) sentSoFar() string {
	n, b := s.m.Msgs(), s.m.Bytes()
	if n == 1 {
		return fmt.Sprintf("the 1 message (%s) before it was sent", plural(b, "byte"))
	}
	return fmt.Sprintf("the %d messages (%s) before it were sent", n, plural(b, "byte"))
}

// plural is "1 byte" or "n bytes".
func plural[N int | int64 | uint64](n N, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func (s *sender) tooLong(n int, size int64, atLeast bool) error {
	more := ""
	if atLeast {
		more = "at least "
	}
	return cli.Failf(s.q.obj, s.sentSoFar(), "%s %d is %s%d bytes, over the queue's %d-byte limit (%s)",
		s.unit, n, more, size, s.q.max, s.q.limit)
}

// jsonMessage is one line of -w --json input, as -r --json prints it.
type jsonMessage struct {
	data     []byte
	typ      *int64 // System V "type"
	priority *int64 // POSIX "priority"
}

// parseJSONMessage checks one input line: an object with "data" (a
// string) or "data_b64" (base64), not both; "type" (System V) or
// "priority" (POSIX) as a whole number; "size", if there, the data's
// length. The error says what is wrong in the user's terms.
func parseJSONMessage(line []byte, posix bool) (jsonMessage, error) {
	var jm jsonMessage
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil || fields == nil {
		return jm, errors.New("not a JSON object")
	}
	number := func(name string) (*int64, error) {
		raw, ok := fields[name]
		if !ok {
			return nil, nil
		}
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("%q must be a whole number", name)
		}
		return &n, nil
	}
	for name := range fields {
		switch name {
		case "data", "data_b64", "size":
		case "type":
			if posix {
				return jm, errors.New(`"type" is for System V queues; POSIX messages have a "priority"`)
			}
		case "priority":
			if !posix {
				return jm, errors.New(`"priority" is for POSIX queues; System V messages have a "type"`)
			}
		default:
			return jm, fmt.Errorf("unknown field %q", name)
		}
	}
	raw, isText := fields["data"]
	raw64, isB64 := fields["data_b64"]
	switch {
	case isText && isB64:
		return jm, errors.New(`both "data" and "data_b64": give one`)
	case isText:
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return jm, errors.New(`"data" must be a string`)
		}
		jm.data = []byte(text)
	case isB64:
		if err := json.Unmarshal(raw64, &jm.data); err != nil {
			return jm, errors.New(`"data_b64" must be a base64 string`)
		}
	default:
		return jm, errors.New(`no "data" or "data_b64"`)
	}
	size, err := number("size")
	if err != nil {
		return jm, err
	}
	if size != nil && *size != int64(len(jm.data)) {
		return jm, fmt.Errorf(`"size" is %d but the data is %d bytes`, *size, len(jm.data))
	}
	if jm.typ, err = number("type"); err != nil {
		return jm, err
	}
	if jm.priority, err = number("priority"); err != nil {
		return jm, err
	}
	return jm, nil
}

// sendJSON sends one message per input line of JSON, as -r --json prints.
func (s *sender) sendJSON(in io.Reader) error {
	// No line longer than the longest rendering of a message the queue
	// can hold is read whole: it is refused as soon as it is that long.
	limit := jsonInMax(s.q.max)
	r := framing.NewReader(in, framing.Mode{Kind: framing.Lines}, limit, nil)
	for {
		line, err := r.Next()
		if err == io.EOF {
			return nil
		}
		var tl *framing.TooLongError
		if errors.As(err, &tl) {
			more := ""
			if tl.AtLeast {
				more = "at least "
			}
			return cli.Failf(s.q.obj, s.sentSoFar(), "line %d is %s%d bytes, longer than the JSON of any message this queue takes could be (%d bytes, for its %d-byte limit: %s)",
				tl.Record, more, tl.Size, limit, s.q.max, s.q.limit)
		}
		if err != nil {
			return cli.Fail("standard input", err, s.sentSoFar())
		}
		n := r.Count()
		if len(bytes.TrimSpace(line)) == 0 {
			continue // a blank line between saved messages is no message
		}
		jm, err := parseJSONMessage(line, s.q.posix)
		if err != nil {
			return cli.Failf("standard input", s.sentSoFar(), "line %d: %v", n, err)
		}
		data := jm.data
		typ, prio := s.typ, s.prio
		if jm.typ != nil {
			if *jm.typ <= 0 {
				return cli.Failf("standard input", s.sentSoFar(), "line %d: type %d: a message's type must be 1 or more", n, *jm.typ)
			}
			typ = *jm.typ
		}
		if jm.priority != nil {
			if *jm.priority < 0 || *jm.priority > maxPriority {
				return cli.Failf("standard input", s.sentSoFar(), "line %d: priority %d: want 0 to %d", n, *jm.priority, maxPriority)
			}
			prio = uint(*jm.priority)
		}
		if len(data) > s.q.max {
			return s.tooLong(n, int64(len(data)), false)
		}
		if err := s.one(data, typ, prio, n); err != nil {
			return err
		}
	}
}

// modeUnchanged says that -m did nothing to a queue that existed: the
// mode is set at creation.
func modeUnchanged(env *cli.Env, o *options, obj string, created bool) {
	if o.Mode.Set && !created {
		env.Warnf("%s: -m not applied: the queue exists and keeps its mode (-m applies only at creation)", obj)
	}
}

// where names the queue in -v lines.
func where(q *queue) string {
	if q.posix {
		return q.obj
	}
	if q.name.Kind == ipcname.ID {
		return fmt.Sprintf("%s (key %s)", q.obj, ipcname.FormatKey(q.key))
	}
	return fmt.Sprintf("%s (id %d)", q.obj, q.id)
}

// openForRead opens the queue, creating it with -c, or waiting for it to
// appear under -t (and not at all under -n).
func openForRead(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) (*queue, error) {
	for {
		q, created, err := openQueue(o, name, obj, o.Create && name.Kind != ipcname.ID, false, false)
		if err == nil {
			modeUnchanged(env, o, obj, created)
		}
		if err == nil || !errors.Is(err, errNotExist) {
			return q, err
		}
		if !o.Timeout.Set {
			return nil, err // missing is exit 1, with or without -n
		}
		if err := cli.Appear(ctx, obj, "queue"); err != nil {
			return nil, err
		}
	}
}

// read prints the queue's messages on standard output.
func read(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	fd := int(env.Stdout.Fd())
	// Writes to standard output give way to a signal and to its reader
	// leaving (octx); waits for messages also to -t (rctx).
	octx, stopWatch := cli.WatchOutput(ctx, fd)
	defer stopWatch()
	rctx, cancel := o.Wait.Deadline(octx)
	defer cancel()
	q, err := openForRead(rctx, env, o, name, obj)
	if err := cli.OutputGone(rctx, err); err != nil {
		return err
	}
	defer q.close()
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	mode := framingOf(o)
	out := newOutput(fd, mode.Terminator(), m)
	defer out.close()
	warn := func(s string) { env.Warnf("%s", s) }
	// Should the process end before read returns (cli's watchdog, a
	// second signal), the loss is still told.
	defer env.Cleanup(func() {
		out.report(warn, q.obj, "the run was stopped before standard output took them", 50*time.Millisecond)
	})()
	emit := func(msg []byte, typ int64) error {
		if o.JSON {
			out.add(jsonLine(q.posix, msg, typ), false, len(msg))
		} else {
			out.add(msg, true, len(msg))
		}
		if out.pending() >= holdMax {
			return out.flush(octx)
		}
		return nil
	}
	room := q.max
	if o.JSON {
		room = jsonMax(q.max)
	}
	if o.Peek {
		err = peek(octx, q, o, out, room, emit)
	} else {
		err = receive(rctx, octx, q, o, out, room, emit)
	}
	if err == nil || !errors.Is(err, context.Canceled) && !isOutputErr(err) {
		// Done, or failed on the queue's side: what was taken goes out
		// before the run ends, as long as the output takes it.
		if ferr := out.flush(octx); ferr != nil {
			err = ferr
			if !errors.Is(ferr, context.Canceled) {
				err = &outputError{ferr}
			}
		}
	}
	verb := "received"
	if o.Peek {
		verb = "copied"
	}
	summary := func() {
		if o.Verbose {
			env.Warnf("%s", m.Summary(verb, "from "+where(q)))
		}
	}
	switch gone := cli.OutputGone(octx, err); {
	case gone != err:
		// Standard output lost its reader: what is held has nowhere to go.
		out.report(warn, q.obj, "standard output was closed", 0)
		return gone
	case isOutputErr(err):
		cause := "standard output was closed"
		if !errors.Is(err, unix.EPIPE) {
			cause = "standard output: " + cli.Message(errors.Unwrap(err))
		}
		out.report(warn, q.obj, cause, 0)
		return cli.Output(errors.Unwrap(err))
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// A signal: one bounded last try to deliver what was taken.
		fctx, cancel := context.WithTimeout(context.Background(), finalFlush)
		ferr := out.flush(fctx)
		cancel()
		if ferr != nil {
			cause := "standard output did not take them within " + finalFlush.String() + " of the signal"
			if !errors.Is(ferr, context.DeadlineExceeded) {
				cause = "standard output: " + cli.Message(ferr)
			}
			out.report(warn, q.obj, cause, 0)
		}
		summary()
		return err
	case err != nil:
		return err
	}
	summary()
	return nil
}

// isOutputErr tells whether err came from writing standard output (a
// closed pipe, an I/O error): not from the queue, not a cancellation.
func isOutputErr(err error) bool {
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

// jsonMax is the longest JSON line of a message of up to max bytes: six
// bytes of \u00XX escape per byte at worst, and the other fields.
func jsonMax(max int) int { return 6*max + 128 }

// jsonInMax is the longest input line -w --json reads for a queue whose
// messages hold up to max bytes: "data" escapes a byte in at most six
// (\u00XX), and the other fields and spacing get 4 KiB.
func jsonInMax(max int) int { return 6*max + 4096 }

// receive is the loop of -r: take messages until -N of them, until the
// queue is empty (--drain, -n), until -t or a signal, or forever. Waits
// for messages end with rctx (-t, signals); writes with octx (signals).
// It takes a message only when out has room for one of up to room bytes.
func receive(rctx, octx context.Context, q *queue, o *options, out *output, room int, emit func([]byte, int64) error) error {
	if !q.posix {
		defer sysvipc.Interrupt(rctx)()
	}
	w := wait{ctx: rctx}
	typ, flags := o.typ(0), 0
	if o.Except {
		flags |= sysvipc.MsgExcept
	}
	flush := func() error { return outErr(out.flush(octx)) }
	var buf []byte
	var pending time.Time // when the output took its first unwritten message
	for n := int64(0); !o.Count.Set || n < o.Count.N; n++ {
		if err := rctx.Err(); err != nil && !expired(rctx) {
			return err // a signal: take no more
		}
		if !out.roomFor(room) {
			if err := flush(); err != nil {
				return err
			}
		}
		var msg []byte
		var t int64
		var err error
		if q.posix && !o.Drain && !o.Nonblock {
			// POSIX waits have a deadline, so one call per message does:
			// with output gathered, wait at most until it is flushDelay
			// old, write it, then wait on.
			w.flushBy = time.Time{}
			if out.pending() > 0 {
				w.flushBy = pending.Add(flushDelay)
			}
			msg, t, err = q.recv(w, false, &buf, typ, flags)
			if err == errLater {
				if err := flush(); err != nil {
					return err
				}
				n--
				continue
			}
		} else {
			// System V: try first without waiting; only when the queue
			// is empty does what was gathered go out before the wait, so
			// that a busy queue costs one write(2) per many messages.
			msg, t, err = q.recv(w, true, &buf, typ, flags)
		}
		if err == errEmpty && (!q.posix || o.Drain || o.Nonblock) {
			switch {
			case o.Drain:
				return nil // --drain: empty now, done (even if nothing came)
			case o.Nonblock && n == 0:
				return cli.Nothing(q.obj, "queue empty")
			case o.Nonblock:
				return nil // -n: took what there was
			}
			if err := flush(); err != nil {
				return err
			}
			msg, t, err = q.recv(w, false, &buf, typ, flags)
		}
		switch {
		case err == errEmpty && n == 0:
			return cli.Timeout(q.obj, "waiting for a message")
		case err == errEmpty:
			return nil // -t after some messages: exit 0
		case errors.Is(err, context.Canceled):
			return err
		case err == errRemoved:
			return cli.Fail(q.obj, errRemoved, fmt.Sprintf("%d messages were received before", n))
		case err != nil:
			return cli.Fail(q.obj, err, "")
		}
		if out.pending() == 0 {
			pending = time.Now()
		}
		if err := emit(msg, t); err != nil {
			return outErr(err)
		}
	}
	return nil
}

// flushDelay is the longest a received POSIX message waits in the output
// buffer while more are awaited.
const flushDelay = time.Millisecond

// peek prints the System V queue's messages, or the first -N, without
// taking them (msgrcv with MSG_COPY, by index).
func peek(octx context.Context, q *queue, o *options, out *output, room int, emit func([]byte, int64) error) error {
	w := wait{ctx: context.Background()}
	var buf []byte
	for i := int64(0); !o.Count.Set || i < o.Count.N; i++ {
		if !out.roomFor(room) {
			if err := out.flush(octx); err != nil {
				return outErr(err)
			}
		}
		msg, t, err := q.recv(w, true, &buf, i, sysvipc.MsgCopy)
		switch {
		case err == errEmpty && i == 0 && o.Nonblock:
			return cli.Nothing(q.obj, "queue empty")
		case err == errEmpty:
			return nil
		case err != nil:
			return cli.Fail(q.obj, err, "")
		}
		if err := emit(msg, t); err != nil {
			return outErr(err)
		}
	}
	return nil
}

// jsonLine renders one message as a line of NDJSON.
func jsonLine(posix bool, msg []byte, typ int64) []byte {
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
