package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/pipeout"
	"github.com/ipcats/ipcats/internal/region"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/shm"
)

// defaultCreateSize is the size -r -c gives a segment when -s is absent:
// one page, room for a status line or a small record.
const defaultCreateSize = 4096

// window returns the [lo, hi) byte range of a segment of size that -o and
// -L select.
func window(o *options, size int64, obj string) (lo, hi int64, err error) {
	lo, hi = o.Offset.N, size
	if lo > size {
		return 0, 0, cli.Failf(obj, "", "offset %d is beyond the end of the %d-byte segment", lo, size)
	}
	if o.Length.Set {
		if lo+o.Length.N > size {
			return 0, 0, cli.Failf(obj, "", "window of %d bytes at offset %d runs past the end of the %d-byte segment", o.Length.N, lo, size)
		}
		hi = lo + o.Length.N
	}
	return lo, hi, nil
}

// write copies standard input into the segment. Nothing is written unless
// all of the input fits: a regular file is measured first and read straight
// into the segment; other input (a pipe, a terminal) is spooled first into
// an anonymous memory file, at most one byte more than the room.
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
	n := regularLeft(in) // -1 unless stdin is a regular file that says its size
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

// regularLeft is what remains to read of a regular file, or -1 for other
// input and for files that do not know their size (/proc files say 0).
func regularLeft(fd int) int64 {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size == 0 {
		return -1
	}
	pos, err := unix.Seek(fd, 0, 1)
	if err != nil {
		return -1
	}
	return max(st.Size-pos, 0)
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

// content returns the part of the window -r prints: up to the last
// non-NUL byte (default), every byte (-a), or up to the first NUL (-z).
func content(o *options, w []byte) []byte {
	switch {
	case o.All:
		return w
	case o.CString:
		return region.CString(w)
	}
	return region.TrimNUL(w)
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
	if !seg.POSIX() && seg.Mem != nil {
		// Fault the attachment in with one call rather than one fault per
		// page as write(2) walks it (kernels before 5.14 lack it; then the
		// faults just happen).
		unix.Madvise(seg.Mem, unix.MADV_POPULATE_READ)
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	var out []byte
	if err := fault.Guard(func() error { out = content(o, seg.Mem[lo:hi]); return nil }); err != nil {
		return cli.Fail(obj, err, "")
	}
	if err := emit(ctx, env, seg, obj, lo, out, m); err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("read", fmt.Sprintf("from %s at offset %d", where(seg, obj), lo)))
	}
	return nil
}

// emit writes b, a slice of the mapping starting at offset lo, to standard
// output: for a POSIX object straight from its descriptor (splice(2) into
// a pipe, sendfile(2) to anything else: page cache to output, no copy
// through this process), otherwise by write(2) straight from the mapping.
// Output that takes nothing (a pipe nobody reads) is waited for in
// poll(2), where a signal reaches, never in a blocked write.
func emit(ctx context.Context, env *cli.Env, seg *shm.Segment, obj string, lo int64, b []byte, m *meter.Meter) error {
	out := int(env.Stdout.Fd())
	if seg.POSIX() && len(b) > 0 {
		sent, err := sendFrom(ctx, out, seg, lo, int64(len(b)), m)
		if errors.Is(err, fault.ErrFault) {
			return cli.Fail(obj, err, "")
		}
		if err != nil {
			return err
		}
		b = b[sent:] // what the fast path left (it was refused): write it
	}
	pw := pipeout.New(ctx, out)
	defer pw.Close()
	err := fault.Guard(func() error { _, err := pw.Write(b); return err })
	if errors.Is(err, fault.ErrFault) || errors.Is(err, unix.EFAULT) {
		return cli.Fail(obj, fault.ErrFault, "")
	}
	if err != nil {
		return cli.Output(err)
	}
	m.Add(len(b))
	return nil
}

// sendFrom copies n bytes of the POSIX object at offset lo to out by
// splice(2), non-blocking, when out is a pipe, else by sendfile(2). It
// returns how many it copied: fewer than n only when the kernel refuses
// the fast path before the end (the caller writes the rest).
func sendFrom(ctx context.Context, out int, seg *shm.Segment, lo, n int64, m *meter.Meter) (int64, error) {
	w := relay.NewWaiter(ctx)
	defer w.Close()
	pipe := relay.KindOf(out) == relay.Pipe
	off, end := lo, lo+n
	for off < end {
		if err := ctx.Err(); err != nil {
			return off - lo, err
		}
		want := int(min(end-off, 1<<30))
		var k int
		var err error
		if pipe {
			var k64 int64
			k64, err = unix.Splice(seg.Fd(), &off, out, nil, want, unix.SPLICE_F_NONBLOCK)
			k = int(k64)
		} else {
			k, err = unix.Sendfile(out, seg.Fd(), &off, want)
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := w.Wait(out, unix.POLLOUT); err != nil {
				return off - lo, err
			}
			continue
		case err == unix.EINVAL || err == unix.ENOSYS:
			return off - lo, nil // no fast path to this output
		case err != nil:
			return off - lo, cli.Output(err)
		case k == 0:
			return off - lo, fault.ErrFault // the object ends before the window does
		}
		m.Add(k)
	}
	return n, nil
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
	pw := pipeout.New(ctx, int(env.Stdout.Fd()))
	defer pw.Close()
	var prev, spare []byte
	tick := time.NewTicker(every)
	defer tick.Stop()
	for first := true; ; first = false {
		// Look at the mapping, and copy a new version out of it, only under
		// the guard: another process may truncate a POSIX object at any
		// moment, and then every touch of the mapping faults. Both go by
		// the MiB, so that a signal need not wait for a whole large window.
		var cur []byte
		changed := false
		if err := fault.Guard(func() error {
			c := content(o, seg.Mem[lo:hi])
			if changed = first || !equalBy(ctx, c, prev); changed {
				cur = copyBy(ctx, spare, c)
			}
			return nil
		}); err != nil {
			return cli.Fail(obj, err, "")
		}
		if err := ctx.Err(); err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				return cli.OutputGone(ctx, err)
			}
			changed = false // -t ran out mid-look: as below
		}
		// An empty version (all NULs) prints nothing, as tail -f prints
		// nothing for an empty file.
		if changed && len(cur) > 0 {
			n, err := pw.Write(cur)
			if err == nil && cur[len(cur)-1] != '\n' {
				var k int
				k, err = pw.Write([]byte{'\n'})
				n += k
			}
			m.Add(n)
			switch {
			case err != nil && errors.Is(err, context.DeadlineExceeded):
				// -t ran out while the output was blocked: as below.
			case err != nil && errors.Is(err, context.Canceled):
				return cli.OutputGone(ctx, err)
			case err != nil:
				return cli.Output(err)
			}
		}
		if changed {
			prev, spare = cur, prev
		}
		stop := o.Nonblock // -n: print what is there and do not wait for changes
		if !stop {
			select {
			case <-ctx.Done():
				if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return cli.OutputGone(ctx, ctx.Err())
				}
				stop = true
			case <-tick.C:
			}
		}
		if stop {
			if o.Verbose {
				env.Warnf("%s", m.Summary("printed", "from "+where(seg, obj)))
			}
			if !m.Moved() {
				// -t or -n ended a run that printed nothing: exit 3.
				return cli.Nothing(obj, "segment is empty")
			}
			return nil
		}
	}
}

// by is the step in which follow compares and copies a window, checking
// for a signal in between: one memmove of a 50 MB window, faulting its
// pages in, would hold a stop signal for seconds.
const by = 1 << 20

// equalBy is bytes.Equal by steps; it gives up (true) once ctx is done.
func equalBy(ctx context.Context, a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a) && ctx.Err() == nil; i += by {
		j := min(i+by, len(a))
		if !bytes.Equal(a[i:j], b[i:j]) {
			return false
		}
	}
	return true
}

// copyBy copies src into buf (reused when large enough) by steps, and
// stops early once ctx is done.
func copyBy(ctx context.Context, buf, src []byte) []byte {
	if cap(buf) < len(src) {
		buf = make([]byte, 0, len(src))
	}
	buf = buf[:0]
	for i := 0; i < len(src) && ctx.Err() == nil; i += by {
		buf = append(buf, src[i:min(i+by, len(src))]...)
	}
	return buf
}
