package ring

import (
	"context"
	"errors"
	"os"
	"sync/atomic"

	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/shm"
)

// A Side is one end of a stream through a ring that Join opened.
type Side struct {
	Role   Role
	Remove bool // mark the ring for removal by the last side to leave (--rm)
	Options
}

// Result is how one side's stream ended.
type Result struct {
	N     int64 // bytes this side moved
	Taken int64 // the writer's: how many of its N bytes the reader consumed
	// Err is the Send's or the Receive's; a fault of the mapping is the
	// segment's Fault (truncated, or /dev/shm is full).
	Err error
	// RemoveErr is a failure to remove the segment when this side left
	// it last with the ring marked for removal.
	RemoveErr error
	// Removed says that this side removed the segment (the last to
	// leave a ring marked for removal); a side that asked for the
	// removal and left first leaves it to the other.
	Removed bool
}

// Stream claims the ring for this process, moves data between fd and the
// ring (the writer Sends what it reads from fd, the reader Receives into
// fd), and leaves the ring the way the end of the stream implies
// (LeaveAs), removing the segment when this side is the last of a ring
// marked for removal. The leave is registered with atExit (cli's
// Env.Cleanup), which runs it also when a signal finds the run stuck: the
// ring is never left claimed by a process that is gone. The error is the
// claim's (*BusyError); how the stream ended is in the Result.
func Stream(ctx context.Context, seg *shm.Segment, r *Ring, fd int, s Side, atExit func(func()) func()) (Result, error) {
	if err := r.Claim(s.Role, int32(os.Getpid()), s.Remove); err != nil {
		return Result{}, err
	}
	var res Result
	var outcome atomic.Int32
	outcome.Store(int32(Abort))
	leave := atExit(func() {
		fault.Guard(func() error {
			if r.Leave(Outcome(outcome.Load())) {
				if err := shm.Remove(seg.Name); err != nil && !errors.Is(err, shm.ErrNotExist) {
					res.RemoveErr = err
				} else {
					res.Removed = true
				}
			}
			return nil
		})
	})
	if s.Role == Writer {
		start := r.Header().Head
		res.N, res.Err = r.Send(ctx, fd, s.Options)
		res.Taken = min(max(int64(r.Header().Tail-start), 0), res.N)
	} else {
		res.N, res.Err = r.Receive(ctx, fd, s.Options)
	}
	if shm.IsFault(res.Err) {
		res.Err = seg.Fault()
	}
	outcome.Store(int32(LeaveAs(s.Role, res.Err)))
	leave()
	return res, nil
}

// LeaveAs is how a side whose Send or Receive ended with err leaves the
// ring: a writer is Done only at the end of its input; a reader is Done
// at the end of the stream or when the writer stopped or died, Detaches
// when it stopped waiting (Options.Idle or Nonblock) and Aborts on
// anything else, closing the stream.
func LeaveAs(role Role, err error) Outcome {
	var died *PeerDiedError
	switch {
	case err == nil:
		return Done
	case role == Writer:
		return Abort
	case errors.Is(err, ErrWriterStopped), errors.As(err, &died):
		return Done
	case errors.Is(err, ErrIdle), errors.Is(err, ErrWouldBlock):
		return Detach
	}
	return Abort
}
