package ring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/shm"
)

// now runs f at once: Stream's atExit when no signal handling is wanted.
func now(f func()) func() { return f }

func TestStreamSession(t *testing.T) {
	name, err := ipcname.Parse(fmt.Sprintf("/ipcats-ring-stream-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shm.Remove(name) })
	ctx := context.Background()
	wseg, wr, err := Join(ctx, name, MinCapacity, 0o600, false)
	if err != nil {
		t.Fatal(err)
	}
	defer wseg.Close()
	rseg, rr, err := Join(ctx, name, MinCapacity, 0o600, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rseg.Close()

	data := bytes.Repeat([]byte("ring"), 10000) // several times the ring
	inR, inW := pipe(t)
	outR, outW := pipe(t)
	go func() { inW.Write(data); inW.Close() }()
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(outR); got <- b }()

	sent := make(chan Result, 1)
	go func() {
		res, err := Stream(ctx, wseg, wr, int(inR.Fd()), Side{Role: Writer, Remove: true}, now)
		if err != nil {
			t.Error(err)
		}
		sent <- res
	}()
	res, err := Stream(ctx, rseg, rr, int(outW.Fd()), Side{Role: Reader, Remove: true}, now)
	outW.Close()
	if err != nil || res.Err != nil || res.N != int64(len(data)) {
		t.Fatalf("reader: %+v, %v; want %d bytes", res, err, len(data))
	}
	ws := <-sent
	if ws.Err != nil || ws.N != int64(len(data)) || ws.Taken > ws.N {
		t.Errorf("writer: %+v; want %d bytes", ws, len(data))
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("received %d bytes; want the %d sent", len(b), len(data))
	}
	if shm.Exists(name) {
		t.Error("the ring marked for removal is still there after both sides left")
	}
}

func TestStreamBusyAndNonblock(t *testing.T) {
	name, err := ipcname.Parse(fmt.Sprintf("/ipcats-ring-busy-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shm.Remove(name) })
	seg, r, err := Join(context.Background(), name, MinCapacity, 0o600, false)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	_, w := pipe(t)
	// An empty ring with -n: nothing moved, and the reader detaches.
	res, err := Stream(context.Background(), seg, r, int(w.Fd()), Side{Role: Reader, Options: Options{Nonblock: true}}, now)
	if err != nil || !errors.Is(res.Err, ErrWouldBlock) || res.N != 0 {
		t.Errorf("Stream -n on an empty ring = %+v, %v; want ErrWouldBlock", res, err)
	}
	// A side a live process holds is busy.
	r.side(Reader).Store(int32(os.Getppid()))
	if _, err := Stream(context.Background(), seg, r, int(w.Fd()), Side{Role: Reader}, now); !errors.As(err, new(*BusyError)) {
		t.Errorf("Stream on a claimed side = %v; want a BusyError", err)
	}
}

func TestLeaveAs(t *testing.T) {
	for _, tt := range []struct {
		role Role
		err  error
		want Outcome
	}{
		{Writer, nil, Done},
		{Writer, ErrIdle, Abort},
		{Reader, nil, Done},
		{Reader, ErrWriterStopped, Done},
		{Reader, &PeerDiedError{}, Done},
		{Reader, ErrIdle, Detach},
		{Reader, ErrWouldBlock, Detach},
		{Reader, context.Canceled, Abort},
	} {
		if got := LeaveAs(tt.role, tt.err); got != tt.want {
			t.Errorf("LeaveAs(%v, %v) = %v; want %v", tt.role, tt.err, got, tt.want)
		}
	}
}
