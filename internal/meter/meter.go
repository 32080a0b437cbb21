// Package meter counts what a transfer moves, draws --progress, and writes
// the -v summary line.
package meter

import (
	"fmt"
	"io"
	"strings"
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
	// inMsgs: the transfer moves messages, so -v counts them even when
	// none moved ("received 0 messages, 0 bytes").
	inMsgs bool
	total  atomic.Int64 // bytes the transfer will move, when known; 0 not
	start  time.Time
	// recent holds the counts at the last draws, for the current rate.
	recent []sample

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

// sample is the byte count at one moment.
type sample struct {
	at time.Time
	n  int64
}

// window is how far back the current rate looks at most. It looks back
// to the previous lines' samples only (the second line gives the rate of
// the last second), so a stalled transfer shows 0 B/s at the next line
// after a second of nothing, not an average slowly falling.
const window = 3 * time.Second

// SetTotal tells the meter how many bytes the transfer will move (a
// regular file's size, a window's length), so that --progress shows the
// percentage done and the time left, as pv does. n <= 0 means unknown.
func (m *Meter) SetTotal(n int64) { m.total.Store(max(n, 0)) }

// Total is what SetTotal set: 0 when unknown.
func (m *Meter) Total() int64 { return m.total.Load() }

// InMessages marks a meter of messages: its -v line counts them, also
// when there were none. It returns m.
func (m *Meter) InMessages() *Meter {
	m.inMsgs = true
	return m
}

// Add counts n bytes.
func (m *Meter) Add(n int) { m.bytes.Add(int64(n)) }

// AddMsg counts one message of n bytes.
func (m *Meter) AddMsg(n int) {
	m.bytes.Add(int64(n))
	m.msgs.Add(1)
}

// AddMsgs counts n messages of size bytes in all.
func (m *Meter) AddMsgs(n int64, size int) {
	if n > 0 {
		m.bytes.Add(int64(size))
		m.msgs.Add(n)
	}
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
			// The final line: the average over the whole run, also off a
			// terminal, so that a log ends with what the run did.
			count := Bytes(m.Bytes())
			if k := m.Msgs(); k > 0 {
				count += ", " + Count(k, "message")
			}
			end := fmt.Sprintf("%s: %s, %s average, %s", m.tool, count, Rate(m.Bytes(), time.Since(m.start)), time.Since(m.start).Round(time.Second))
			if m.tty {
				fmt.Fprintf(m.w, "\r%s\033[K\n", end)
			} else {
				fmt.Fprintln(m.w, end)
			}
			return
		case now := <-tick.C:
			if m.tty {
				fmt.Fprintf(m.w, "\r%s\033[K", m.line(now))
			} else {
				fmt.Fprintln(m.w, m.line(now))
			}
		}
	}
}

// line is one progress line at now: the count (of the total, with the
// percentage, when known), the current rate over the last few seconds,
// the time so far, and with a total the time left.
func (m *Meter) line(now time.Time) string {
	n := m.Bytes()
	m.recent = append(m.recent, sample{now, n})
	// The rate is measured from the oldest sample of the last window
	// (the start, early on).
	i := 0
	for now.Sub(m.recent[i].at) > window {
		i++
	}
	if i == len(m.recent)-1 && i > 0 {
		i-- // no other sample in the window: the last one before it
	}
	m.recent = m.recent[i:]
	from := sample{m.start, 0}
	if len(m.recent) > 1 {
		from = m.recent[0]
	}
	rate := 0.0
	if d := now.Sub(from.at).Seconds(); d > 0 {
		rate = float64(n-from.n) / d
	}
	s := fmt.Sprintf("%s: %s", m.tool, Bytes(n))
	total := m.Total()
	if total > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", Bytes(total), min(100, n*100/total))
	}
	if k := m.Msgs(); k > 0 {
		s += ", " + Count(k, "message")
	}
	s += fmt.Sprintf(", %s/s, %s", Bytes(int64(rate)), now.Sub(m.start).Round(time.Second))
	if total > 0 && n < total {
		if rate >= 1 {
			s += ", ETA " + clock(time.Duration(float64(total-n)/rate*float64(time.Second)))
		} else {
			s += ", ETA -:--:--" // stalled: no honest estimate
		}
	}
	return s
}

// clock renders d as pv's ETA does: H:MM:SS.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
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
	what := Count(m.Bytes(), "byte")
	if n := m.Msgs(); n > 0 || m.inMsgs {
		what = fmt.Sprintf("%s, %s", Count(n, "message"), Count(m.Bytes(), "byte"))
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

// Count is n units, in the singular for one: "1 message", "2 messages",
// "3 processes".
func Count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	if strings.HasSuffix(unit, "s") {
		return fmt.Sprintf("%d %ses", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
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
