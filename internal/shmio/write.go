package shmio

import (
	"context"
	"errors"
	"os"
	"sync/atomic"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/shm"
	win "github.com/ipcats/ipcats/internal/window"
)

// Write copies the input at in into the window of the segment name,
// counting it on m. Nothing is written unless all of the input fits: a
// regular file is measured first and read straight into the segment;
// other input (a pipe, a terminal) is spooled first into an anonymous
// memory file, at most one byte more than the room. An absent segment is
// created, sized by -s, -L or the input; one this call creates is removed
// again when the write fails, also when a signal finds the run stuck
// (atExit is cli's Env.Cleanup). It returns the segment, closed (its
// names remain, for messages), and the window's offset.
func Write(ctx context.Context, o *Options, name ipcname.Name, obj string, in int, m *meter.Meter, atExit func(func()) func()) (seg *shm.Segment, lo int64, err error) {
	if seg, err = o.openWrite(name, obj); err != nil {
		return nil, 0, err
	}
	if seg != nil {
		defer seg.Close()
	}
	room, err := o.room(seg, obj)
	if err != nil {
		return nil, 0, err
	}
	spool, n, err := measure(ctx, in, room, m)
	if err != nil {
		return nil, 0, err
	}
	counted := m // a regular input is counted as it is read in
	if spool != nil {
		defer spool.Close()
		in = int(spool.Fd())
		counted = nil // counted as it was spooled
	}
	if room >= 0 && n > room {
		return nil, 0, tooLarge(obj, room, o.Offset)
	}
	fresh := false // a segment this call made: all zeros already
	if seg == nil {
		if seg, fresh, err = o.create(name, obj, n); err != nil {
			return nil, 0, err
		}
		defer seg.Close()
	}
	if fresh {
		// Leave no half-written segment of ours behind, also when a
		// signal finds the run stuck and cli ends it.
		var kept atomic.Bool
		undo := atExit(func() {
			if !kept.Load() {
				shm.Remove(name)
			}
		})
		defer func() {
			kept.Store(err == nil)
			undo()
		}()
	}
	lo, err = o.copyIn(ctx, seg, obj, in, n, fresh, counted)
	return seg, lo, err
}

// readStep is how much of the input copyIn reads at a time.
const readStep = 8 << 20

func tooLarge(obj string, room, off int64) error {
	return cli.Failf(obj, "", "input is larger than the %d-byte window (at offset %d); nothing written", room, off)
}

// openWrite opens the segment to write into, or returns nil when it is
// absent and may be created (an id names only an existing one).
func (o *Options) openWrite(name ipcname.Name, obj string) (*shm.Segment, error) {
	if o.Excl && shm.Exists(name) {
		return nil, &OpenError{shm.ErrExist}
	}
	seg, err := shm.Open(name, true)
	switch {
	case err == nil:
		if err := o.SameSize(seg, obj); err != nil {
			seg.Close()
			return nil, err
		}
		return seg, nil
	case errors.Is(err, shm.ErrNotExist) && name.Kind != ipcname.ID:
		return nil, nil
	}
	return nil, &OpenError{err}
}

// room is how much input the window takes; -1 when a new segment will be
// sized to the input.
func (o *Options) room(seg *shm.Segment, obj string) (int64, error) {
	switch {
	case seg != nil:
		lo, hi, err := o.window(seg.Size, obj)
		return hi - lo, err
	case o.SizeSet:
		if o.Offset > o.Size {
			return 0, cli.Usagef("offset %d is beyond the %d bytes -s asks for", o.Offset, o.Size)
		}
		if o.LengthSet {
			return min(o.Size-o.Offset, o.Length), nil
		}
		return o.Size - o.Offset, nil
	case o.LengthSet:
		return o.Length, nil
	}
	return -1, nil
}

// measure says how long the input is: a regular file says so itself;
// other input is spooled into an anonymous memory file (returned: read
// from it instead), at most one byte more than room (-1: no bound).
func measure(ctx context.Context, in int, room int64, m *meter.Meter) (*os.File, int64, error) {
	if n := win.RegularLeft(in); n >= 0 {
		return nil, n, nil // counted as copyIn reads it
	}
	limit := int64(-1)
	if room >= 0 {
		limit = room + 1
	}
	spool, n, err := relay.Spool(ctx, in, limit, m)
	switch {
	case errors.Is(err, context.Canceled):
		return nil, 0, err
	case err != nil:
		return nil, 0, cli.Fail("standard input", err, "")
	}
	return spool, n, nil
}

// create makes the segment for n bytes of input at -o, sized by -s, -L or
// the input; fresh tells that this call made it. One that another process
// created since openWrite looked (a reader with -c, another writer) is
// written into as if it had been there first, unless -x.
func (o *Options) create(name ipcname.Name, obj string, n int64) (seg *shm.Segment, fresh bool, err error) {
	size := o.Offset + n
	switch {
	case o.SizeSet:
		size = o.Size
	case o.LengthSet:
		size = o.Offset + o.Length
	}
	seg, err = shm.Create(name, size, o.Mode)
	switch {
	case err == nil:
		return seg, true, nil
	case !errors.Is(err, shm.ErrExist) || o.Excl:
		return nil, false, &OpenError{err}
	}
	if seg, err = shm.Open(name, true); err != nil {
		return nil, false, &OpenError{err}
	}
	err = o.SameSize(seg, obj)
	if err == nil {
		var lo, hi int64
		if lo, hi, err = o.window(seg.Size, obj); err == nil && n > hi-lo {
			err = tooLarge(obj, hi-lo, lo)
		}
	}
	if err != nil {
		seg.Close()
		return nil, false, err
	}
	return seg, false, nil
}

// copyIn reads the n bytes of input at in into the window and clears the
// rest of it, unless --no-clear or the segment is fresh (all zeros
// already: clearing would only make every page of it resident). The
// pages written are reserved first, so that a full /dev/shm is an error
// here rather than a fault in the middle; every store runs under the
// fault guard. It returns the window's offset.
func (o *Options) copyIn(ctx context.Context, seg *shm.Segment, obj string, in int, n int64, fresh bool, m *meter.Meter) (int64, error) {
	lo, hi, err := o.window(seg.Size, obj)
	if err != nil {
		return 0, err
	}
	reserve := hi - lo
	if fresh || o.NoClear {
		reserve = n // only the data is written
	}
	if err := seg.Reserve(lo, reserve); err != nil {
		return 0, SpaceErr(obj, err, "nothing written")
	}
	err = fault.Guard(func() error {
		dst := seg.Mem[lo:hi]
		// In steps, so that --progress moves and a signal is seen
		// between them.
		var got int64
		for got < n {
			k, err := relay.ReadFull(ctx, in, dst[got:got+min(readStep, n-got)])
			got += int64(k)
			if m != nil {
				m.Add(k)
			}
			if err != nil {
				return cli.Fail("standard input", err, "")
			}
			if int64(k) < min(readStep, n-got+int64(k)) {
				break // the file shrank while we read it
			}
		}
		n = got
		if !o.NoClear && !fresh {
			clear(dst[n:])
		}
		return nil
	})
	if shm.IsFault(err) {
		return 0, SpaceErr(obj, seg.Fault(), "")
	}
	return lo, err
}
