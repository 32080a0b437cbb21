package mq

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/pipeout"
	"github.com/ipcats/ipcats/internal/relay"
)

// Output holds the messages -r has taken off the queue until standard
// output takes them, and knows at every moment which of them it has
// delivered: a message counts (for -v, --progress and the report of what
// was lost) only once its last byte, terminator included, was written.
// It holds at most about one pipe's worth (HoldMax) of taken-but-unwritten
// messages, so a reader whose consumer stalls keeps the rest in the queue.
type Output struct {
	fd   int // standard output
	wfd  int // what writes go to: fd, or a non-blocking twin of it
	pw   *pipeout.Writer
	send bool
	term []byte
	m    *meter.Meter

	mu      sync.Mutex
	buf     []byte // rendered messages; buf[done:] is not written yet
	done    int
	held    []held // messages in buf not fully written, oldest first
	busy    bool   // a write(2) is in flight (its outcome not yet counted)
	told    bool   // the loss was reported
	written int64  // messages delivered
}

// held is one message in the buffer: where its rendering ends and how
// many payload bytes it carries (what -v counts).
type held struct {
	start, end int
	size       int
}

// HoldMax is the most taken-but-unwritten output mqcat keeps: the default
// capacity of a pipe. A single message longer than that is held alone.
const HoldMax = 64 << 10

// FinalFlush bounds the last attempt, after SIGINT or SIGTERM, to write
// what was taken: well inside cli.StopGrace, after which the process
// exits regardless.
const FinalFlush = 200 * time.Millisecond

// NewOutput holds messages for fd, each followed by term unless Add
// says otherwise, counting delivered ones on m. Close releases it.
func NewOutput(fd int, term []byte, m *meter.Meter) *Output {
	// A write(2) blocked on a full pipe cannot be interrupted, so writes
	// to a pipe go through pipeout's non-blocking file description of its
	// own (or, where that cannot be had, are bounded by the pipe's free
	// room); writes to a socket use MSG_DONTWAIT. pipeout's own waits are
	// not used: each Flush waits with its own context.
	pw := pipeout.New(context.Background(), fd)
	o := &Output{fd: fd, wfd: pw.Fd(), pw: pw, term: term, m: m, buf: make([]byte, 0, HoldMax+8<<10)}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		o.send = true
	}
	return o
}

// Close releases the non-blocking twin of standard output.
func (o *Output) Close() {
	o.pw.Close()
	o.wfd = o.fd
}

// write is one write(2) of b that does not block on a pipe or a socket.
func (o *Output) write(b []byte) (int, error) {
	if o.send {
		n, err := unix.SendmsgN(o.wfd, b, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		if err != unix.ENOTSOCK && err != unix.EOPNOTSUPP && err != unix.EDESTADDRREQ {
			if err != nil {
				n = 0
			}
			return n, err
		}
		o.send = false
	}
	n, err := unix.Write(o.wfd, b)
	if err != nil {
		n = 0
	}
	return n, err
}

// Add appends one message's rendering (payload and terminator, or a JSON
// line) carrying size payload bytes, and returns what is pending then
// (Pending, without a second lock per message).
func (o *Output) Add(rendering []byte, term bool, size int) (pending int) {
	o.mu.Lock()
	if o.done == len(o.buf) {
		o.buf, o.done = o.buf[:0], 0
	}
	start := len(o.buf)
	o.buf = append(o.buf, rendering...)
	if term {
		o.buf = append(o.buf, o.term...)
	}
	o.held = append(o.held, held{start: start, end: len(o.buf), size: size})
	pending = len(o.buf) - o.done
	o.mu.Unlock()
	return pending
}

// Pending is how many bytes wait to be written.
func (o *Output) Pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf) - o.done
}

// RoomFor tells whether a message of up to max bytes may be taken without
// writing first: what is held stays within HoldMax.
func (o *Output) RoomFor(max int) bool {
	p := o.Pending()
	return p == 0 || p+max+len(o.term) <= HoldMax
}

// Flush writes what is held, waiting for standard output to take it until
// ctx is done (a signal, a closed output, or the final flush's bound).
func (o *Output) Flush(ctx context.Context) error {
	var w *relay.Waiter
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		o.mu.Lock()
		b := o.buf[o.done:]
		if len(b) == 0 {
			o.buf, o.done = o.buf[:0], 0
			o.mu.Unlock()
			return nil
		}
		if r := o.pw.Limit(len(b)); r < len(b) {
			if r == 0 {
				o.mu.Unlock()
				if w == nil {
					w = relay.NewWaiter(ctx)
				}
				if err := w.Wait(o.fd, unix.POLLOUT); err != nil {
					return err
				}
				continue
			}
			b = b[:min(len(b), r)]
		}
		// A report made meanwhile, at exit (by cli's watchdog or a second
		// signal), waits for this write to be counted; a write of at most
		// the pipe's room does not block.
		o.busy = true
		o.mu.Unlock()
		n, err := o.write(b)
		o.mu.Lock()
		o.busy = false
		if n > 0 {
			o.wrote(n)
		}
		o.mu.Unlock()
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			if w == nil {
				w = relay.NewWaiter(ctx)
			}
			if err := w.Wait(o.fd, unix.POLLOUT); err != nil {
				return err
			}
		case err != nil:
			return err
		case n == 0:
			return io.ErrShortWrite
		}
	}
}

// wrote counts n more bytes written, and the messages they completed.
// The caller holds o.mu.
func (o *Output) wrote(n int) {
	o.done += n
	k, size := 0, 0
	for k < len(o.held) && o.held[k].end <= o.done {
		size += o.held[k].size
		k++
	}
	o.m.AddMsgs(int64(k), size) // one count per write, not per message
	o.written += int64(k)
	o.held = o.held[:copy(o.held, o.held[k:])]
}

// lost describes the messages taken and not delivered, or "" when there
// are none. The caller holds o.mu.
func (o *Output) lost() string {
	n := len(o.held)
	if n == 0 {
		return ""
	}
	bytes := 0
	for _, h := range o.held {
		bytes += h.size
	}
	s := fmt.Sprintf("%s (%s) taken off the queue and not delivered", meter.Count(int64(n), "message"), meter.Count(int64(bytes), "byte"))
	if o.done > o.held[0].start {
		s += " (the first of them in part)"
	}
	if o.busy {
		s += ", or fewer (a write to standard output was in progress)"
	}
	return s
}

// Report says on standard error, once, what was taken and not delivered,
// why (cause), and how many were delivered. It waits up to wait for a
// write in flight to be counted. It returns whether it said anything.
func (o *Output) Report(warn func(string), obj, cause string, wait time.Duration) bool {
	o.mu.Lock()
	for end := time.Now().Add(wait); o.busy && time.Now().Before(end); {
		o.mu.Unlock()
		time.Sleep(time.Millisecond)
		o.mu.Lock()
	}
	defer o.mu.Unlock()
	if o.told {
		return false
	}
	s := o.lost()
	if s == "" {
		return false
	}
	o.told = true
	warn(fmt.Sprintf("%s: %s: %s; %s before them %s delivered", obj, s, cause, meter.Count(int64(o.written), "message"), wasWere(o.written)))
	return true
}

func wasWere(n int64) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
