// Package meter counts what a transfer moves, draws --progress, and writes
// the -v summary line.
package meter

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Meter counts bytes and messages. Its zero value counts but never prints;
// the copy loops call Add from any goroutine.
type Meter struct {
	bytes atomic.Int64
	msgs  atomic.Int64
	start time.Time

	tool string
	w    io.Writer
	tty  bool
	stop chan struct{}
	done sync.WaitGroup
}

// New returns a started meter. With progress, it redraws a live counter on
// w (in place on a terminal, a line a second otherwise) until Stop.
func New(tool string, w io.Writer, progress bool) *Meter {
	m := &Meter{start: time.Now(), tool: tool, w: w}
	if progress && w != nil {
		if f, ok := w.(interface{ Fd() uintptr }); ok {
			_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
			m.tty = err == nil
		}
		m.stop = make(chan struct{})
		m.done.Add(1)
		go m.draw()
	}
	return m
}

// Add counts n bytes.
func (m *Meter) Add(n int) { m.bytes.Add(int64(n)) }

// AddMsg counts one message of n bytes.
func (m *Meter) AddMsg(n int) {
	m.bytes.Add(int64(n))
	m.msgs.Add(1)
}

// Bytes is the byte count so far.
func (m *Meter) Bytes() int64 { return m.bytes.Load() }

// Msgs is the message count so far.
func (m *Meter) Msgs() int64 { return m.msgs.Load() }

// Moved reports whether anything has moved.
func (m *Meter) Moved() bool { return m.bytes.Load() > 0 || m.msgs.Load() > 0 }

func (m *Meter) draw() {
	defer m.done.Done()
	tick := time.NewTicker(time.Second)
	if m.tty {
		tick.Reset(200 * time.Millisecond)
	}
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			if m.tty {
				fmt.Fprintf(m.w, "\r%s\033[K\n", m.line())
			}
			return
		case <-tick.C:
			if m.tty {
				fmt.Fprintf(m.w, "\r%s\033[K", m.line())
			} else {
				fmt.Fprintln(m.w, m.line())
			}
		}
	}
}

func (m *Meter) line() string {
	el := time.Since(m.start)
	s := fmt.Sprintf("%s: %s", m.tool, Bytes(m.Bytes()))
	if n := m.Msgs(); n > 0 {
		s += fmt.Sprintf(", %d messages", n)
	}
	return s + fmt.Sprintf(", %s, %s", Rate(m.Bytes(), el), el.Round(time.Second))
}

// Stop ends the progress display (the final count stays on screen).
func (m *Meter) Stop() {
	if m.stop != nil {
		close(m.stop)
		m.done.Wait()
		m.stop = nil
	}
}

// Summary is the -v line: "wrote 12 bytes to key 0x00001e61 in 1.2ms (9.8 KiB/s)",
// with a message count when messages were counted.
func (m *Meter) Summary(verb, object string) string {
	el := time.Since(m.start)
	what := fmt.Sprintf("%d bytes", m.Bytes())
	if n := m.Msgs(); n > 0 {
		what = fmt.Sprintf("%d messages, %d bytes", n, m.Bytes())
	}
	return fmt.Sprintf("%s %s %s in %s (%s)", verb, what, object, round(el), Rate(m.Bytes(), el))
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// Bytes renders a byte count for people (1024-based, as pv and ls -h do).
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n), "KMGTPE"
	i := -1
	for f >= unit && i < len(u)-1 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, u[i])
}

// Rate renders n bytes over d as a rate.
func Rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- B/s"
	}
	return Bytes(int64(float64(n)/d.Seconds())) + "/s"
}
