package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/shm"
	win "github.com/ipcats/ipcats/internal/window"
)

// defaultCreateSize is the size -r -c gives a segment when -s is absent:
// one page, room for a status line or a small record.
const defaultCreateSize = 4096

// window returns the [lo, hi) byte range of a segment of size that -o and
// -L select.
func window(o *options, size int64, obj string) (lo, hi int64, err error) {
	return win.Bounds(obj, "segment", o.Offset.N, o.Length.N, o.Length.Set, size)
}

// write copies standard input into the segment. Nothing is written unless
// all of the input fits: a regular file is measured first and read straight
// into the segment; other input (a pipe, a terminal) is spooled first into
// an anonymous memory file, at most one byte more than the room.
//
// (Over 80 lines: the room, the input and the segment are settled in
// one sequence, since a segment this run makes must go again on failure.)
func write(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) (err error) {
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	if o.Excl && shm.Exists(name) {
		return openErr(obj, shm.ErrExist)
	}
	seg, err := shm.Open(name, true)
	switch {
	case err == nil:
		defer seg.Close()
		if err := sameSize(o, seg, obj); err != nil {
			return err
		}
	case errors.Is(err, shm.ErrNotExist) && name.Kind != ipcname.ID:
		seg = nil
	default:
		return openErr(obj, err)
	}

	// room is how much input the window takes; -1 when a new segment will
	// be sized to the input.
	room := int64(-1)
	switch {
	case seg != nil:
		lo, hi, err := window(o, seg.Size, obj)
		if err != nil {
			return err
		}
		room = hi - lo
	case o.Size.Set:
		if o.Offset.N > o.Size.N {
			return cli.Usagef("offset %d is beyond the %d bytes -s asks for", o.Offset.N, o.Size.N)
		}
		room = o.Size.N - o.Offset.N
		if o.Length.Set {
			room = min(room, o.Length.N)
		}
	case o.Length.Set:
		room = o.Length.N
	}

	in := int(env.Stdin.Fd())
	n := win.RegularLeft(in) // -1 unless stdin is a regular file that says its size
	if n < 0 {
		limit := int64(-1)
		if room >= 0 {
			limit = room + 1
		}
		spool, got, err := relay.Spool(ctx, in, limit, m)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return cli.Fail("standard input", err, "")
		}
		defer spool.Close()
		in, n = int(spool.Fd()), got
	} else {
		m.Add(int(n))
	}
	if room >= 0 && n > room {
		return cli.Failf(obj, "", "input is larger than the %d-byte window (at offset %d); nothing written", room, o.Offset.N)
	}

	fresh := false // a segment this run made: all zeros already
	if seg == nil {
		size := o.Offset.N + n
		switch {
		case o.Size.Set:
			size = o.Size.N
		case o.Length.Set:
			size = o.Offset.N + o.Length.N
		}
		seg, err = shm.Create(name, size, o.Mode.Or(0o600))
		switch {
		case errors.Is(err, shm.ErrExist) && !o.Excl:
			// Someone created it since we looked (a reader with -c, another
			// writer): write into theirs, as if it had been there first.
			if seg, err = shm.Open(name, true); err != nil {
				return openErr(obj, err)
			}
			defer seg.Close()
			if err := sameSize(o, seg, obj); err != nil {
				return err
			}
			if lo, hi, err := window(o, seg.Size, obj); err != nil {
				return err
			} else if n > hi-lo {
				return cli.Failf(obj, "", "input is larger than the %d-byte window (at offset %d); nothing written", hi-lo, lo)
			}
		case err != nil:
			return openErr(obj, err)
		default:
			fresh = true
			defer seg.Close()
			// Leave no half-written segment of ours behind, also when a
			// signal finds the run stuck and cli ends it.
			var kept atomic.Bool
			undo := env.Cleanup(func() {
				if !kept.Load() {
					shm.Remove(name)
				}
			})
			defer func() {
				kept.Store(err == nil)
				undo()
			}()
		}
	}
	lo, hi, err := window(o, seg.Size, obj)
	if err != nil {
		return err
	}
	reserve := hi - lo
	if fresh || o.NoClear {
		reserve = n // only the data is written
	}
	if err := seg.Reserve(lo, reserve); err != nil {
		return spaceErr(obj, err, "nothing written")
	}
	err = fault.Guard(func() error {
		dst := seg.Mem[lo:hi]
		got, err := relay.ReadFull(ctx, in, dst[:n])
		if err != nil {
			return cli.Fail("standard input", err, "")
		}
		if int64(got) < n {
			n = int64(got) // the file shrank while we read it
		}
		if !o.NoClear && !fresh {
			// (A new segment is zeros already; clearing it would only
			// make every page of it resident.)
			clear(dst[n:])
		}
		return nil
	})
	if shm.IsFault(err) {
		return spaceErr(obj, seg.Fault(), "")
	}
	if err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("wrote", fmt.Sprintf("to %s at offset %d", where(seg, obj), lo)))
	}
	return nil
}

// sameSize refuses an existing segment whose size -s contradicts.
func sameSize(o *options, seg *shm.Segment, obj string) error {
	if o.Size.Set && o.Size.N != seg.Size {
		return cli.Failf(obj, "leave out -s to use it as it is", "segment is %d bytes, not %d (-s)", seg.Size, o.Size.N)
	}
	return nil
}

// where names the segment in -v lines: the name as given plus what the
// kernel knows it by.
func where(seg *shm.Segment, obj string) string {
	switch {
	case seg.POSIX():
		return obj
	case seg.Name.Kind == ipcname.ID:
		return fmt.Sprintf("%s (key %s)", obj, ipcname.FormatKey(seg.Key))
	}
	return fmt.Sprintf("%s (id %d)", obj, seg.ID)
}

// openForRead opens the segment, creating it with -c, or waiting for it to
// appear under -t (and not at all under -n).
func openForRead(ctx context.Context, o *options, name ipcname.Name, obj string) (*shm.Segment, error) {
	for {
		seg, err := shm.Open(name, false)
		if !errors.Is(err, shm.ErrNotExist) {
			if err != nil {
				return nil, openErr(obj, err)
			}
			if err := sameSize(o, seg, obj); err != nil {
				seg.Close()
				return nil, err
			}
			return seg, nil
		}
		switch {
		case o.Create && name.Kind == ipcname.ID:
			return nil, cli.Fail(obj, shm.ErrNotExist, "an id names a segment that exists; it cannot be created")
		case o.Create:
			size := int64(defaultCreateSize)
			if o.Size.Set {
				size = o.Size.N
			}
			if _, _, err := window(o, size, obj); err != nil {
				return nil, err // refuse before creating anything
			}
			seg, err := shm.Create(name, size, o.Mode.Or(0o600))
			if errors.Is(err, shm.ErrExist) {
				continue // created by someone else meanwhile
			}
			if err != nil {
				return nil, openErr(obj, err)
			}
			seg.Close()
			continue // reopen read-only, as a reader
		case o.Nonblock:
			return nil, cli.Nothing(obj, "no such segment")
		case !o.Timeout.Set:
			return nil, cli.Fail(obj, shm.ErrNotExist, "use -c to create it, or -t to wait for it")
		}
		if err := cli.Appear(ctx, obj, "segment"); err != nil {
			return nil, err
		}
	}
}

// trim is the part of the window -r prints: up to the last non-NUL byte
// (default), every byte (-a), or up to the first NUL (-z).
func trim(o *options) win.Trim {
	switch {
	case o.All:
		return win.All
	case o.CString:
		return win.ToNUL
	}
	return win.LastNUL
}

// read copies the window to standard output, straight from the mapping.
func read(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	ctx, cancel := o.Wait.Deadline(ctx)
	defer cancel()
	seg, err := openForRead(ctx, o, name, obj)
	if err != nil {
		return err
	}
	defer seg.Close()
	lo, hi, err := window(o, seg.Size, obj)
	if err != nil {
		return err
	}
	src := seg.Fd() // POSIX: emit from the descriptor
	if !seg.POSIX() {
		src = -1
		win.Populate(seg.Mem)
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	var out []byte
	if err := fault.Guard(func() error { out = win.Content(trim(o), seg.Mem[lo:hi]); return nil }); err != nil {
		return cli.Fail(obj, err, "")
	}
	if err := win.EmitFrom(ctx, int(env.Stdout.Fd()), src, obj, lo, out, m); err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("read", fmt.Sprintf("from %s at offset %d", where(seg, obj), lo)))
	}
	return nil
}

// follow prints the window now and each time it changes, like tail -f.
func follow(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	ctx, cancel := o.Wait.Deadline(ctx)
	defer cancel()
	// Stop as soon as our reader goes (| head), not at the next change.
	ctx, stopWatch := cli.WatchOutput(ctx, int(env.Stdout.Fd()))
	defer stopWatch()
	seg, err := openForRead(ctx, o, name, obj)
	if err != nil {
		return err
	}
	defer seg.Close()
	lo, hi, err := window(o, seg.Size, obj)
	if err != nil {
		return err
	}
	every := 100 * time.Millisecond
	if o.Interval.Set {
		every = o.Interval.D
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	// Look at the mapping, and copy a new version out of it, only under
	// the guard: another process may truncate a POSIX object at any
	// moment, and then every touch of the mapping faults.
	err = win.Follow(ctx, int(env.Stdout.Fd()), every, o.Nonblock, m, func() (cur []byte, _ bool, err error) {
		if err := fault.Guard(func() error {
			cur = bytes.Clone(win.Content(trim(o), seg.Mem[lo:hi]))
			return nil
		}); err != nil {
			return nil, false, cli.Fail(obj, err, "")
		}
		return cur, false, nil
	})
	if err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("printed", "from "+where(seg, obj)))
	}
	if !m.Moved() {
		// -t or -n ended a run that printed nothing: exit 3.
		return cli.Nothing(obj, "segment is empty")
	}
	return nil
}
