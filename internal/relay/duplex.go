package relay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// Duplex is the two-way relay of nc's readwrite(): one pump copies input
// to a connected socket, another copies the socket to output, both at
// once. Input's end half-closes the socket (shutdown SHUT_WR) and the
// relay keeps reading until the peer closes, so a reply that comes after
// the request's end is not lost.
type Duplex struct {
	Sock int
	// In -1 sends nothing (--recv-only): the socket's write side is left
	// open, as nc -d leaves it, because many servers end the session at a
	// half-close. Out -1 prints nothing.
	In, Out int
	Meter   *meter.Meter // counts both directions (may be nil)

	// NoShutdown keeps the write side open after input's end too
	// (--no-shutdown), for peers that end the session at a half-close
	// before they have answered.
	NoShutdown bool
	// InputEnds ends the relay once input has ended and the peer has
	// taken all of it (the socket's send queue is empty), without
	// waiting for the peer to close: --send-only, whose output only
	// discards. What the peer sent meanwhile is read and dropped before
	// Run returns, so closing the socket does not reset the connection.
	InputEnds bool

	// Linger bounds the wait for the peer after input ends (nc -q);
	// negative waits for the peer to close, however long that takes.
	Linger time.Duration
	// PeerEnds makes the peer's EOF end the relay while input is still
	// open, as soon as input has nothing pending: input is a terminal,
	// or a listener serves the next peer (-k) and what input says next
	// is for that one. Otherwise input keeps flowing to a peer that only
	// half-closed.
	PeerEnds bool

	// Messages: the socket keeps record boundaries (SOCK_SEQPACKET,
	// SOCK_DGRAM): each input read, or each line with Lines, is one
	// message of at most MaxMsg bytes, and each message received is
	// written whole. EOF from a SOCK_DGRAM socket never comes.
	Messages bool
	Lines    bool
	MaxMsg   int
	Datagram bool

	// Tee, if set, is told every chunk or message each way (-x, --dump);
	// a stream then goes through read/write (TeeCopy), not splice.
	Tee Tee
}

// Result says what the relay moved and how it ended.
type Result struct {
	Sent, Received int64
	// SentMsgs and ReceivedMsgs count messages, with Messages.
	SentMsgs, ReceivedMsgs int64
	InputEOF               bool // input ended (or there was none)
	PeerEOF                bool // the peer closed its side
	Lingered               bool // Linger expired after input's end
}

// PumpError is a failure of one direction: Send (input -> socket) or
// receive (socket -> output). Err is a *ReadError or *WriteError.
type PumpError struct {
	Send bool
	Err  error
}

func (e *PumpError) Error() string {
	if e.Send {
		return "send: " + e.Err.Error()
	}
	return "receive: " + e.Err.Error()
}
func (e *PumpError) Unwrap() error { return e.Err }

// ErrTooBig refuses an input line or read that no single message can hold.
var ErrTooBig = errors.New("message too long")

// TooBigError is an input line (numbered from 1) longer than Max, the
// largest message; it matches ErrTooBig.
type TooBigError struct {
	Line int64
	Max  int
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("line %d is longer than the largest message (%d bytes)", e.Line, e.Max)
}

// Is makes errors.Is(err, ErrTooBig) true.
func (e *TooBigError) Is(target error) bool { return target == ErrTooBig }

type pumped struct {
	n, msgs int64
	err     error
}

// Run relays until both pumps are done or one fails. The error is nil
// (both directions ended cleanly, or Linger expired), ctx's error (a
// cli.Bound context is -w),
// or a *PumpError. (Over 80 lines: one select owns both pumps' ends and
// every timer, linger, idle, flush and quiet, which each end changes; cut
// in parts, they would share all of that state through a struct.)
func (d *Duplex) Run(ctx context.Context) (Result, error) {
	var res Result
	m := d.Meter
	if m == nil {
		m = &meter.Meter{}
	}
	sendCtx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	recvCtx, stopRecv := context.WithCancel(ctx)
	defer stopRecv()

	sendDone := make(chan pumped, 1)
	recvDone := make(chan pumped, 1)
	sending, receiving := d.In >= 0, d.Out >= 0
	if sending {
		go func() { var p pumped; p.n, p.err = d.send(sendCtx, m, &p.msgs); sendDone <- p }()
	} else {
		// --recv-only: nothing to send, but no half-close either: nc -l
		// and socat end the session on it, cutting what they send.
		res.InputEOF = true
	}
	if receiving {
		go func() { var p pumped; p.n, p.err = d.recv(recvCtx, m, &p.msgs); recvDone <- p }()
	}

	var linger <-chan time.Time
	if !sending && d.Linger >= 0 {
		linger = time.After(d.Linger)
	}
	// flushed fires when, with InputEnds, the peer has taken all input.
	var flushed chan struct{}
	// quiet ticks while the peer has ended and PeerEnds waits for input
	// to have nothing pending.
	var quiet <-chan time.Time
	var failed error
	for sending || receiving {
		select {
		case p := <-sendDone:
			sending = false
			res.Sent, res.SentMsgs = p.n, p.msgs
			switch {
			case p.err == nil:
				// Input ended: half-close, then wait for the peer (or Linger).
				res.InputEOF = true
				if !d.Datagram && !d.NoShutdown {
					unix.Shutdown(d.Sock, unix.SHUT_WR)
				}
				if d.Linger >= 0 && receiving {
					linger = time.After(d.Linger)
				}
				if d.InputEnds && receiving {
					flushed = make(chan struct{})
					go waitFlushed(recvCtx, d.Sock, flushed)
				}
			case sendCtx.Err() != nil && ctx.Err() == nil:
				// We stopped it: the peer is done and input was a terminal.
			case ctx.Err() != nil:
				failed = ctx.Err()
			default:
				var we *WriteError
				if errors.As(p.err, &we) {
					// The peer is gone: what it sent before leaving is still
					// worth reading, so let the receiver drain.
					failed = &PumpError{Send: true, Err: p.err}
					res.Sent -= unacked(d.Sock, res.Sent)
					if !receiving {
						return res, failed
					}
					if d.Datagram {
						// No end of file ever comes on a datagram socket:
						// take what has arrived (Linger), then stop.
						linger = time.After(max(d.Linger, 0))
					}
					continue
				}
				// Input broke: stop.
				stopRecv()
				failed = &PumpError{Send: true, Err: p.err}
			}
		case p := <-recvDone:
			receiving = false
			res.Received, res.ReceivedMsgs = p.n, p.msgs
			switch {
			case p.err == nil:
				res.PeerEOF = true
				switch {
				case sending && failed != nil:
					stopSend()
				case sending && d.PeerEnds && pending(d.In):
					// Let the pump hand over what input holds now, then stop.
					t := time.NewTicker(5 * time.Millisecond)
					defer t.Stop()
					quiet = t.C
				case sending && d.PeerEnds:
					stopSend() // nothing is pending; the conversation is over
				}
			case recvCtx.Err() != nil && ctx.Err() == nil:
				// Linger expired, or we gave up on a failed send.
			case ctx.Err() != nil:
				if failed == nil {
					failed = ctx.Err()
				}
			default:
				// Output failed, or the peer reset the connection: stop both.
				stopSend()
				if failed == nil || errors.As(p.err, new(*WriteError)) {
					failed = &PumpError{Send: false, Err: p.err}
				}
			}
		case <-quiet:
			if !sending {
				quiet = nil
			} else if !pending(d.In) {
				quiet = nil
				stopSend()
			}
		case <-flushed:
			// --send-only: the peer has all of input; nothing else matters.
			flushed = nil
			stopRecv()
		case <-linger:
			// -q: the peer had its time after input ended.
			res.Lingered = true
			linger = nil
			stopRecv()
		}
	}
	if d.InputEnds && res.InputEOF {
		discard(d.Sock)
	}
	return res, failed
}

// pending reports whether fd has input ready now.
func pending(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
}

// unacked is how many of the sent bytes are still in the socket's send
// queue (SIOCOUTQ): for TCP, not acknowledged by the peer. A peer that
// reset the connection never took them, so they do not count as
// delivered.
func unacked(sock int, sent int64) int64 {
	q, err := unix.IoctlGetInt(sock, unix.SIOCOUTQ)
	if err != nil || q <= 0 {
		return 0
	}
	return min(int64(q), sent)
}

// waitFlushed closes done once the socket's send queue is empty (the
// peer has acknowledged, or for a Unix socket read, everything), or ctx
// ends.
func waitFlushed(ctx context.Context, sock int, done chan<- struct{}) {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		if q, err := unix.IoctlGetInt(sock, unix.SIOCOUTQ); err != nil || q == 0 {
			close(done)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// discard reads and drops what the socket holds now (at most 64 MiB), so
// that closing it sends a FIN, not the reset that unread data causes.
func discard(sock int) {
	buf := make([]byte, 64<<10)
	for i := 0; i < 1024; i++ {
		n, err := unix.Read(sock, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
	}
}

// send pumps input to the socket.
func (d *Duplex) send(ctx context.Context, m *meter.Meter, msgs *int64) (int64, error) {
	if !d.Messages {
		if d.Tee != nil {
			return TeeCopy(ctx, d.Sock, d.In, m, d.Tee, dump.Sent)
		}
		switch KindOf(d.In) {
		case Pipe:
			return spliceLow(ctx, d.Sock, d.In, m)
		case Regular, Socket:
			return Copy(ctx, d.Sock, d.In, m)
		}
		return sendCounted(ctx, d.Sock, d.In, m)
	}
	var n int64
	max := d.MaxMsg
	if max <= 0 {
		max = 64 << 10
	}
	// A blocking input (a pipe or FIFO that stays open) is waited for
	// first, so that -w or a signal ends the wait.
	r := &fdReader{ctx: ctx, fd: d.In, waitFirst: KindOf(d.In) != Regular}
	defer r.Close()
	room := NewWaiter(ctx) // for a full socket buffer
	defer room.Close()
	var br *bufio.Reader
	var buf []byte
	if d.Lines {
		br = bufio.NewReaderSize(r, max+1)
	} else {
		buf = make([]byte, max)
	}
	for {
		var msg []byte
		var err error
		if d.Lines {
			msg, err = br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				return n, &ReadError{&TooBigError{Line: *msgs + 1, Max: max}}
			}
			if err == io.EOF {
				err = nil
				if len(msg) == 0 {
					return n, nil
				}
			}
		} else {
			var k int
			k, err = r.Read(buf)
			if err == io.EOF {
				return n, nil
			}
			msg = buf[:k]
		}
		if err != nil {
			return n, &ReadError{err}
		}
		if err := SendMsg(room, d.Sock, msg, nil); err != nil {
			return n, &WriteError{err}
		}
		d.Tee.record(dump.Sent, nil, msg)
		n += int64(len(msg))
		*msgs++
		m.AddMsg(len(msg))
	}
}

// recv pumps the socket to output.
func (d *Duplex) recv(ctx context.Context, m *meter.Meter, msgs *int64) (int64, error) {
	if !d.Messages {
		if d.Tee != nil {
			return TeeCopy(ctx, d.Out, d.Sock, m, d.Tee, dump.Received)
		}
		if streamable(d.Out) {
			if KindOf(d.Out) == Pipe {
				// Best effort: a 1 MiB pipe takes each spliced chunk at once
				// (the default 64 KiB one costs many more wakeups).
				unix.FcntlInt(uintptr(d.Out), unix.F_SETPIPE_SZ, BufSize)
				return spliceLow(ctx, d.Out, d.Sock, m)
			}
			return Copy(ctx, d.Out, d.Sock, m)
		}
		return readWrite(ctx, d.Out, d.Sock, make([]byte, 256<<10), false, m, nil, dump.Received)
	}
	var n int64
	buf := make([]byte, 64<<10)
	w := NewWaiter(ctx)
	defer w.Close()
	for {
		k, err := RecvMsg(w, d.Sock, &buf)
		if err != nil {
			return n, &ReadError{err}
		}
		if k == 0 && !d.Datagram {
			return n, nil // SOCK_SEQPACKET: the peer closed
		}
		d.Tee.record(dump.Received, nil, buf[:k])
		if err := WriteAll(ctx, d.Out, buf[:k]); err != nil {
			return n, &WriteError{err}
		}
		n += int64(k)
		*msgs++
		m.AddMsg(k)
	}
}

// spliceLow moves src to dst with splice(2), one of them a pipe and the
// other the socket, for a conversation: when nothing can move it waits for
// input, and for room only when input was ready and still did not move,
// so a request/reply exchange costs one poll(2) per message each way, not
// two (Copy waits for both every time). Where the kernel takes no splice
// it is Copy, which falls back to read/write.
func spliceLow(ctx context.Context, dst, src int, m *meter.Meter) (int64, error) {
	w := NewWaiter(ctx)
	defer w.Close()
	var n int64
	inReady := false
	for {
		k, err := unix.Splice(src, nil, dst, nil, BufSize, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		switch {
		case k > 0:
			n += k
			m.Add(int(k))
			inReady = false
			continue
		case err == nil: // end of input
			return n, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && !inReady:
			if err := w.Wait(src, unix.POLLIN); err != nil {
				return n, err
			}
			inReady = true
			continue
		case err == unix.EAGAIN:
			// Input is there and did not move: the destination is full.
			if err := w.Wait(dst, unix.POLLOUT); err != nil {
				return n, err
			}
			inReady = false
			continue
		case n == 0 && (err == unix.EINVAL || err == unix.ENOSYS):
			return Copy(ctx, dst, src, m)
		}
		return n, spliceError(err)
	}
}

// spliceError says which side a failed splice belongs to, as Copy does.
func spliceError(err error) error {
	switch err {
	case unix.EPIPE, unix.ENOSPC, unix.EDQUOT, unix.EFBIG:
		return &WriteError{err}
	}
	return &ReadError{err}
}

// sendCounted copies src (a terminal, a character device) to the socket
// through one buffer, counting every byte the socket took, short writes
// too: when the peer leaves in the middle of a buffer, the count says
// exactly how much of the input was handed over.
func sendCounted(ctx context.Context, sock, src int, m *meter.Meter) (int64, error) {
	return readWrite(ctx, sock, src, make([]byte, BufSize), false, m, nil, dump.Sent)
}

// streamable reports whether Copy may be used towards out from a socket:
// its spliced bounce pipe needs a destination that accepts splice(2),
// which a terminal or an O_APPEND file does not.
func streamable(out int) bool {
	switch KindOf(out) {
	case Pipe, Socket:
		return true
	case Regular:
		fl, err := unix.FcntlInt(uintptr(out), unix.F_GETFL, 0)
		return err == nil && fl&unix.O_APPEND == 0
	}
	return false
}

// fdReader reads a descriptor, waiting for input in a way ctx can stop:
// after EAGAIN on a non-blocking one, and before each read with
// waitFirst, so that a cancel also ends a wait on a blocking one (never
// on a regular file, which is always ready).
type fdReader struct {
	ctx       context.Context
	fd        int
	waitFirst bool
	w         *Waiter // made at the first wait; Close releases it
}

// Close releases the reader's Waiter.
func (r *fdReader) Close() {
	if r.w != nil {
		r.w.Close()
	}
}

func (r *fdReader) wait() error {
	if r.w == nil {
		r.w = NewWaiter(r.ctx)
	}
	return r.w.Wait(r.fd, unix.POLLIN)
}

func (r *fdReader) Read(b []byte) (int, error) {
	for {
		if r.waitFirst {
			if err := r.wait(); err != nil {
				return 0, err
			}
		}
		n, err := unix.Read(r.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := r.wait(); err != nil {
				return 0, err
			}
			continue
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// SendMsg sends b as one message to to (nil: the connected peer),
// retrying EINTR and waiting out EAGAIN with w, the pump's Waiter.
func SendMsg(w *Waiter, fd int, b []byte, to unix.Sockaddr) error {
	for {
		err := unix.Sendto(fd, b, unix.MSG_NOSIGNAL, to)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN, unix.ENOBUFS:
			if err := w.Wait(fd, unix.POLLOUT); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// RecvMsg receives one whole message into *buf, growing it when the next
// message is larger (it peeks at the size first, so nothing is truncated).
func RecvMsg(w *Waiter, fd int, buf *[]byte) (int, error) {
	n, _, err := RecvFrom(w, fd, buf)
	return n, err
}

// RecvFrom is RecvMsg that also returns the sender's address.
func RecvFrom(w *Waiter, fd int, buf *[]byte) (int, unix.Sockaddr, error) {
	for {
		size, _, err := unix.Recvfrom(fd, (*buf)[:1], unix.MSG_PEEK|unix.MSG_TRUNC|unix.MSG_DONTWAIT)
		switch err {
		case nil:
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := w.Wait(fd, unix.POLLIN); err != nil {
				return 0, nil, err
			}
			continue
		default:
			return 0, nil, err
		}
		if size > len(*buf) {
			*buf = make([]byte, size)
		}
		n, from, err := unix.Recvfrom(fd, *buf, unix.MSG_DONTWAIT)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		return n, from, err
	}
}
