package dump

import (
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixed returns a recorder whose clock reads 1.5 s plus 1 µs per call.
func fixed(w *bytes.Buffer, f Format) *Recorder {
	r := New(w, f)
	calls := 0
	r.since = func(time.Time) time.Duration {
		calls++
		return 1500*time.Millisecond + time.Duration(calls)*time.Microsecond
	}
	return r
}

func TestRecordHex(t *testing.T) {
	var w bytes.Buffer
	r := fixed(&w, Hex)
	r.Record(0, Sent, "", []byte("hello\n"))
	r.Record(0, Sent, "", []byte("0123456789abcdefXYZ"))
	r.Record(0, Received, "", []byte{0, 1, 0xff})
	want := `1.500001 > 6 bytes
00000000  68 65 6c 6c 6f 0a                                 |hello.|
1.500002 > 19 bytes
00000006  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
00000016  58 59 5a                                          |XYZ|
1.500003 < 3 bytes
00000000  00 01 ff                                          |...|
`
	if got := w.String(); got != want {
		t.Errorf("Record =\n%s\nwant\n%s", got, want)
	}
}

// TestHexLikeHexdump checks a record's lines against hexdump -C's own.
func TestHexLikeHexdump(t *testing.T) {
	if _, err := exec.LookPath("hexdump"); err != nil {
		t.Skip("no hexdump")
	}
	p := make([]byte, 300)
	for i := range p {
		p[i] = byte(i * 7)
	}
	cmd := exec.Command("hexdump", "-C", "-v")
	cmd.Stdin = bytes.NewReader(p)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	want := strings.Join(lines[:len(lines)-2], "\n") + "\n" // no end offset
	if got := string(appendHex(nil, 0, p)); got != want {
		t.Errorf("appendHex =\n%s\nhexdump -C =\n%s", got, want)
	}
}

func TestRecordText(t *testing.T) {
	var w bytes.Buffer
	r := fixed(&w, Text)
	r.Record(2, Received, "pid 42 (curl)", []byte("GET / HTTP/1.0\r\n\tx\\y\x00\xc3\xa9"))
	r.Record(2, Received, "pid 42 (curl)", []byte("a"))
	r.Record(2, Sent, "", []byte("ok\n"))
	want := "1.500001 < #2 pid 42 (curl) 23 bytes\n" +
		"GET / HTTP/1.0\\x0d\n\tx\\\\y\\x00\\xc3\\xa9\n" +
		"1.500002 < #2 pid 42 (curl) 1 byte\na\n" +
		"1.500003 > #2 3 bytes\nok\n"
	if got := w.String(); got != want {
		t.Errorf("Record =\n%q\nwant\n%q", got, want)
	}
}

func TestEvent(t *testing.T) {
	var w bytes.Buffer
	r := fixed(&w, Hex)
	r.Event(1, "pid 42 (curl)", "connected")
	r.Event(0, "", "closed")
	r.Record(1, Sent, "", nil) // nothing
	want := "1.500001 #1 pid 42 (curl) connected\n1.500002 closed\n"
	if got := w.String(); got != want {
		t.Errorf("Event =\n%q\nwant\n%q", got, want)
	}
}

// TestOffsetsPerConnection: each connection and direction counts its own.
func TestOffsetsPerConnection(t *testing.T) {
	var w bytes.Buffer
	r := fixed(&w, Hex)
	r.Record(1, Sent, "", []byte("abcd"))
	r.Record(2, Sent, "", []byte("ef"))
	r.Record(1, Received, "", []byte("gh"))
	r.Record(1, Sent, "", []byte("ij"))
	var offs []string
	for _, l := range strings.Split(w.String(), "\n") {
		if strings.HasPrefix(l, "0000") {
			offs = append(offs, l[:8])
		}
	}
	if got := strings.Join(offs, " "); got != "00000000 00000000 00000000 00000004" {
		t.Errorf("offsets = %s; want 00000000 00000000 00000000 00000004", got)
	}
}

func TestTimestampReal(t *testing.T) {
	var w bytes.Buffer
	r := New(&w, Hex)
	r.Event(0, "", "x")
	if got := w.String(); !strings.HasPrefix(got, "0.0") || len(got) != len("0.000000 x\n") {
		t.Errorf("Event = %q; want 0.0000NN x", got)
	}
}

// writes records each Write call, to check one Write per record.
type writes struct {
	mu sync.Mutex
	n  []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n = append(w.n, string(p))
	return len(p), nil
}

// TestConcurrent: records from many goroutines stay whole, one Write each.
func TestConcurrent(t *testing.T) {
	var w writes
	r := New(&w, Hex)
	var wg sync.WaitGroup
	for c := 1; c <= 8; c++ {
		wg.Go(func() {
			for range 50 {
				r.Record(c, Sent, "", bytes.Repeat([]byte{byte(c)}, 40))
			}
		})
	}
	wg.Wait()
	if len(w.n) != 400 {
		t.Fatalf("%d writes; want 400", len(w.n))
	}
	for _, s := range w.n {
		if strings.Count(s, "\n") != 4 || !strings.Contains(s, " 40 bytes\n") {
			t.Fatalf("record %q is not whole", s)
		}
	}
}
