package mq

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
)

// Reading is what -r asks: which messages to take (or copy, with Peek),
// and how each is rendered on standard output.
type Reading struct {
	Receiving
	Peek bool   // copy System V messages by index (MSG_COPY), take none
	JSON bool   // one NDJSON line per message
	Term []byte // what follows each message when not JSON
}

// Deliver takes the queue's messages as r says and writes them to fd,
// holding at most HoldMax taken-but-unwritten bytes. Waits for messages
// end with rctx (-t and signals), writes to fd with octx (signals and
// the output's reader leaving); ctx is the run's (signals only).
// Messages taken and not delivered are told through warn (also when
// cleanup runs first: cli's watchdog or a second signal). ok tells
// whether the run ended as one whose summary is printed.
func Deliver(ctx, octx, rctx context.Context, q *Queue, r Reading, fd int, m *meter.Meter, warn func(string), cleanup func(func()) func()) (ok bool, err error) {
	out := NewOutput(fd, r.Term, m)
	defer out.Close()
	defer cleanup(func() {
		out.Report(warn, q.Obj, "the run was stopped before standard output took them", 50*time.Millisecond)
	})()
	emit := func(msg []byte, typ int64) error {
		var pending int
		if r.JSON {
			pending = out.Add(JSONLine(q.POSIX, msg, typ), false, len(msg))
		} else {
			pending = out.Add(msg, true, len(msg))
		}
		if pending >= HoldMax {
			return out.Flush(octx)
		}
		return nil
	}
	room := q.Max
	if r.JSON {
		room = JSONMax(q.Max)
	}
	if r.Peek {
		err = Peek(octx, q, r.Receiving, out, room, emit)
	} else {
		err = Receive(rctx, octx, q, r.Receiving, out, room, emit)
	}
	if err == nil || !errors.Is(err, context.Canceled) && !IsOutputErr(err) {
		// Done, or failed on the queue's side: what was taken goes out
		// before the run ends, as long as the output takes it.
		if ferr := out.Flush(octx); ferr != nil {
			err = ferr
			if !errors.Is(ferr, context.Canceled) {
				err = &outputError{ferr}
			}
		}
	}
	switch gone := cli.OutputGone(octx, err); {
	case gone != err:
		// Standard output lost its reader: what is held has nowhere to go.
		out.Report(warn, q.Obj, "standard output was closed", 0)
		return false, gone
	case IsOutputErr(err):
		cause := "standard output was closed"
		if !errors.Is(err, unix.EPIPE) {
			cause = "standard output: " + cli.Message(errors.Unwrap(err))
		}
		out.Report(warn, q.Obj, cause, 0)
		return false, cli.Output(errors.Unwrap(err))
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// A signal: one bounded last try to deliver what was taken.
		fctx, cancel := context.WithTimeout(context.Background(), FinalFlush)
		ferr := out.Flush(fctx)
		cancel()
		if ferr != nil {
			cause := "standard output did not take them within " + FinalFlush.String() + " of the signal"
			if !errors.Is(ferr, context.DeadlineExceeded) {
				cause = "standard output: " + cli.Message(ferr)
			}
			out.Report(warn, q.Obj, cause, 0)
		}
		return true, err
	case err != nil:
		return false, err
	}
	return true, nil
}
