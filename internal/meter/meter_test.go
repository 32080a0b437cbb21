package meter

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 64 << 20: "64.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q; want %q", n, got, want)
		}
	}
	if got := Rate(2<<20, time.Second); got != "2.0 MiB/s" {
		t.Errorf("Rate(2MiB, 1s) = %q; want 2.0 MiB/s", got)
	}
}

func TestSummary(t *testing.T) {
	m := New("x", nil, false)
	m.Add(10)
	m.Add(2)
	if got := m.Summary("wrote", "to key 0x00001e61"); !strings.HasPrefix(got, "wrote 12 bytes to key 0x00001e61 in ") {
		t.Errorf("Summary = %q; want it to start with the byte count and object", got)
	}
	m.AddMsg(3)
	if got := m.Summary("sent", "to /q"); !strings.HasPrefix(got, "sent 1 message, 15 bytes to /q in ") {
		t.Errorf("Summary = %q; want message and byte counts", got)
	}
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	m := New("x", &buf, true)
	m.Add(5)
	time.Sleep(1100 * time.Millisecond)
	m.Stop()
	if got := buf.String(); !strings.HasPrefix(got, "x: 5 B, ") || !strings.HasSuffix(got, "\n") {
		t.Errorf("progress on a non-tty = %q; want a line per second starting with the count", got)
	}
}

// The live rate is the current one: a transfer that stalls shows 0 B/s
// a few seconds later, not its average slowly falling (issue 12). With a
// total, the line has the percentage and pv's ETA.
func TestProgressCurrentRate(t *testing.T) {
	m := &Meter{tool: "x", start: time.Unix(1000, 0)}
	at := func(s int) time.Time { return time.Unix(1000+int64(s), 0) }
	m.Add(10 << 20)
	if got := m.line(at(1)); got != "x: 10.0 MiB, 10.0 MiB/s, 1s" {
		t.Errorf("first second: %q", got)
	}
	m.Add(10 << 20)
	m.line(at(2))
	for s := 3; s <= 6; s++ {
		m.line(at(s)) // stalled
	}
	if got := m.line(at(7)); got != "x: 20.0 MiB, 0 B/s, 7s" {
		t.Errorf("stalled for 5 s: %q; want 0 B/s", got)
	}
	m.Add(3 << 20)
	if got := m.line(at(8)); got != "x: 23.0 MiB, 1.0 MiB/s, 8s" {
		t.Errorf("moving again: %q; want 3 MiB over the last 3 s", got)
	}

	m = &Meter{tool: "x", start: time.Unix(1000, 0)}
	m.SetTotal(100 << 20)
	m.Add(25 << 20)
	if got := m.line(at(5)); got != "x: 25.0 MiB of 100.0 MiB (25%), 5.0 MiB/s, 5s, ETA 0:00:15" {
		t.Errorf("with a total: %q", got)
	}
	if got := m.line(at(10)); got != "x: 25.0 MiB of 100.0 MiB (25%), 0 B/s, 10s, ETA -:--:--" {
		t.Errorf("stalled with a total: %q", got)
	}
	if got := clock(3*time.Hour + 4*time.Minute + 5*time.Second); got != "3:04:05" {
		t.Errorf("clock = %q", got)
	}
}

// Off a terminal the run ends with a line of the average.
func TestProgressFinalLine(t *testing.T) {
	var buf bytes.Buffer
	m := New("x", &buf, true)
	m.Add(7)
	m.Stop()
	if got := buf.String(); !regexp.MustCompile(`^x: 7 B, [0-9.]+ [KMG]?i?B/s average, 0s\n$`).MatchString(got) {
		t.Errorf("final line %q", got)
	}
}

// A meter of messages counts them in -v also when none moved.
func TestSummaryNoMessages(t *testing.T) {
	m := New("x", nil, false).InMessages()
	if got := m.Summary("received", "from /q"); !strings.HasPrefix(got, "received 0 messages, 0 bytes from /q in ") {
		t.Errorf("Summary = %q", got)
	}
}
