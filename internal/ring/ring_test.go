package ring

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// shared maps a shared anonymous ring of capacity bytes, as a segment
// would be, and returns a writer and a reader attached to it.
func shared(t *testing.T, capacity int64) (w, r *Ring) {
	t.Helper()
	seg, err := unix.Mmap(-1, 0, int(Size(capacity)), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(seg) })
	if err := Init(seg, capacity); err != nil {
		t.Fatal(err)
	}
	if w, err = Attach(seg); err != nil {
		t.Fatal(err)
	}
	if r, err = Attach(seg); err != nil {
		t.Fatal(err)
	}
	return w, r
}

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// TestStream sends random data of several sizes through a 4 KiB ring in
// odd-sized pieces, so that spans wrap around the end in every way, and
// checks it arrives whole and in order.
func TestStream(t *testing.T) {
	ctx := context.Background()
	me := int32(os.Getpid())
	for _, size := range []int{0, 1, 4095, 4096, 4097, 1 << 20} {
		w, r := shared(t, 4096)
		if err := w.Claim(Writer, me, false); err != nil {
			t.Fatal(err)
		}
		if err := r.Claim(Reader, me, false); err != nil {
			t.Fatal(err)
		}
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(rand.Uint32())
		}
		inR, inW := pipe(t)
		outR, outW := pipe(t)
		go func() {
			for b := want; len(b) > 0; {
				n := min(len(b), 1+rand.IntN(7000))
				inW.Write(b[:n])
				b = b[n:]
			}
			inW.Close()
		}()
		sent := make(chan error, 1)
		go func() {
			n, err := w.Send(ctx, int(inR.Fd()), Options{})
			if err == nil && n != int64(size) {
				err = errors.New("short send")
			}
			w.Leave(Done)
			sent <- err
		}()
		recvd := make(chan error, 1)
		go func() {
			_, err := r.Receive(ctx, int(outW.Fd()), Options{})
			r.Leave(Done)
			outW.Close()
			recvd <- err
		}()
		got, err := io.ReadAll(outR)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-sent; err != nil {
			t.Errorf("Send(%d bytes) = %v; want nil", size, err)
		}
		if err := <-recvd; err != nil {
			t.Errorf("Receive(%d bytes) = %v; want nil", size, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Receive(%d bytes) got %d bytes, not the same", size, len(got))
		}
	}
}

func TestEnds(t *testing.T) {
	ctx := context.Background()
	me := int32(os.Getpid())
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	null := int(devnull.Fd())

	// The writer left before its end: the reader drains, then says so.
	w, r := shared(t, 4096)
	w.Claim(Writer, me, false)
	w.Send(ctx, null, Options{})
	w.Leave(Abort)
	r.Claim(Reader, me, false)
	if _, err := r.Receive(ctx, null, Options{}); err != ErrWriterStopped {
		t.Errorf("Receive after an abort = %v; want %v", err, ErrWriterStopped)
	}
	r.Leave(Done)
	// ... and a second reader, the end consumed, waits for a new writer.
	r.Claim(Reader, me, false)
	if _, err := r.Receive(ctx, null, Options{Idle: 50 * time.Millisecond}); err != ErrIdle {
		t.Errorf("Receive of a consumed ring = %v; want %v", err, ErrIdle)
	}
	if _, err := r.Receive(ctx, null, Options{Nonblock: true}); err != ErrWouldBlock {
		t.Errorf("Receive -n of an empty ring = %v; want %v", err, ErrWouldBlock)
	}
	r.Leave(Abort)

	// The reader closed: a writer with data to send stops.
	w, r = shared(t, 4096)
	r.Claim(Reader, me, false)
	r.Leave(Abort)
	w.Claim(Writer, me, false) // a new writer clears the last reader's close
	r.Claim(Reader, me, false)
	r.Leave(Abort)
	zero, _ := os.Open("/dev/zero")
	defer zero.Close()
	if _, err := w.Send(ctx, int(zero.Fd()), Options{}); err != ErrReaderClosed {
		t.Errorf("Send to a closed reader = %v; want %v", err, ErrReaderClosed)
	}

	// A full ring and no reader: -t gives up.
	w, _ = shared(t, 4096)
	w.Claim(Writer, me, false)
	n, err := w.Send(ctx, int(zero.Fd()), Options{Idle: 50 * time.Millisecond})
	if err != ErrIdle || n != 4096 {
		t.Errorf("Send to a full ring = %d, %v; want 4096, %v", n, err, ErrIdle)
	}
	// ... and a context cancelled while waiting ends it.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := w.Send(cctx, int(zero.Fd()), Options{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a cancelled context = %v; want %v", err, context.DeadlineExceeded)
	}
}

func TestBusyAndDeadPeer(t *testing.T) {
	me := int32(os.Getpid())
	w, r := shared(t, 4096)
	if err := w.Claim(Writer, me, false); err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	if err := r.Claim(Writer, int32(os.Getppid()), false); !errors.As(err, &busy) || busy.PID != me {
		t.Errorf("Claim of a live writer's side = %v; want busy by pid %d", err, me)
	}

	// A reader whose writer is a dead process reports the death.
	dead := deadPID(t)
	w.writer.Store(dead)
	r.Claim(Reader, me, false)
	_, err := r.Receive(context.Background(), 1, Options{})
	var died *PeerDiedError
	if !errors.As(err, &died) || died.PID != dead || died.Role != Writer {
		t.Errorf("Receive with a dead writer = %v; want the writer (pid %d) died", err, dead)
	}
	// The death is acknowledged: the pid is cleared.
	if p := r.writer.Load(); p != 0 {
		t.Errorf("writer pid after a reported death = %d; want 0", p)
	}
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int32 {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("no /bin/true")
	}
	p.Wait()
	return int32(p.Pid)
}

func TestLeaveRemoves(t *testing.T) {
	me := int32(os.Getpid())
	tests := []struct {
		name  string
		steps func(w, r *Ring) (wr, rr bool)
		want  [2]bool // writer removes, reader removes
	}{
		{"no --rm", func(w, r *Ring) (bool, bool) {
			w.Claim(Writer, me, false)
			r.Claim(Reader, me, false)
			return w.Leave(Done), r.Leave(Done)
		}, [2]bool{false, false}},
		{"writer --rm, reader last", func(w, r *Ring) (bool, bool) {
			w.Claim(Writer, me, true)
			r.Claim(Reader, me, false)
			return w.Leave(Done), r.Leave(Done)
		}, [2]bool{false, true}},
		{"reader --rm, writer last", func(w, r *Ring) (bool, bool) {
			r.Claim(Reader, me, true)
			w.Claim(Writer, me, false)
			rr := r.Leave(Done)
			return w.Leave(Done), rr
		}, [2]bool{true, false}},
		{"writer --rm leaves data for a reader", func(w, r *Ring) (bool, bool) {
			w.Claim(Writer, me, true)
			w.head.Store(10)
			wr := w.Leave(Done)
			r.Claim(Reader, me, false)
			r.tail.Store(10)
			return wr, r.Leave(Done)
		}, [2]bool{false, true}},
		{"writer --rm aborts alone", func(w, r *Ring) (bool, bool) {
			w.Claim(Writer, me, true)
			w.head.Store(10)
			return w.Leave(Abort), false
		}, [2]bool{true, false}},
	}
	for _, tt := range tests {
		w, r := shared(t, 4096)
		wr, rr := tt.steps(w, r)
		if [2]bool{wr, rr} != tt.want {
			t.Errorf("%s: Leave = writer %v, reader %v; want %v, %v", tt.name, wr, rr, tt.want[0], tt.want[1])
		}
	}
}
