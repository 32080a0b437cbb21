package relay

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// The one read/write loop, with and without a Tee: when the destination
// goes away in the middle of the stream, the count, the meter and what the
// Tee was told are the same number of bytes, the part the socket took.
func TestReadWritePeerLeaves(t *testing.T) {
	for _, withTee := range []bool{false, true} {
		fds := newFDs(t)
		inR, inW := fds.pipe(t)
		ours, theirs := fds.socketpair(t, unix.SOCK_STREAM)
		unix.SetsockoptInt(ours, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
		var told atomic.Int64
		var tee Tee
		if withTee {
			tee = func(_ dump.Dir, _ Sockaddr, b []byte) { told.Add(int64(len(b))) }
		}
		left := make(chan struct{})
		go func() {
			defer close(left)
			unix.Write(inW, make([]byte, 60000)) // more than the socket holds
			got := 0
			b := make([]byte, 1000)
			for got < 5000 {
				n, err := unix.Read(theirs, b)
				if n <= 0 || err != nil {
					break
				}
				got += n
			}
			fds.close(theirs) // the peer leaves, its queue unread
		}()
		m := &meter.Meter{}
		n, err := readWrite(context.Background(), ours, inR, make([]byte, 64<<10), true, m, tee, dump.Sent)
		<-left
		var we *WriteError
		if !errors.As(err, &we) || n < 5000 || n >= 60000 || m.Bytes() != n {
			t.Errorf("tee %v: readWrite = %d, %v (meter %d); want a *WriteError after 5000..59999 bytes, all counted", withTee, n, err, m.Bytes())
		}
		if withTee && told.Load() != n {
			t.Errorf("readWrite told the Tee %d bytes; want the %d written", told.Load(), n)
		}
	}
}

// With waitFirst, a stop ends the wait on an idle blocking input.
func TestReadWriteStops(t *testing.T) {
	fds := newFDs(t)
	inR, _ := fds.pipe(t)
	_, outW := fds.pipe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n, err := readWrite(ctx, outW, inR, make([]byte, 4096), true, nil, nil, dump.Sent)
	var re *ReadError
	if n != 0 || !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("readWrite on an idle pipe = %d, %v; want 0 and a *ReadError of the deadline", n, err)
	}
}
