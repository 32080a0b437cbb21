package relay

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// tape is a Tee that notes "DIR bytes" per chunk.
type tape struct {
	mu  sync.Mutex
	got []string
}

func (tp *tape) tee(d dump.Dir, peer Sockaddr, b []byte) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	to := ""
	if peer != nil {
		to = "@"
	}
	tp.got = append(tp.got, fmt.Sprintf("%c%s%s", d, to, b))
}

func (tp *tape) String() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return strings.Join(tp.got, "|")
}

func TestTeeCopy(t *testing.T) {
	fds := newFDs(t)
	inR, inW := fds.pipe(t)
	outR, outW := fds.pipe(t)
	var tp tape
	m := &meter.Meter{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err := TeeCopy(context.Background(), outW, inR, m, tp.tee, dump.Sent)
		if n != 7 || err != nil || m.Bytes() != 7 {
			t.Errorf("TeeCopy = %d, %v (meter %d); want 7, nil (7)", n, err, m.Bytes())
		}
	}()
	unix.Write(inW, []byte("abc"))
	for tp.String() == "" { // one chunk at a time
		unix.Poll(nil, 1)
	}
	unix.Write(inW, []byte("defg"))
	fds.close(inW)
	<-done
	fds.close(outW)
	if got := readAll(outR); got != "abcdefg" {
		t.Errorf("TeeCopy moved %q; want abcdefg", got)
	}
	if got := tp.String(); got != ">abc|>defg" {
		t.Errorf("TeeCopy recorded %q; want >abc|>defg", got)
	}
}

func TestTeeCopyWriteFails(t *testing.T) {
	fds := newFDs(t)
	inR, inW := fds.pipe(t)
	outR, outW := fds.pipe(t)
	fds.close(outR)
	unix.Write(inW, []byte("lost"))
	fds.close(inW)
	var tp tape
	_, err := TeeCopy(context.Background(), outW, inR, nil, tp.tee, dump.Sent)
	if _, ok := err.(*WriteError); !ok || tp.String() != "" {
		t.Errorf("TeeCopy to a closed pipe = %v, recorded %q; want a *WriteError, nothing", err, tp.String())
	}
}

// TestDuplexTee: both directions of a stream and of a seqpacket
// connection are told to the Tee, what was moved unchanged.
func TestDuplexTee(t *testing.T) {
	for _, tt := range []struct {
		name string
		typ  int
		d    Duplex
		want string
	}{
		{"stream", unix.SOCK_STREAM, Duplex{Linger: -1}, ">a\nbb\n|<got: a\nbb\n"},
		{"seqpacket lines", unix.SOCK_SEQPACKET, Duplex{Linger: -1, Messages: true, Lines: true}, ">a\n|>bb\n|<got: a\nbb\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fds := newFDs(t)
			ours, theirs := fds.socketpair(t, tt.typ)
			inR, inW := fds.pipe(t)
			outR, outW := fds.pipe(t)
			unix.Write(inW, []byte("a\nbb\n"))
			fds.close(inW)
			done := make(chan struct{})
			go func() { replyAfterEOF(theirs); close(done) }()
			var tp tape
			d := tt.d
			d.Sock, d.In, d.Out, d.Tee = ours, inR, outW, tp.tee
			_, err := d.Run(context.Background())
			fds.close(outW)
			got := readAll(outR)
			<-done
			if err != nil || got != "got: a\nbb\n" || tp.String() != tt.want {
				t.Errorf("Duplex = %q, %v, recorded %q; want %q, nil, recorded %q", got, err, tp.String(), "got: a\nbb\n", tt.want)
			}
		})
	}
}

// TestDatagramsTee: each datagram is told whole, with its peer.
func TestDatagramsTee(t *testing.T) {
	fds := newFDs(t)
	srv, client := fds.dgramPair(t)
	inR, inW := fds.pipe(t)
	_, outW := fds.pipe(t)
	var tp tape
	d := Datagrams{Sock: srv, In: inR, Out: outW, Lines: true, Linger: 0, Tee: tp.tee}
	done := make(chan error)
	go func() { _, err := d.Run(context.Background()); done <- err }()
	unix.Write(client, []byte("hello\n"))
	unix.Write(inW, []byte("a\nb\n"))
	fds.close(inW)
	for _, want := range []string{"a\n", "b\n"} {
		if got := recvWithin(t, client, 2*time.Second); got != want {
			t.Errorf("client received %q; want %q", got, want)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := tp.String(); got != "<@hello\n|>@a\n|>@b\n" {
		t.Errorf("Datagrams recorded %q; want <@hello, >@a, >@b", got)
	}
}

// TestTeeLines: each atomic write of whole lines is told, as sent.
func TestTeeLines(t *testing.T) {
	fds := newFDs(t)
	inR, inW := fds.pipe(t)
	outR, outW := fds.pipe(t)
	in := strings.Repeat("0123456789abcde\n", 300) + "end" // 4803 bytes
	unix.Write(inW, []byte(in))                            // all of it: the pipe holds 64 KiB
	fds.close(inW)
	var tp tape
	lines, err := TeeLines(context.Background(), outW, inR, nil, tp.tee)
	fds.close(outW)
	if got := readAll(outR); got != in {
		t.Errorf("TeeLines moved %d bytes; want the %d of input", len(got), len(in))
	}
	if err != nil || lines != 301 {
		t.Fatalf("TeeLines = %d, %v; want 301, nil", lines, err)
	}
	var sizes []int
	for _, r := range strings.Split(tp.String(), "|") {
		if r[0] == '>' {
			sizes = append(sizes, len(r)-1)
		}
	}
	if fmt.Sprint(sizes) != "[4096 704 3]" {
		t.Errorf("TeeLines recorded writes of %v bytes; want [4096 704 3]", sizes)
	}
}

// TestTeeThrough: what fill writes reaches out, recorded; out failing is
// the error.
func TestTeeThrough(t *testing.T) {
	fds := newFDs(t)
	outR, outW := fds.pipe(t)
	var tp tape
	err := TeeThrough(context.Background(), outW, tp.tee, dump.Received, func(w int) error {
		_, err := unix.Write(w, []byte("abc"))
		return err
	})
	fds.close(outW)
	if got := readAll(outR); err != nil || got != "abc" || tp.String() != "<abc" {
		t.Errorf("TeeThrough = %v, moved %q, recorded %q; want nil, abc, <abc", err, got, tp.String())
	}

	outR, outW = fds.pipe(t)
	fds.close(outR)
	err = TeeThrough(context.Background(), outW, tp.tee, dump.Received, func(w int) error {
		for {
			if _, err := unix.Write(w, []byte("x")); err != nil {
				return err // EPIPE once the drain has failed
			}
		}
	})
	if _, ok := err.(*WriteError); !ok {
		t.Errorf("TeeThrough to a closed pipe = %v; want the drain's *WriteError", err)
	}
}
