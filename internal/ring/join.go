package ring

import (
	"context"
	"errors"
	"time"

	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/shm"
)

// InitWait is how long Join waits for the header of a ring the other side
// has just created: a segment still all zeros after it is not a ring.
const InitWait = 2 * time.Second

// ErrNoHeader: the segment is still all zeros where a ring header should
// be after InitWait.
var ErrNoHeader = errors.New("segment is all zeros where a ring header should be")

// OpenError is a failure to open or create the segment itself.
type OpenError struct{ Err error }

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// InitError is a failure to give a new ring its pages (Reserve: a full
// /dev/shm is an *shm.SpaceError) or to write its header.
type InitError struct {
	Err     error
	Reserve bool // the pages could not be reserved
}

func (e *InitError) Error() string { return e.Err.Error() }
func (e *InitError) Unwrap() error { return e.Err }

// Join opens the ring at name, creating it with capacity and mode when
// absent (excl: only create). When two sides start at once, the exclusive
// create lets exactly one of them make the segment and write its header;
// the other waits for the header to be published. A ring this call made
// and could not set up is removed again. Other errors are Attach's.
func Join(ctx context.Context, name ipcname.Name, capacity int64, mode uint32, excl bool) (*shm.Segment, *Ring, error) {
	var deadline time.Time
	for {
		if !excl {
			seg, err := shm.Open(name, true)
			if err == nil {
				r, err := Attach(seg.Mem)
				if errors.Is(err, ErrUninitialised) {
					seg.Close()
					if deadline.IsZero() {
						deadline = time.Now().Add(InitWait)
					}
					if time.Now().After(deadline) {
						return nil, nil, ErrNoHeader
					}
					select {
					case <-ctx.Done():
						return nil, nil, ctx.Err()
					case <-time.After(5 * time.Millisecond):
					}
					continue
				}
				if err != nil {
					seg.Close()
					return nil, nil, err
				}
				return seg, r, nil
			}
			if !errors.Is(err, shm.ErrNotExist) || name.Kind == ipcname.ID {
				return nil, nil, &OpenError{err}
			}
		}
		seg, err := shm.Create(name, Size(capacity), mode)
		if errors.Is(err, shm.ErrExist) && !excl {
			continue // the other side created it first: join it
		}
		if err != nil {
			return nil, nil, &OpenError{err}
		}
		r, err := setUp(seg, capacity)
		if err != nil {
			seg.Close()
			shm.Remove(name) // what a failed run made, it removes
			return nil, nil, err
		}
		return seg, r, nil
	}
}

// setUp writes the header of a ring just created. A POSIX ring is first
// given all its pages: /dev/shm is a tmpfs, and a full one would otherwise
// fault in the middle of the stream.
func setUp(seg *shm.Segment, capacity int64) (*Ring, error) {
	if err := seg.Reserve(0, seg.Size); err != nil {
		return nil, &InitError{Err: err, Reserve: true}
	}
	err := fault.Guard(func() error { return Init(seg.Mem, capacity) })
	if shm.IsFault(err) {
		err = seg.Fault()
	}
	if err != nil {
		return nil, &InitError{Err: err}
	}
	return Attach(seg.Mem)
}
