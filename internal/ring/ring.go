package ring

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/relay"
)

// Chunk is the most one read(2) or write(2) moves (and at most half the
// ring): small enough that the other side works on one chunk while this
// side fills the next, large enough that system calls cost little.
const Chunk = 1 << 20

// tick is how long a side sleeps on a futex before it looks at its
// peer's pid and its deadline again (a cancelled context wakes it at once).
const tick = 100 * time.Millisecond

// spins is how many times a side looks at the other's index before it
// goes to sleep: the peer is often a few microseconds from moving it.
const spins = 500

// Role is a side of the ring.
type Role int

const (
	Writer Role = iota
	Reader
)

func (r Role) String() string {
	if r == Writer {
		return "writer"
	}
	return "reader"
}

var (
	// ErrIdle: a wait for the peer lasted longer than Options.Idle.
	ErrIdle = errors.New("timed out waiting for the peer")
	// ErrWouldBlock: Options.Nonblock and the ring had nothing to give
	// or no room.
	ErrWouldBlock = errors.New("the ring would block")
	// ErrReaderClosed: the reader left before the end of the stream.
	ErrReaderClosed = errors.New("the reader closed the stream")
	// ErrWriterStopped: the writer left before the end of its input.
	ErrWriterStopped = errors.New("the writer stopped before the end of the stream")
)

// PeerDiedError: the other side's pid is in the header but the process
// is gone, and it left without saying so.
type PeerDiedError struct {
	Role Role
	PID  int32
}

func (e *PeerDiedError) Error() string {
	if e.Role == Writer {
		return fmt.Sprintf("the writer (pid %d) died before the end of the stream", e.PID)
	}
	return fmt.Sprintf("the reader (pid %d) died before the end of the stream", e.PID)
}

// BusyError: the ring already has a live process on that side.
type BusyError struct {
	Role Role
	PID  int32
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("the ring already has a %s (pid %d)", e.Role, e.PID)
}

// ReadError and WriteError wrap a failure of the descriptor a Send reads
// or a Receive writes.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "read: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// WriteError is a failure writing a Receive's output.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "write: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// Ring is an attached ring: a validated header and the data area.
type Ring struct {
	data      []byte
	cap, mask uint64
	chunk     uint64

	flags          *atomic.Uint32
	writer, reader *atomic.Int32
	head, tail     *atomic.Uint64
	dataWait       *atomic.Uint32
	roomWait       *atomic.Uint32

	role Role
	pid  int32
	iov  [2]unix.Iovec
}

func u32(seg []byte, off int) *atomic.Uint32 { return (*atomic.Uint32)(unsafe.Pointer(&seg[off])) }
func i32(seg []byte, off int) *atomic.Int32  { return (*atomic.Int32)(unsafe.Pointer(&seg[off])) }
func u64(seg []byte, off int) *atomic.Uint64 { return (*atomic.Uint64)(unsafe.Pointer(&seg[off])) }

// Init writes the header of a new ring with a data area of capacity bytes
// into seg, a segment just created (so all zeros) of at least
// Size(capacity) bytes, and publishes it by storing the magic last.
func Init(seg []byte, capacity int64) error {
	if !ValidCapacity(capacity) {
		return fmt.Errorf("ring capacity %d is not a power of two from %d to %d", capacity, MinCapacity, int64(MaxCapacity))
	}
	if int64(len(seg)) < Size(capacity) {
		return fmt.Errorf("segment of %d bytes is too small for a %d-byte ring", len(seg), capacity)
	}
	initHeader(seg, uint64(capacity))
	u64(seg, offMagic).Store(Magic)
	return nil
}

// Attach validates the header of seg, a whole mapped segment, and returns
// the ring. ErrUninitialised means its creator has not published it yet.
func Attach(seg []byte) (*Ring, error) {
	if len(seg) == 0 || len(seg) >= 8 && u64(seg, offMagic).Load() == 0 {
		return nil, ErrUninitialised // load the magic first, with acquire
	}
	h, err := Validate(seg)
	if err != nil {
		return nil, err
	}
	return &Ring{
		data:     seg[HeaderSize : HeaderSize+h.Capacity],
		cap:      h.Capacity,
		mask:     h.Capacity - 1,
		chunk:    min(Chunk, h.Capacity/2),
		flags:    u32(seg, offFlags),
		writer:   i32(seg, offWriter),
		reader:   i32(seg, offReader),
		head:     u64(seg, offHead),
		tail:     u64(seg, offTail),
		dataWait: u32(seg, offDataWait),
		roomWait: u32(seg, offRoomWait),
	}, nil
}

// Capacity is the size of the data area.
func (r *Ring) Capacity() int64 { return int64(r.cap) }

// Header returns the header as it is now (the fields are read one by
// one, so a live ring may show a mix of moments).
func (r *Ring) Header() Header {
	return Header{
		Version: Version, Capacity: r.cap, Flags: r.flags.Load(),
		WriterPID: r.writer.Load(), ReaderPID: r.reader.Load(),
		Tail: r.tail.Load(), Head: r.head.Load(),
	}
}

func (r *Ring) side(role Role) *atomic.Int32 {
	if role == Writer {
		return r.writer
	}
	return r.reader
}

// Claim makes this process (pid) the ring's writer or reader. A side
// whose recorded process is dead is taken over; a live one is a
// *BusyError. A writer starts a new stream: the end, abort and closed
// flags of the last one are cleared (a reader still draining the last
// stream reads on into this one, as from a FIFO whose writers overlap).
// With remove, the ring is marked for removal by the last side to leave.
func (r *Ring) Claim(role Role, pid int32, remove bool) error {
	p := r.side(role)
	for {
		cur := p.Load()
		if cur != 0 && cur != pid && Alive(cur) {
			return &BusyError{Role: role, PID: cur}
		}
		if p.CompareAndSwap(cur, pid) {
			break
		}
	}
	r.role, r.pid = role, pid
	if role == Writer {
		r.flags.And(^uint32(FlagEOF | FlagWriterAbort | FlagDone | FlagReaderClosed))
	} else {
		r.flags.And(^uint32(FlagReaderClosed))
	}
	if remove {
		r.flags.Or(FlagRemove)
	}
	r.wakeAll()
	return nil
}

// Outcome is how a side leaves the ring.
type Outcome int

const (
	// Done: the writer reached the end of its input (readers will see
	// the end of the stream); the reader reached the end of the stream,
	// or reported the writer's abort or death.
	Done Outcome = iota
	// Abort: the side stopped early. The reader then sees that the
	// stream is incomplete; the writer that its reader closed it.
	Abort
	// Detach: the reader stopped waiting (-t, -n) but closed nothing; the
	// stream stays open for another reader.
	Detach
)

// Leave gives up this side. It returns true when the ring was marked for
// removal and this side must remove it: the other side is gone, no
// finished stream waits in the ring for a reader, and no other process
// has claimed the removal.
func (r *Ring) Leave(o Outcome) (remove bool) {
	switch {
	case r.role == Writer && o == Done:
		r.flags.Or(FlagEOF)
	case r.role == Writer:
		r.flags.Or(FlagWriterAbort)
	case o == Done:
		r.flags.Or(FlagDone)
	case o == Abort:
		r.flags.Or(FlagReaderClosed)
	}
	r.side(r.role).CompareAndSwap(r.pid, 0)
	r.wakeAll()

	f := r.flags.Load()
	if f&FlagRemove == 0 || f&FlagRemoved != 0 {
		return false
	}
	other := r.reader
	if r.role == Reader {
		other = r.writer
	}
	p := other.Load()
	if p != 0 && Alive(p) {
		return false
	}
	// A finished stream waits in the ring for a reader to come, unless
	// its reader came and went before the end: it closed the stream (a
	// signal stopped it) or died (a pid still recorded is a dead one).
	if r.role == Writer && o == Done && f&FlagDone == 0 && f&FlagReaderClosed == 0 && p == 0 {
		return false
	}
	for {
		if f&FlagRemoved != 0 {
			return false
		}
		if r.flags.CompareAndSwap(f, f|FlagRemoved) {
			return true
		}
		f = r.flags.Load()
	}
}

func (r *Ring) wakeAll() {
	r.dataWait.Store(0)
	wake(r.dataWait)
	r.roomWait.Store(0)
	wake(r.roomWait)
}

// Options shape a Send or a Receive.
type Options struct {
	Idle     time.Duration // give up one wait for the peer after this long; 0: never
	Nonblock bool          // never wait for the peer
	Moved    func(n int)   // counts each chunk moved; may be nil
}

// await blocks until ready() holds. It spins a little, then sleeps on the
// futex word w in ticks, and between ticks gives up on the death of the
// peer, Options.Idle and Options.Nonblock; ctx ends the sleep at once.
func (r *Ring) await(ctx context.Context, w *atomic.Uint32, ready func() bool, opt *Options) error {
	for range spins {
		if ready() {
			return nil
		}
	}
	if opt.Nonblock {
		return ErrWouldBlock
	}
	peer, peerRole := r.writer, Writer
	if r.role == Writer {
		peer, peerRole = r.reader, Reader
	}
	var deadline time.Time
	if opt.Idle > 0 {
		deadline = time.Now().Add(opt.Idle)
	}
	defer wakeOnDone(ctx, w)()
	for {
		w.Store(1)
		if ready() {
			return nil
		}
		// Look at ctx after raising the flag and before sleeping: a cancel
		// from here on clears the flag, and the sleep returns at once.
		if err := ctx.Err(); err != nil {
			return err
		}
		sleep(w, 1, tick)
		if ready() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p := peer.Load(); p != 0 && !Alive(p) {
			if ready() {
				return nil // it finished, then exited
			}
			// Acknowledge the death, so that the next process on this
			// side does not report it again, then report it.
			peer.CompareAndSwap(p, 0)
			if peerRole == Writer {
				r.flags.Or(FlagWriterAbort)
			} else {
				r.flags.Or(FlagReaderClosed)
			}
			return &PeerDiedError{Role: peerRole, PID: p}
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return ErrIdle
		}
	}
}

// Send reads fd into the ring until fd ends, returning the bytes moved.
// Each read(2) (readv(2) when the free space wraps around) goes straight
// into the ring's free space; the head then publishes it. It stops early
// with ErrReaderClosed when the reader leaves, a *PeerDiedError when the
// reader dies, ErrIdle or ErrWouldBlock per opt, ctx's error, or a
// *ReadError.
func (r *Ring) Send(ctx context.Context, fd int, opt Options) (int64, error) {
	head := r.head.Load()
	pollIn := !isRegular(fd)
	in := relay.NewWaiter(ctx)
	defer in.Close()
	var total int64
	for {
		// A signal stops even a writer that never waits (input from
		// /dev/zero, a reader keeping up).
		if err := ctx.Err(); err != nil {
			return total, err
		}
		if r.flags.Load()&FlagReaderClosed != 0 {
			return total, ErrReaderClosed
		}
		fill := head - r.tail.Load()
		if fill > r.cap {
			return total, corrupt("tail moved past head %d", head)
		}
		if fill == r.cap {
			err := r.await(ctx, r.roomWait, func() bool {
				return head-r.tail.Load() < r.cap || r.flags.Load()&FlagReaderClosed != 0
			}, &opt)
			if err != nil {
				return total, err
			}
			continue
		}
		if pollIn {
			if err := in.Wait(fd, unix.POLLIN); err != nil {
				return total, err
			}
		}
		n, err := r.transfer(unix.SYS_READV, fd, head, min(r.cap-fill, r.chunk))
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err == unix.EFAULT:
			return total, fault.ErrFault // the object was truncated under us
		case err != nil:
			return total, &ReadError{err}
		case n == 0:
			return total, r.ended(head) // end of input
		}
		head += uint64(n)
		r.head.Store(head)
		if r.dataWait.Load() != 0 {
			r.dataWait.Store(0)
			wake(r.dataWait)
		}
		total += int64(n)
		if opt.Moved != nil {
			opt.Moved(n)
		}
	}
}

// ended is how a Send that reached the end of its input ends: well,
// unless bytes it put in the ring stay unread because the reader left or
// died meanwhile.
func (r *Ring) ended(head uint64) error {
	if r.tail.Load() == head {
		return nil
	}
	if r.flags.Load()&FlagReaderClosed != 0 {
		return ErrReaderClosed
	}
	if p := r.reader.Load(); p != 0 && !Alive(p) {
		return &PeerDiedError{Role: Reader, PID: p}
	}
	return nil
}

// Receive writes the stream to fd until the writer's end of stream,
// returning the bytes moved. Each write(2) (writev(2) when the filled
// space wraps around) goes straight from the ring; the tail then frees
// the space. It stops early with ErrWriterStopped when the writer left
// before its end, a *PeerDiedError when it died, ErrIdle or
// ErrWouldBlock per opt, ctx's error, or a *WriteError.
func (r *Ring) Receive(ctx context.Context, fd int, opt Options) (int64, error) {
	tail := r.tail.Load()
	out := newOutput(ctx, fd)
	defer out.close()
	var total int64
	// end reports whether the stream has ended: the writer marked its end
	// (or its abort) and the reader has not yet consumed it.
	end := func() uint32 {
		f := r.flags.Load()
		if f&FlagDone != 0 {
			return 0
		}
		return f & (FlagEOF | FlagWriterAbort)
	}
	for {
		// A signal stops even a reader that never waits.
		if err := ctx.Err(); err != nil {
			return total, err
		}
		fill := r.head.Load() - tail
		if fill > r.cap {
			return total, corrupt("head ran more than the capacity past tail %d", tail)
		}
		if fill == 0 {
			// The writer stores its last head before it marks the end,
			// so an end seen here means a second look at the head is final.
			if f := end(); f != 0 && r.head.Load() == tail {
				if f&FlagEOF != 0 {
					return total, nil
				}
				return total, ErrWriterStopped
			}
			err := r.await(ctx, r.dataWait, func() bool {
				return r.head.Load() != tail || end() != 0
			}, &opt)
			if err != nil {
				return total, err
			}
			continue
		}
		n, err := out.write(r, tail, min(fill, r.chunk))
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// A full pipe: wait for room in poll(2), where a signal
			// reaches, never in a blocked write(2).
			if err := out.wait(); err != nil {
				return total, err
			}
			continue
		case err == unix.EFAULT:
			return total, fault.ErrFault
		case err != nil:
			return total, &WriteError{err}
		case n == 0:
			return total, &WriteError{syscall.EIO}
		}
		tail += uint64(n)
		r.tail.Store(tail)
		if r.roomWait.Load() != 0 {
			r.roomWait.Store(0)
			wake(r.roomWait)
		}
		total += int64(n)
		if opt.Moved != nil {
			opt.Moved(n)
		}
	}
}

// transfer reads into (SYS_READV) or writes from (SYS_WRITEV) the n ring
// bytes starting at counter at, as one span or, across the end of the
// data area, two.
func (r *Ring) transfer(sysno uintptr, fd int, at, n uint64) (int, error) {
	cnt := r.spans(at, n)
	got, _, e := unix.Syscall(sysno, uintptr(fd), uintptr(unsafe.Pointer(&r.iov[0])), uintptr(cnt))
	if e != 0 {
		return 0, e
	}
	return int(got), nil
}

// spans points r.iov at the n ring bytes starting at counter at, as one
// span or, across the end of the data area, two, and returns how many.
func (r *Ring) spans(at, n uint64) int {
	pos := at & r.mask
	first := min(n, r.cap-pos)
	r.iov[0].Base = &r.data[pos]
	r.iov[0].SetLen(int(first))
	if first == n {
		return 1
	}
	r.iov[1].Base = &r.data[0]
	r.iov[1].SetLen(int(n - first))
	return 2
}

func isRegular(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}
