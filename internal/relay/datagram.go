package relay

import (
	"bufio"
	"context"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// Sockaddr is a datagram's sender, as recvfrom(2) names it.
type Sockaddr = unix.Sockaddr

// Datagrams is the second duplex shape, nc -lu's: an unconnected datagram
// socket. Every datagram received is written whole to Out, and input goes,
// one message per read (or per line with Lines), to the peer that sent
// last: nothing is read from input until some peer has spoken, since its
// messages would have nowhere to go.
type Datagrams struct {
	Sock int
	// In -1 sends nothing (--recv-only). Out -1 prints nothing and counts
	// nothing received (--send-only): a datagram then only names the peer.
	In, Out int
	Meter   *meter.Meter // counts both directions (may be nil)
	Lines   bool
	MaxMsg  int // the largest message one send carries (default 64 KiB)

	// Linger bounds the run after input's end (nc -q); negative serves on
	// until ctx ends.
	Linger time.Duration
	// InputEnds ends the run at input's end (--send-only).
	InputEnds bool
	// First, if set, is called with the first peer that sends.
	First func(from Sockaddr)
	// Tee, if set, is told every datagram each way (-x, --dump).
	Tee Tee
}

// Run relays until ctx ends (its error: a cli.Bound context is -w), input
// ends with InputEnds or Linger expires after it (nil), or one direction
// fails (a *PumpError: Send with a *ReadError of input, which may be a
// *TooBigError, or a *WriteError of the socket; receive with a *ReadError
// of the socket or a *WriteError of output). Both pumps have returned when
// Run does.
func (d *Datagrams) Run(ctx context.Context) (Result, error) {
	m := d.Meter
	if m == nil {
		m = &meter.Meter{}
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	// Each pump counts its own direction in res, read once both returned.
	var res Result
	end := func(err error) (Result, error) {
		stop()
		wg.Wait()
		if err != nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		return res, err
	}
	p := &datagramPeer{first: make(chan struct{})}
	sendDone := make(chan error, 1)
	recvDone := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); recvDone <- d.recv(pctx, m, p, &res) }()
	if d.In >= 0 {
		wg.Add(1)
		go func() { defer wg.Done(); sendDone <- d.send(pctx, m, p, &res) }()
	} else {
		res.InputEOF = true
	}

	var linger <-chan time.Time
	for {
		select {
		case err := <-sendDone:
			if err != nil {
				return end(&PumpError{Send: true, Err: err})
			}
			res.InputEOF = true
			if d.InputEnds {
				return end(nil)
			}
			if d.Linger >= 0 {
				linger = time.After(d.Linger)
			}
		case err := <-recvDone:
			return end(&PumpError{Err: err})
		case <-linger:
			res.Lingered = true
			return end(nil)
		case <-ctx.Done():
			return end(ctx.Err())
		}
	}
}

// datagramPeer is the sender of the latest datagram, which input's
// messages go to.
type datagramPeer struct {
	mu    sync.Mutex
	addr  Sockaddr
	first chan struct{} // closed when the first peer has spoken
}

func (p *datagramPeer) get() Sockaddr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// set records from, reporting whether it is the first peer.
func (p *datagramPeer) set(from Sockaddr) (first bool) {
	if from == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	first = p.addr == nil
	if first {
		close(p.first)
	}
	p.addr = from
	return first
}

// recv writes each datagram whole to Out and remembers its sender.
func (d *Datagrams) recv(ctx context.Context, m *meter.Meter, p *datagramPeer, res *Result) error {
	buf := make([]byte, 64<<10)
	w := NewWaiter(ctx)
	defer w.Close()
	for {
		n, from, err := RecvFrom(w, d.Sock, &buf)
		if err != nil {
			return &ReadError{err}
		}
		d.Tee.record(dump.Received, from, buf[:n])
		if d.Out >= 0 {
			if err := WriteAll(ctx, d.Out, buf[:n]); err != nil {
				return &WriteError{err}
			}
			m.AddMsg(n)
			res.add(false, n)
		}
		if p.set(from) && d.First != nil {
			d.First(from)
		}
	}
}

// send reads input as messages, once a peer has spoken, and sends each
// to the latest peer. It returns nil at input's end.
func (d *Datagrams) send(ctx context.Context, m *meter.Meter, p *datagramPeer, res *Result) error {
	select {
	case <-p.first:
	case <-ctx.Done():
		return &ReadError{ctx.Err()}
	}
	max := d.MaxMsg
	if max <= 0 {
		max = 64 << 10
	}
	r := &fdReader{ctx: ctx, fd: d.In, waitFirst: KindOf(d.In) != Regular}
	defer r.Close()
	room := NewWaiter(ctx) // for a full socket buffer
	defer room.Close()
	in := bufio.NewReaderSize(r, max+1)
	buf := make([]byte, max)
	var msgs int64
	for {
		var msg []byte
		var err error
		if d.Lines {
			msg, err = in.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				return &ReadError{&TooBigError{Line: msgs + 1, Max: max}}
			}
		} else {
			var n int
			n, err = in.Read(buf)
			msg = buf[:n]
		}
		if len(msg) > 0 {
			to := p.get()
			if err := SendMsg(room, d.Sock, msg, to); err != nil {
				return &WriteError{err}
			}
			d.Tee.record(dump.Sent, to, msg)
			msgs++
			m.AddMsg(len(msg))
			res.add(true, len(msg))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &ReadError{err}
		}
	}
}

// add counts one message of n bytes, sent or received. Each pump counts
// only its own direction.
func (r *Result) add(sent bool, n int) {
	if sent {
		r.Sent += int64(n)
		r.SentMsgs++
	} else {
		r.Received += int64(n)
		r.ReceivedMsgs++
	}
}
