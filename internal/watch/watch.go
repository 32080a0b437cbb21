// Package watch is the one sampling loop of the tools' --watch modes: take
// a sample every interval until a stop signal, and show it redrawn in place
// on a terminal, as one block per sample (a blank line between) otherwise,
// or as NDJSON (one JSON object per line) with --json.
package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/report"
)

// DefaultInterval is --watch's interval when none is given.
const DefaultInterval = time.Second

// MinInterval is the shortest interval: sampling walks /proc, which is not
// free, and a stop must still be seen between two samples.
const MinInterval = 10 * time.Millisecond

// defaultWord is go-flags' optional value of a bare --watch; it tells a
// bare --watch from an explicit --watch=INTERVAL.
const defaultWord = "default"

// Option is --watch [INTERVAL], embedded by the tools that watch, so that
// it is worded once.
type Option struct {
	Watch Interval `long:"watch" optional:"yes" optional-value:"default" value-name:"DUR" description:"With --list or --stat, sample again every DUR (default 1s; 0.5, 200ms) until stopped: redrawn on a terminal, one block per sample otherwise, NDJSON with --json"`
}

// Interval is --watch's value. Set tells whether --watch was given,
// Explicit whether an interval came with it (--watch=INTERVAL).
type Interval struct {
	D        time.Duration
	Set      bool
	Explicit bool
}

// UnmarshalFlag implements go-flags' Unmarshaler.
func (i *Interval) UnmarshalFlag(s string) error {
	if s == defaultWord {
		*i = Interval{D: DefaultInterval, Set: true}
		return nil
	}
	d, err := parse(s)
	if err != nil {
		return err
	}
	*i = Interval{D: d, Set: true, Explicit: true}
	return nil
}

func parse(s string) (time.Duration, error) {
	d, err := cli.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < MinInterval {
		return 0, fmt.Errorf("interval %s: it must be at least %v", s, MinInterval)
	}
	return d, nil
}

// TakeInterval lets the interval follow a bare --watch as a word of its
// own (--watch 0.5s), as go-flags gives an optional value only with "=":
// when args has more words than the action takes (want) and the first
// parses as a duration, it is the interval. It returns the words left.
func (o *Option) TakeInterval(args []string, want int) ([]string, error) {
	if !o.Watch.Set || o.Watch.Explicit || len(args) <= want {
		return args, nil
	}
	if _, err := cli.ParseDuration(args[0]); err != nil {
		return args, nil
	}
	d, err := parse(args[0])
	if err != nil {
		return args, cli.Usagef("--watch: %v", err)
	}
	o.Watch.D, o.Watch.Explicit = d, true
	return args[1:], nil
}

// Frame is one sample as shown: Text for people (lines without their
// last newline), JSON the object of its NDJSON line. Done ends the watch
// after this frame is shown (what was watched is gone).
type Frame struct {
	Text string
	JSON any
	Done bool
}

// Run shows sample's frames on out every interval until ctx is cancelled
// (a stop signal: its cause is returned, so the tool exits 128+N), a
// frame says Done (nil), sample fails or out cannot be written.
func Run(ctx context.Context, out *os.File, interval time.Duration, asJSON bool, sample func() (Frame, error)) error {
	show := blocks(out)
	switch {
	case asJSON:
		show = ndjson(out)
	case isTerminal(int(out.Fd())):
		show = redraw(out, int(out.Fd()))
	}
	next := time.Now()
	for {
		// Samples start every interval, or at once after one that
		// took longer.
		if next = next.Add(interval); next.Before(time.Now()) {
			next = time.Now()
		}
		f, err := sample()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			return err
		}
		if err := show(f); err != nil {
			return cli.Output(err)
		}
		if f.Done {
			return nil
		}
		if err := pause(ctx, int(out.Fd()), next); err != nil {
			return err
		}
	}
}

// pause waits until the next sample is due, in poll(2) on out (the
// tool's standard output) so that a stop signal ends it at once and so
// does the reader of a pipe on out going away (a quiet exit 141, as
// for a write to it).
func pause(ctx context.Context, out int, next time.Time) error {
	if d := time.Until(next); d > 0 {
		tctx, cancel := context.WithDeadline(ctx, next)
		defer cancel()
		if relay.WaitFD(tctx, out, 0) == nil {
			return cli.Output(syscall.EPIPE)
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// blocks writes each frame as a block of lines, a blank line between.
func blocks(w io.Writer) func(Frame) error {
	first := true
	return func(f Frame) error {
		s := f.Text + "\n"
		if !first {
			s = "\n" + s
		}
		first = false
		_, err := io.WriteString(w, s)
		return err
	}
}

// ndjson writes each frame's object as one line of JSON.
func ndjson(w io.Writer) func(Frame) error {
	return func(f Frame) error {
		b, err := json.Marshal(f.JSON)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
}

// redraw draws each frame over the last from the top of the screen in
// one write: every line cut to the terminal's width and ended by "erase
// to end of line", then "erase below", so no line is ever seen half
// drawn or blank between two frames.
func redraw(w io.Writer, fd int) func(Frame) error {
	first := true
	return func(f Frame) error {
		var b strings.Builder
		if first {
			b.WriteString("\x1b[H\x1b[2J")
			first = false
		}
		b.WriteString("\x1b[H")
		cols, rows := size(fd)
		lines := strings.Split(f.Text, "\n")
		if rows > 1 && len(lines) > rows-1 {
			lines = lines[:rows-1]
		}
		for _, l := range lines {
			b.WriteString(Cut(l, cols))
			b.WriteString("\x1b[K\n")
		}
		b.WriteString("\x1b[J")
		_, err := io.WriteString(w, b.String())
		return err
	}
}

// Cut shortens line to at most cols characters (no limit when cols <= 0).
func Cut(line string, cols int) string {
	if cols <= 0 {
		return line
	}
	r := []rune(line)
	if len(r) <= cols {
		return line
	}
	return string(r[:cols])
}

// Header is a sample's first line for people: the time, the interval
// and what the sample holds ("3 queues").
func Header(now time.Time, every time.Duration, what string) string {
	return fmt.Sprintf("%s  every %v  %s", now.Format("15:04:05"), every, what)
}

// Sample is a sample's NDJSON object: its time and, under name, what it
// holds.
func Sample(name string, v any) any {
	return report.Record{{Name: "time", Value: time.Now().Format(time.RFC3339Nano)}, {Name: name, Value: v}}
}
