package relay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var dgramName atomic.Int64

// dgramPair returns a bound datagram socket for the relay (non-blocking,
// as sockcat's listener is) and a client socket (blocking, autobound so
// that the relay can answer it), both in the abstract namespace.
func (s fdSet) dgramPair(t *testing.T) (srv, client int) {
	t.Helper()
	name := fmt.Sprintf("@ipcats-relay-test-%d-%d", os.Getpid(), dgramName.Add(1))
	srv, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.add(srv)
	if err := unix.Bind(srv, &unix.SockaddrUnix{Name: name}); err != nil {
		t.Fatal(err)
	}
	client, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.add(client)
	if err := unix.Bind(client, &unix.SockaddrUnix{}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(client, &unix.SockaddrUnix{Name: name}); err != nil {
		t.Fatal(err)
	}
	return srv, client
}

// recvWithin receives one datagram on a blocking socket, or fails the test.
func recvWithin(t *testing.T, fd int, d time.Duration) string {
	t.Helper()
	tv := unix.NsecToTimeval(d.Nanoseconds())
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	b := make([]byte, 1024)
	n, err := unix.Read(fd, b)
	if err != nil {
		t.Fatalf("no datagram within %v: %v", d, err)
	}
	return string(b[:n])
}

// pumpsGone fails the test if a goroutine of a Datagrams pump still runs.
func pumpsGone(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	// A goroutine past its wg.Done, on its way out, still shows its
	// closure (under -race) and names its creator: only the pumps'
	// own frames count.
	var frames []string
	for _, l := range strings.Split(stacks, "\n") {
		if !strings.HasPrefix(l, "created by ") {
			frames = append(frames, l)
		}
	}
	for _, f := range []string{"(*Datagrams).send", "(*Datagrams).recv"} {
		if strings.Contains(strings.Join(frames, "\n"), f) {
			t.Errorf("a goroutine in %s outlived Run:\n%s", f, stacks)
		}
	}
}

func TestDatagramsRelay(t *testing.T) {
	fds := newFDs(t)
	srv, client := fds.dgramPair(t)
	inR, inW := fds.pipe(t)
	outR, outW := fds.pipe(t)
	var first atomic.Value
	d := Datagrams{Sock: srv, In: inR, Out: outW, Lines: true, Linger: 0,
		First: func(from Sockaddr) { first.Store(from) }}
	done := make(chan struct{})
	var res Result
	var err error
	go func() { res, err = d.Run(context.Background()); close(done) }()

	// Nothing is read from input before a peer has spoken.
	unix.Write(inW, []byte("one\ntwo\nlast"))
	fds.close(inW)
	if _, err := unix.Write(client, []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one\n", "two\n", "last"} {
		if got := recvWithin(t, client, 2*time.Second); got != want {
			t.Errorf("client received %q; want %q", got, want)
		}
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not end at input's end with Linger 0")
	}
	pumpsGone(t)
	fds.close(outW)
	if got := readAll(outR); got != "hello\n" {
		t.Errorf("output %q; want the datagram %q", got, "hello\n")
	}
	if err != nil || !res.InputEOF || !res.Lingered || res.SentMsgs != 3 || res.Sent != 12 || res.ReceivedMsgs != 1 || res.Received != 6 {
		t.Errorf("Run = %+v, %v; want 3 messages (12 bytes) sent, 1 (6) received, input ended, lingered", res, err)
	}
	if sa, ok := first.Load().(*unix.SockaddrUnix); !ok || !strings.HasPrefix(sa.Name, "@") {
		t.Errorf("First was called with %#v; want the client's autobound name", first.Load())
	}
}

// TestDatagramsJoined ends Run each way it can end while a pump is
// waiting (for a peer, for input, for a datagram) and checks that no pump
// is left running when it returns.
func TestDatagramsJoined(t *testing.T) {
	for _, tc := range []struct {
		name  string
		speak bool          // the client speaks first, so the send pump reads input
		bound time.Duration // a deadline on the context, as cli.Bound gives -w
		d     Datagrams
		stop  func(cancel context.CancelFunc, closeOut func(), client int)
		check func(t *testing.T, res Result, err error)
	}{
		{name: "cancel before any peer", stop: func(cancel context.CancelFunc, _ func(), _ int) { cancel() },
			check: func(t *testing.T, _ Result, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v; want context.Canceled", err)
				}
			}},
		{name: "cancel while input is idle", speak: true, stop: func(cancel context.CancelFunc, _ func(), _ int) { cancel() },
			check: func(t *testing.T, _ Result, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v; want context.Canceled", err)
				}
			}},
		{name: "bound by -w", speak: true, bound: 100 * time.Millisecond,
			check: func(t *testing.T, res Result, err error) {
				if !errors.Is(err, context.DeadlineExceeded) || res.ReceivedMsgs != 1 {
					t.Errorf("Run = %+v, %v; want DeadlineExceeded after one datagram", res, err)
				}
			}},
		{name: "output closed", speak: true, stop: func(_ context.CancelFunc, closeOut func(), client int) {
			closeOut()
			unix.Write(client, []byte("to nobody\n"))
		},
			check: func(t *testing.T, _ Result, err error) {
				var pe *PumpError
				if !errors.As(err, &pe) || pe.Send || !errors.As(pe.Err, new(*WriteError)) || !errors.Is(err, unix.EPIPE) {
					t.Errorf("err = %v; want a receive *PumpError with a *WriteError (EPIPE)", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fds := newFDs(t)
			srv, client := fds.dgramPair(t)
			inR, _ := fds.pipe(t) // input stays open and idle
			outR, outW := fds.pipe(t)
			d := tc.d
			d.Sock, d.In, d.Out, d.Linger = srv, inR, outW, -1
			ctx, cancel := context.WithCancel(context.Background())
			if tc.bound > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), tc.bound)
			}
			defer cancel()
			type ran struct {
				res Result
				err error
			}
			done := make(chan ran, 1)
			go func() { res, err := d.Run(ctx); done <- ran{res, err} }()
			if tc.speak {
				unix.Write(client, []byte("hi\n"))
			}
			time.Sleep(50 * time.Millisecond)
			if tc.stop != nil {
				tc.stop(cancel, func() { fds.close(outR) }, client)
			}
			select {
			case r := <-done:
				pumpsGone(t)
				tc.check(t, r.res, r.err)
			case <-time.After(3 * time.Second):
				t.Fatal("Run did not return")
			}
		})
	}
}

func TestDatagramsLineTooBig(t *testing.T) {
	fds := newFDs(t)
	srv, client := fds.dgramPair(t)
	inR, inW := fds.pipe(t)
	d := Datagrams{Sock: srv, In: inR, Out: -1, Lines: true, MaxMsg: 16, Linger: 0}
	unix.Write(inW, []byte("ok\nthis line is far too long\n"))
	fds.close(inW)
	unix.Write(client, []byte("x"))
	res, err := d.Run(context.Background())
	pumpsGone(t)
	var tb *TooBigError
	var pe *PumpError
	if !errors.As(err, &pe) || !pe.Send || !errors.As(err, &tb) || tb.Line != 2 || tb.Max != 16 {
		t.Fatalf("Run = %+v, %v; want a send *PumpError holding line 2 too big for 16 bytes", res, err)
	}
	if got := recvWithin(t, client, time.Second); got != "ok\n" {
		t.Errorf("client received %q; want the line before", got)
	}
	if res.ReceivedMsgs != 0 {
		t.Errorf("Out -1 counted %d messages received; want none", res.ReceivedMsgs)
	}
}

func TestDatagramsSendOnlyEndsAtInputEnd(t *testing.T) {
	fds := newFDs(t)
	srv, client := fds.dgramPair(t)
	inR, inW := fds.pipe(t)
	unix.Write(inW, []byte("all of it"))
	fds.close(inW)
	unix.Write(client, []byte("x"))
	d := Datagrams{Sock: srv, In: inR, Out: -1, InputEnds: true, Linger: -1}
	res, err := d.Run(context.Background())
	pumpsGone(t)
	if err != nil || res.SentMsgs != 1 {
		t.Fatalf("Run = %+v, %v; want one message sent and nil", res, err)
	}
	if got := recvWithin(t, client, time.Second); got != "all of it" {
		t.Errorf("client received %q", got)
	}
}
