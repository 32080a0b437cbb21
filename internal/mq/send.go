package mq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/framing"
	"github.com/ipcats/ipcats/internal/meter"
	"io"
)

// Sender sends records one by one and keeps the counts an error reports.
type Sender struct {
	Warn func(format string, args ...any)
	Q    *Queue
	W    Wait
	M    *meter.Meter
	Typ  int64  // System V type (-T)
	Prio uint   // POSIX priority (-p)
	Unit string // "line", "record", "block"
}

// SendRecords sends what in holds, one message per record of mode.
func (s *Sender) SendRecords(in io.Reader, mode framing.Mode) error {
	r := framing.NewReader(in, mode, s.Q.Max, nil)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return s.readErr(err)
		}
		if err := s.one(rec, s.Typ, s.Prio, r.Count()); err != nil {
			return err
		}
	}
}

// readErr reports a record that could not be read: one too long for the
// queue, or a failure of standard input. (Apart from Next, so that the
// per-record loop allocates nothing: errors.As's target escapes.)
func (s *Sender) readErr(err error) error {
	var tl *framing.TooLongError
	if errors.As(err, &tl) {
		return s.tooLong(tl.Record, tl.Size, tl.AtLeast)
	}
	return cli.Fail("standard input", err, s.sentSoFar())
}

// one sends the n-th record and turns a failure into the error that says
// how much was delivered.
func (s *Sender) one(rec []byte, typ int64, prio uint, n int) error {
	err := s.Q.Send(s.W, rec, typ, prio)
	switch {
	case err == nil:
		s.M.AddMsg(len(rec))
		return nil
	case err == ErrFull && s.W.Nonblock:
		return &cli.Error{Code: cli.ExitTimeout, Object: s.Q.Obj, Err: fmt.Errorf("queue full at %s %d (-n)", s.Unit, n), Hint: s.sentSoFar()}
	case err == ErrFull:
		return &cli.Error{Code: cli.ExitTimeout, Object: s.Q.Obj, Err: fmt.Errorf("%w waiting for room for %s %d", cli.ErrTimeout, s.Unit, n), Hint: s.sentSoFar()}
	case errors.Is(err, context.Canceled):
		// A signal ends the run quietly (128+N); say what was delivered.
		s.Warn("%s: interrupted at %s %d; %s", s.Q.Obj, s.Unit, n, s.sentSoFar())
		return err
	}
	return cli.Fail(s.Q.Obj, fmt.Errorf("sending %s %d: %w", s.Unit, n, err), s.sentSoFar())
}

func (s *Sender) sentSoFar() string {
	n, b := s.M.Msgs(), s.M.Bytes()
	if n == 1 {
		return fmt.Sprintf("the 1 message (%s) before it was sent", meter.Count(int64(b), "byte"))
	}
	return fmt.Sprintf("the %d messages (%s) before it were sent", n, meter.Count(int64(b), "byte"))
}

func (s *Sender) tooLong(n int, size int64, atLeast bool) error {
	more := ""
	if atLeast {
		more = "at least "
	}
	return cli.Failf(s.Q.Obj, s.sentSoFar(), "%s %d is %s%d bytes, over the queue's %d-byte limit (%s)",
		s.Unit, n, more, size, s.Q.Max, s.Q.Limit)
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

// SendJSON sends one message per input line of JSON, as -r --json prints.
func (s *Sender) SendJSON(in io.Reader) error {
	// No line longer than the longest rendering of a message the queue
	// can hold is read whole: it is refused as soon as it is that long.
	limit := jsonInMax(s.Q.Max)
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
			return cli.Failf(s.Q.Obj, s.sentSoFar(), "line %d is %s%d bytes, longer than the JSON of any message this queue takes could be (%d bytes, for its %d-byte limit: %s)",
				tl.Record, more, tl.Size, limit, s.Q.Max, s.Q.Limit)
		}
		if err != nil {
			return cli.Fail("standard input", err, s.sentSoFar())
		}
		n := r.Count()
		if len(bytes.TrimSpace(line)) == 0 {
			continue // a blank line between saved messages is no message
		}
		jm, err := parseJSONMessage(line, s.Q.POSIX)
		if err != nil {
			return cli.Failf("standard input", s.sentSoFar(), "line %d: %v", n, err)
		}
		data := jm.data
		typ, prio := s.Typ, s.Prio
		if jm.typ != nil {
			if *jm.typ <= 0 {
				return cli.Failf("standard input", s.sentSoFar(), "line %d: type %d: a message's type must be 1 or more", n, *jm.typ)
			}
			typ = *jm.typ
		}
		if jm.priority != nil {
			if *jm.priority < 0 || *jm.priority > MaxPriority {
				return cli.Failf("standard input", s.sentSoFar(), "line %d: priority %d: want 0 to %d", n, *jm.priority, MaxPriority)
			}
			prio = uint(*jm.priority)
		}
		if len(data) > s.Q.Max {
			return s.tooLong(n, int64(len(data)), false)
		}
		if err := s.one(data, typ, prio, n); err != nil {
			return err
		}
	}
}

// MaxPriority is MQ_PRIO_MAX - 1 on Linux.
const MaxPriority = 32767
