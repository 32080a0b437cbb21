package meter

import (
	"bytes"
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
	if got := m.Summary("sent", "to /q"); !strings.HasPrefix(got, "sent 1 messages, 15 bytes to /q in ") {
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
