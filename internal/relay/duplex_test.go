package relay

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fdSet closes each descriptor a test made exactly once, so that a number
// the kernel reuses for the next test is never closed by this one.
type fdSet map[int]bool

func (s fdSet) add(fds ...int) {
	for _, fd := range fds {
		s[fd] = true
	}
}

func (s fdSet) close(fd int) {
	if s[fd] {
		delete(s, fd)
		unix.Close(fd)
	}
}

func newFDs(t *testing.T) fdSet {
	s := fdSet{}
	t.Cleanup(func() {
		for fd := range s {
			unix.Close(fd)
		}
	})
	return s
}

// pipe returns (read end, write end).
func (s fdSet) pipe(t *testing.T) (int, int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	s.add(p[0], p[1])
	return p[0], p[1]
}

func (s fdSet) socketpair(t *testing.T, typ int) (int, int) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetNonblock(p[0], true)
	s.add(p[0], p[1])
	return p[0], p[1]
}

func readAll(fd int) string {
	var out []byte
	b := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, b)
		if n <= 0 || err != nil {
			return string(out)
		}
		out = append(out, b[:n]...)
	}
}

// peer is what the far end of the socket does.
type peer func(fd int)

// replyAfterEOF reads the whole request, then answers and closes: the
// server that socat's default loses the reply of.
func replyAfterEOF(fd int) {
	req := readAll(fd)
	unix.Write(fd, []byte("got: "+req))
	unix.Shutdown(fd, unix.SHUT_WR)
}

// speakAndClose answers at once and closes without reading.
func speakAndClose(fd int) {
	unix.Write(fd, []byte("bye\n"))
	unix.Shutdown(fd, unix.SHUT_WR)
}

// halfClose answers at once and shuts down its sending side, but keeps
// reading: the input must still reach it whole.
func halfClose(fd int) {
	unix.Write(fd, []byte("early\n"))
	unix.Shutdown(fd, unix.SHUT_WR)
	if got := readAll(fd); got != "late input" {
		panic("halfClose peer read " + got)
	}
}

// silent reads everything and never answers nor closes (until the test ends).
func silent(fd int) { readAll(fd) }

func TestDuplex(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		closeIn  bool // input reaches EOF
		peer     peer
		d        Duplex
		want     string
		wantErr  error
		wantSent int64
	}{
		{"reply after EOF", "hello", true, replyAfterEOF, Duplex{Linger: -1}, "got: hello", nil, 5},
		{"empty request", "", true, replyAfterEOF, Duplex{Linger: -1}, "got: ", nil, 0},
		{"peer ends a terminal session", "", false, speakAndClose, Duplex{Linger: -1, PeerEnds: true}, "bye\n", nil, 0},
		{"peer half-closes first", "late input", true, halfClose, Duplex{Linger: -1}, "early\n", nil, 10},
		{"linger expires", "x", true, silent, Duplex{Linger: 50 * time.Millisecond}, "", nil, 1},
		{"lines as messages", "a\nbb\n", true, replyAfterEOF, Duplex{Linger: -1, Messages: true, Lines: true}, "got: a\nbb\n", nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := unix.SOCK_STREAM
			if tt.d.Messages {
				typ = unix.SOCK_SEQPACKET
			}
			fds := newFDs(t)
			ours, theirs := fds.socketpair(t, typ)
			inR, inW := fds.pipe(t)
			outR, outW := fds.pipe(t)
			unix.Write(inW, []byte(tt.input))
			if tt.closeIn {
				fds.close(inW)
			}
			done := make(chan struct{})
			go func() { tt.peer(theirs); close(done) }()
			d := tt.d
			d.Sock, d.In, d.Out = ours, inR, outW
			res, err := d.Run(context.Background())
			fds.close(outW)
			got := readAll(outR)
			fds.close(ours) // the silent peer's read ends here
			<-done
			if !errors.Is(err, tt.wantErr) || got != tt.want || res.Sent != tt.wantSent {
				t.Errorf("Duplex(%q) = %q, sent %d, %v; want %q, sent %d, %v", tt.input, got, res.Sent, err, tt.want, tt.wantSent, tt.wantErr)
			}
		})
	}
}

// A seqpacket peer sees one record per input line.
func TestDuplexLinesAreRecords(t *testing.T) {
	fds := newFDs(t)
	ours, theirs := fds.socketpair(t, unix.SOCK_SEQPACKET)
	inR, inW := fds.pipe(t)
	unix.Write(inW, []byte("one\ntwo\nlast"))
	fds.close(inW)
	d := Duplex{Sock: ours, In: inR, Out: -1, Linger: 0, Messages: true, Lines: true}
	if _, err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	b := make([]byte, 100)
	for {
		n, err := unix.Read(theirs, b)
		if n <= 0 || err != nil {
			break
		}
		got = append(got, string(b[:n]))
	}
	want := []string{"one\n", "two\n", "last"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("Duplex(lines) records = %q; want %q", got, want)
	}
}

// Output that closes is a receive-side write error (EPIPE), and input that
// a vanished peer cannot take is a send-side write error.
func TestDuplexFailures(t *testing.T) {
	t.Run("output closed", func(t *testing.T) {
		fds := newFDs(t)
		ours, theirs := fds.socketpair(t, unix.SOCK_STREAM)
		inR, _ := fds.pipe(t)
		outR, outW := fds.pipe(t)
		fds.close(outR)
		unix.Write(theirs, []byte("data"))
		d := Duplex{Sock: ours, In: inR, Out: outW, Linger: -1}
		_, err := d.Run(context.Background())
		var pe *PumpError
		if !errors.As(err, &pe) || pe.Send || !errors.Is(err, unix.EPIPE) {
			t.Errorf("Duplex(closed output) = %v; want a receive EPIPE", err)
		}
	})
	t.Run("peer gone", func(t *testing.T) {
		fds := newFDs(t)
		ours, theirs := fds.socketpair(t, unix.SOCK_STREAM)
		inR, inW := fds.pipe(t)
		fds.close(theirs)
		unix.SetNonblock(inW, true)
		unix.Write(inW, make([]byte, 1<<16)) // fits the pipe
		fds.close(inW)
		d := Duplex{Sock: ours, In: inR, Out: -1, Linger: -1}
		_, err := d.Run(context.Background())
		var pe *PumpError
		if !errors.As(err, &pe) || !pe.Send {
			t.Errorf("Duplex(peer gone) = %v; want a send error", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		fds := newFDs(t)
		ours, _ := fds.socketpair(t, unix.SOCK_STREAM)
		inR, _ := fds.pipe(t)
		_, outW := fds.pipe(t)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		d := Duplex{Sock: ours, In: inR, Out: outW, Linger: -1}
		if _, err := d.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Duplex(cancelled) = %v; want %v", err, context.DeadlineExceeded)
		}
	})
}

// A terminal or O_APPEND output cannot take splice: the relay copies
// through a buffer instead and loses nothing.
func TestDuplexAppendOutput(t *testing.T) {
	fds := newFDs(t)
	ours, theirs := fds.socketpair(t, unix.SOCK_STREAM)
	f, err := os.OpenFile(t.TempDir()+"/log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	speakAndClose(theirs)
	d := Duplex{Sock: ours, In: -1, Out: int(f.Fd()), Linger: -1}
	if _, err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	if string(b) != "bye\n" {
		t.Errorf("Duplex(O_APPEND output) wrote %q; want %q", b, "bye\n")
	}
}

// A context that ends by its deadline (cli.Bound's -w) ends the relay with
// DeadlineExceeded, both pumps stopped.
func TestDuplexBound(t *testing.T) {
	fds := newFDs(t)
	ours, theirs := fds.socketpair(t, unix.SOCK_STREAM)
	inR, _ := fds.pipe(t)
	_, outW := fds.pipe(t)
	done := make(chan struct{})
	go func() { silent(theirs); close(done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	d := Duplex{Sock: ours, In: inR, Out: outW, Linger: -1}
	if _, err := d.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v; want DeadlineExceeded", err)
	}
	fds.close(ours)
	<-done
}
