package main

import (
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
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/ring"
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
		}
		if err := cli.Missing(ctx, obj, "segment", o.Nonblock, o.Timeout.Set, shm.ErrNotExist); err != nil {
			return nil, err
		}
	}
}

// reader is the frame of a -r or -f run: -t, --progress, -v and -i.
// trim is the part of the window -r prints: up to the last non-NUL byte
// (default), every byte (-a), or up to the first NUL (-z).
func reader(env *cli.Env, o *options) (*win.Run, win.Trim) {
	return &win.Run{Env: env, Wait: o.Wait, Progress: o.Progress, Verbose: o.Verbose, Interval: o.Interval, Offset: o.Offset.N},
		win.Pick(win.LastNUL, o.All, o.CString, false)
}

// read copies the window to standard output, straight from the mapping;
// follow prints it now and each time it changes, like tail -f.
func read(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	r, t := reader(env, o)
	if o.Follow {
		return r.Follow(ctx, obj, "segment is empty", func(ctx context.Context) (*win.Source, error) {
			seg, lo, hi, err := openWindow(ctx, o, name, obj)
			if err != nil {
				return nil, err
			}
			return &win.Source{Where: where(seg, obj), Look: win.MapLook(ctx, obj, t, seg.Mem[lo:hi]), Close: func() { seg.Close() }}, nil
		})
	}
	return r.Read(ctx, func(ctx context.Context) (*win.Source, error) {
		seg, lo, hi, err := openWindow(ctx, o, name, obj)
		if err != nil {
			return nil, err
		}
		fd := seg.Fd() // POSIX: emit from the descriptor
		if !seg.POSIX() {
			fd = -1
		}
		return &win.Source{Where: where(seg, obj), Print: win.PrintMapped(obj, t, seg.Mem, fd, lo, hi), Close: func() { seg.Close() }}, nil
	})
}

// openWindow opens the segment to read (openForRead) and finds the window.
func openWindow(ctx context.Context, o *options, name ipcname.Name, obj string) (*shm.Segment, int64, int64, error) {
	seg, err := openForRead(ctx, o, name, obj)
	if err != nil {
		return nil, 0, 0, err
	}
	lo, hi, err := window(o, seg.Size, obj)
	if err != nil {
		seg.Close()
		return nil, 0, 0, err
	}
	return seg, lo, hi, nil
}

// checkStream refuses options that mean nothing with --stream.
func checkStream(act cli.Action, o *options) error {
	switch {
	case !o.Stream:
		return nil
	case act != cli.ActRead && act != cli.ActWrite && act != cli.ActStat:
		return cli.Usagef("--stream goes with -r, -w or --stat")
	case o.Offset.Set || o.Length.Set || o.All || o.CString || o.Follow || o.Interval.Set || o.NoClear:
		return cli.Usagef("-o, -L, -a, -z, -f, -i and --no-clear do not go with --stream")
	case o.Nonblock && act == cli.ActWrite:
		return cli.Usagef("-n goes with -r --stream (a writer waits for room; use -t to bound it)")
	case o.Size.Set && !ring.ValidCapacity(o.Size.N):
		return cli.Usagef("-s with --stream is the ring's data size: a power of two from 4K to 1T, such as 4M")
	}
	return nil
}

// stream runs -r or -w with --stream: standard input into the ring, or
// the ring to standard output, until the end of the stream. A POSIX
// object truncated under it (SIGBUS on the mapping) ends it with exit 1.
func stream(ctx context.Context, env *cli.Env, o *options, act cli.Action, rmAfter bool, name ipcname.Name, obj string) error {
	err := fault.Guard(func() error { return streamRing(ctx, env, o, act, rmAfter, name, obj) })
	var ce *cli.Error
	if errors.Is(err, fault.ErrFault) && !errors.As(err, &ce) {
		return cli.Fail(obj, err, "")
	}
	return err
}

func streamRing(ctx context.Context, env *cli.Env, o *options, act cli.Action, rmAfter bool, name ipcname.Name, obj string) error {
	seg, r, err := openRing(ctx, o, act, name, obj)
	if err != nil {
		return err
	}
	defer seg.Close()
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	side := ring.Side{Role: ring.Reader, Remove: rmAfter, Options: ring.Options{Nonblock: o.Nonblock, Moved: m.Add}}
	fd := int(env.Stdout.Fd())
	if act == cli.ActWrite {
		side.Role, fd = ring.Writer, int(env.Stdin.Fd())
	}
	if o.Timeout.Set {
		side.Idle = max(o.Timeout.D, time.Nanosecond)
	}
	res, err := ring.Stream(ctx, seg, r, fd, side, env.Cleanup)
	if err != nil {
		return cli.Fail(obj, err, "a ring has one writer and one reader at a time")
	}
	verb, what := "read", "from the ring "
	if side.Role == ring.Writer {
		err, verb, what = sendErr(env, o, res, obj), "wrote", "into the ring "
	} else {
		err = receiveErr(res.Err, obj, res.N)
	}
	if err == nil && o.Verbose && (side.Role == ring.Reader || res.Err == nil) {
		env.Warnf("%s", m.Summary(verb, what+where(seg, obj)))
	}
	if err == nil && res.RemoveErr != nil {
		err = openErr(obj, res.RemoveErr)
	}
	return err
}

// sendErr is the run's error for how a Send ended: res.N bytes went into
// the ring, the reader took res.Taken.
func sendErr(env *cli.Env, o *options, res ring.Result, obj string) error {
	err := res.Err
	delivered := fmt.Sprintf("%d bytes written into the ring, %d of them read", res.N, res.Taken)
	var died *ring.PeerDiedError
	var rerr *ring.ReadError
	var cerr *ring.CorruptError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ring.ErrIdle) && res.Taken > 0:
		// SPEC: -t stopping a run that moved data exits 0; say what was left.
		env.Warnf("%s: no room for %v; stopped with %s; the rest of the input was not read", obj, o.Timeout.D, delivered)
		return nil
	case errors.Is(err, ring.ErrIdle):
		return cli.Timeout(obj, "waiting for a reader ("+delivered+")")
	case errors.Is(err, ring.ErrReaderClosed):
		return cli.Failf(obj, "", "the reader closed the stream; %s", delivered)
	case errors.As(err, &died):
		return cli.Failf(obj, "", "%v; %s", died, delivered)
	case errors.As(err, &rerr):
		return cli.Failf("standard input", "", "%v; %s", cli.Message(rerr.Err), delivered)
	case errors.As(err, &cerr):
		return cli.Failf(obj, "remove it with shmcat --rm", "%v; %s", cerr, delivered)
	case errors.Is(err, fault.ErrFault), errors.Is(err, shm.ErrNoSpace):
		return spaceErr(obj, err, delivered)
	}
	return err // a signal: cli exits 128+N
}

// receiveErr is the run's error for how a Receive ended; n bytes went to
// standard output.
func receiveErr(err error, obj string, n int64) error {
	received := fmt.Sprintf("%d bytes received", n)
	var died *ring.PeerDiedError
	var werr *ring.WriteError
	var cerr *ring.CorruptError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ring.ErrWriterStopped):
		return cli.Failf(obj, "", "%v; %s", err, received)
	case errors.As(err, &died):
		return cli.Failf(obj, "", "%v; %s", died, received)
	case errors.Is(err, ring.ErrIdle) && n == 0:
		return cli.Timeout(obj, "waiting for the writer")
	case errors.Is(err, ring.ErrWouldBlock) && n == 0:
		return cli.Nothing(obj, "the ring is empty")
	case errors.Is(err, ring.ErrIdle), errors.Is(err, ring.ErrWouldBlock):
		return nil
	case errors.As(err, &werr):
		return cli.Output(werr.Err)
	case errors.As(err, &cerr):
		return cli.Failf(obj, "remove it with shmcat --rm", "%v; %s", cerr, received)
	case errors.Is(err, fault.ErrFault), errors.Is(err, shm.ErrNoSpace):
		return spaceErr(obj, err, received)
	}
	return err
}

// openRing opens the ring, creating it when absent (ring.Join), and says
// what went wrong in shmcat's words.
func openRing(ctx context.Context, o *options, act cli.Action, name ipcname.Name, obj string) (*shm.Segment, *ring.Ring, error) {
	capacity := int64(ring.DefaultCapacity)
	if o.Size.Set {
		capacity = o.Size.N
	}
	seg, r, err := ring.Join(ctx, name, capacity, o.Mode.Or(0o600), act == cli.ActWrite && o.Excl)
	var oe *ring.OpenError
	var ie *ring.InitError
	var se *shm.SpaceError
	switch {
	case err == nil:
	case errors.Is(err, ring.ErrNoHeader):
		return nil, nil, cli.Failf(obj, "it is not a ring; remove it with shmcat --rm, or read it without --stream", "%v", err)
	case errors.As(err, &oe):
		return nil, nil, openErr(obj, oe.Err)
	case errors.As(err, &ie) && ie.Reserve && errors.As(ie.Err, &se):
		se.What = "a " + meter.Bytes(capacity) + " ring"
		return nil, nil, cli.Fail(obj, se, shm.SpaceHint+", or use a smaller -s")
	case errors.As(err, &ie) && ie.Reserve:
		return nil, nil, cli.Fail(obj, ie.Err, "")
	case errors.As(err, &ie):
		return nil, nil, spaceErr(obj, ie.Err, "")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, nil, err
	default:
		return nil, nil, ringErr(obj, err)
	}
	if o.Size.Set && o.Size.N != r.Capacity() {
		seg.Close()
		return nil, nil, cli.Failf(obj, "leave out -s to join it", "ring holds %d bytes, not %d (-s)", r.Capacity(), o.Size.N)
	}
	return seg, r, nil
}

// spaceErr makes err, from a write into the segment, the run's error,
// with the hint for a full /dev/shm when that was the cause and what
// was done before it (when not empty) after the message.
func spaceErr(obj string, err error, done string) error {
	if err == nil {
		return nil
	}
	if done != "" {
		done = "; " + done
	}
	var se *shm.SpaceError
	if errors.As(err, &se) {
		return cli.Failf(obj, shm.SpaceHint, "%v%s", se, done)
	}
	return cli.Failf(obj, "", "%v%s", err, done)
}

// ringErr explains a segment that is not a usable ring.
func ringErr(obj string, err error) error {
	var ce *ring.CorruptError
	switch {
	case errors.Is(err, ring.ErrNotRing):
		return cli.Fail(obj, err, "read it without --stream, or use another key or name")
	case errors.As(err, &ce):
		return cli.Fail(obj, err, "remove it with shmcat --rm")
	}
	return cli.Fail(obj, err, "")
}

// statRing is --stat: the segment's attributes, and the ring's when it
// holds one. With --stream, a segment that is not a ring is an error.
func statRing(env *cli.Env, o *options, name ipcname.Name, obj string) error {
	i, err := shm.StatName(name)
	if err != nil {
		return openErr(obj, err)
	}
	rec := withIdle(o, time.Now(), i)
	extra := ring.StatFields(name, i.Size)
	if extra == nil && o.Stream {
		return cli.Fail(obj, ring.ErrNotRing, "leave out --stream to see the segment")
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, append(rec, extra...)))
}

// stale applies SPEC's rule to a segment: orphaned (shm's test: no
// attachment and a dead creator, or no process holding a POSIX object)
// AND idle for --idle.
func stale(o *options, now time.Time, i shm.Info) bool {
	return i.Stale && o.Idle.Stale(now, i.LastUse()...)
}

// withIdle is the record of a segment with its idle time and the stale
// rule with --idle's test.
func withIdle(o *options, now time.Time, i shm.Info) report.Record {
	i.Stale = stale(o, now, i)
	return i.Record(cli.IdleFor(now, i.LastUse()...))
}

// listColumns are the --list columns: ipcs -m's, with the family and staleness.
var listColumns = []string{"type", "name", "id", "size", "mode", "owner", "nattch", "cpid", "lpid", "idle", "stale"}

func list(env *cli.Env, o *options) error {
	infos, err := shm.List()
	if err != nil {
		return cli.Fail("shared memory", err, "")
	}
	now := time.Now()
	var rows []report.Record
	for _, i := range infos {
		if o.Actions.Stale && !stale(o, now, i) {
			continue
		}
		r := withIdle(o, now, i)
		if !o.JSON && !i.POSIX {
			// One NAME column for both families: the key as ipcs prints it.
			r = append(r, report.Field{Name: "name", Value: ipcname.FormatKey(i.Key)})
		}
		rows = append(rows, r)
	}
	return cli.Output(report.List(env.Stdout, o.JSON, listColumns, rows))
}

func remove(name ipcname.Name, obj string) error {
	if err := shm.Remove(name); err != nil {
		return openErr(obj, err)
	}
	return nil
}

// removeStale removes the stale segments this user may remove (root: all;
// others: the ones they own or created), printing each as it goes.
func removeStale(env *cli.Env, o *options) error {
	infos, err := shm.List()
	if err != nil {
		return cli.Fail("shared memory", err, "")
	}
	now := time.Now()
	var objs []cli.Stale
	for _, i := range infos {
		if !stale(o, now, i) {
			continue
		}
		n, what := i.Ref()
		objs = append(objs, cli.Stale{What: what, Owners: []uint32{i.UID, i.CUID}, Remove: func() error { return shm.Remove(n) }})
	}
	return env.Sweep("segments", o.DryRun, objs)
}
