package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
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
// all of the input fits: input from a pipe is gathered first, input from a
// regular file is measured first and then read straight into the segment.
func write(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	seg, err := shm.Open(name, true)
	switch {
	case err == nil && o.Excl:
		seg.Close()
		return openErr(obj, shm.ErrExist)
	case err == nil:
		defer seg.Close()
		if o.Size.Set && o.Size.N != seg.Size {
			return cli.Failf(obj, "leave out -s to write into it as it is", "segment is %d bytes, not %d (-s)", seg.Size, o.Size.N)
		}
	case errors.Is(err, shm.ErrNotExist) && name.Kind != ipcname.ID:
		seg = nil
	default:
		return openErr(obj, err)
	}

	// room is how much input the window takes; -1 when a new segment will
	// be sized to the input.
	room := int64(-1)
	if seg != nil {
		lo, hi, err := window(o, seg.Size, obj)
		if err != nil {
			return err
		}
		room = hi - lo
	} else if o.Size.Set {
		if o.Offset.N > o.Size.N {
			return cli.Usagef("offset %d is beyond the %d bytes -s asks for", o.Offset.N, o.Size.N)
		}
		room = o.Size.N - o.Offset.N
		if o.Length.Set {
			room = min(room, o.Length.N)
		}
	} else if o.Length.Set {
		room = o.Length.N
	}

	in := int(env.Stdin.Fd())
	var data []byte // gathered input, when it could not go straight in
	n := int64(-1)  // input length, once known
	if relay.KindOf(in) == relay.Regular {
		n = regularLeft(in)
	}
	if n < 0 {
		if data, err = gather(ctx, in, room, m); err != nil {
			return err
		}
		n = int64(len(data))
	}
	if room >= 0 && n > room {
		return cli.Failf(obj, "", "input is larger than the %d-byte window (at offset %d); nothing written", room, o.Offset.N)
	}

	if seg == nil {
		size := o.Offset.N + n
		switch {
		case o.Size.Set:
			size = o.Size.N
		case o.Length.Set:
			size = o.Offset.N + o.Length.N
		}
		if seg, err = shm.Create(name, size, o.Mode.Or(0o600)); err != nil {
			return openErr(obj, err)
		}
		defer seg.Close()
	}
	lo, hi, err := window(o, seg.Size, obj)
	if err != nil {
		return err
	}
	err = fault.Guard(func() error {
		dst := seg.Mem[lo:hi]
		if data != nil {
			copy(dst, data)
		} else {
			got, err := relay.ReadFull(in, dst[:n])
			if err != nil {
				return cli.Fail("standard input", err, "")
			}
			m.Add(got)
			n = int64(got)
		}
		if !o.NoClear {
			clear(dst[n:])
		}
		return nil
	})
	if errors.Is(err, fault.ErrFault) {
		return cli.Fail(obj, err, "")
	}
	if err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("wrote", fmt.Sprintf("to %s at offset %d", where(seg, obj), lo)))
	}
	return nil
}

// regularLeft is what remains to read of a regular file, or -1.
func regularLeft(fd int) int64 {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return -1
	}
	pos, err := unix.Seek(fd, 0, 1)
	if err != nil {
		return -1
	}
	return max(st.Size-pos, 0)
}

// gather reads standard input to its end, or to one byte past room (which
// is enough to know it will not fit).
func gather(ctx context.Context, fd int, room int64, m *meter.Meter) ([]byte, error) {
	var data []byte
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, make([]byte, max(relay.BufSize, len(data)))...)[:len(data)]
		}
		want := cap(data)
		if room >= 0 {
			want = min(want, int(room)+1)
			if len(data) >= want {
				return data, nil
			}
		}
		got, err := unix.Read(fd, data[len(data):want])
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			if err == unix.EAGAIN {
				unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
			}
			continue
		case err != nil:
			return nil, cli.Fail("standard input", err, "")
		case got == 0:
			return data, nil
		}
		data = data[:len(data)+got]
		m.Add(got)
	}
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
			if o.Size.Set && o.Size.N != seg.Size {
				seg.Close()
				return nil, cli.Failf(obj, "", "segment is %d bytes, not %d (-s)", seg.Size, o.Size.N)
			}
			return seg, nil
		}
		switch {
		case o.Create && name.Kind != ipcname.ID:
			size := int64(defaultCreateSize)
			if o.Size.Set {
				size = o.Size.N
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
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, cli.Timeout(obj, "waiting for the segment to appear")
			}
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
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
		if i := bytes.IndexByte(w, 0); i >= 0 {
			return w[:i]
		}
		return w
	}
	i := len(w)
	for i > 0 && w[i-1] == 0 {
		i--
	}
	return w[:i]
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
	if err := emit(env, seg, lo, out, m); err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("read", fmt.Sprintf("from %s at offset %d", where(seg, obj), lo)))
	}
	return nil
}

// emit writes b, a slice of the mapping starting at offset lo, to standard
// output: for a POSIX object by sendfile(2) from its descriptor (page
// cache to pipe or file, no copy through this process), otherwise by
// write(2) straight from the mapping.
func emit(env *cli.Env, seg *shm.Segment, lo int64, b []byte, m *meter.Meter) error {
	out := int(env.Stdout.Fd())
	if seg.POSIX() && len(b) > 0 {
		off, end := lo, lo+int64(len(b))
		for off < end {
			n, err := unix.Sendfile(out, seg.Fd(), &off, int(min(end-off, 1<<30)))
			if err == unix.EINTR || err == unix.EAGAIN {
				if err == unix.EAGAIN {
					unix.Poll([]unix.PollFd{{Fd: int32(out), Events: unix.POLLOUT}}, -1)
				}
				continue
			}
			if err == unix.EINVAL || err == unix.ENOSYS {
				b = b[off-lo:]
				break // fall back to write below
			}
			if err != nil {
				return cli.Output(err)
			}
			if n == 0 {
				return cli.Fail("standard output", fmt.Errorf("sendfile wrote nothing"), "")
			}
			m.Add(n)
		}
		if off == end {
			return nil
		}
	}
	if err := relay.WriteAll(out, b); err != nil {
		return cli.Output(err)
	}
	m.Add(len(b))
	return nil
}

// follow prints the window now and each time it changes, like tail -f.
func follow(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
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
	every := 100 * time.Millisecond
	if o.Interval.Set {
		every = o.Interval.D
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	out := int(env.Stdout.Fd())
	var prev []byte
	tick := time.NewTicker(every)
	defer tick.Stop()
	for first := true; ; first = false {
		var cur []byte
		if err := fault.Guard(func() error { cur = content(o, seg.Mem[lo:hi]); return nil }); err != nil {
			return cli.Fail(obj, err, "")
		}
		if first || !bytes.Equal(cur, prev) {
			prev = append(prev[:0], cur...)
			version := prev
			if len(version) == 0 || version[len(version)-1] != '\n' {
				version = append(version[:len(version):len(version)], '\n')
			}
			if err := relay.WriteAll(out, version); err != nil {
				return cli.Output(err)
			}
			m.Add(len(version))
		}
		if o.Nonblock {
			return nil // -n: print what is there and do not wait for changes
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil // -t ended a run that printed the content: exit 0
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}
