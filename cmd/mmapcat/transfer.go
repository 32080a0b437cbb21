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
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/region"
	"github.com/ipcats/ipcats/internal/relay"
)

// step is how far a streaming write maps and grows the file at a time: the
// window that stdin is read into, and the stride of fallocate(2). Large
// enough that growth costs nothing per byte, small enough that memory use
// stays flat whatever the input's length.
const step = 64 << 20

// chunk is the most -r hands write(2) or vmsplice(2) at once, so that a
// signal is noticed between chunks of a large file.
const chunk = 1 << 20

// window returns the [lo, hi) byte range of a file of size that -o and -L
// select for reading.
func window(o *options, size int64, path string) (lo, hi int64, err error) {
	lo, hi = o.Offset.N, size
	if lo > size {
		return 0, 0, cli.Failf(path, "", "offset %d is beyond the end of the %d-byte file", lo, size)
	}
	if o.Length.Set {
		if lo+o.Length.N > size {
			return 0, 0, cli.Failf(path, "", "window of %d bytes at offset %d runs past the end of the %d-byte file", o.Length.N, lo, size)
		}
		hi = lo + o.Length.N
	}
	return lo, hi, nil
}

// faultErr reports a mapping that faulted or a read(2)/write(2) through it
// that failed with EFAULT: the file shrank under us.
func faultErr(path string, done, total int64, verb string) error {
	if total >= 0 {
		return cli.Fail(path, fault.ErrFault, fmt.Sprintf("%d of %d bytes were %s", done, total, verb))
	}
	return cli.Fail(path, fault.ErrFault, fmt.Sprintf("%d bytes were %s", done, verb))
}

// headMax is how much of a piped input a streaming write collects before
// it touches the file: input up to this size (status records, the common
// case) is written at its exact size, so a reader never sees the file
// longer than its data.
const headMax = 1 << 20

// write copies standard input into the file through a shared mapping.
// With -L or --in-place the window is fixed and nothing is written unless
// all of the input fits; otherwise the input streams into the file, which
// ends where the input does. A file this run creates has no name until it
// is written (O_TMPFILE), so a reader waiting for it sees it whole, and a
// refused write leaves nothing behind.
func write(ctx context.Context, env *cli.Env, o *options, path string) error {
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	f, err := mapfile.Open(path, true)
	switch {
	case err == nil && o.Excl:
		f.Close()
		return openErr(path, mapfile.ErrExist)
	case errors.Is(err, mapfile.ErrNotExist) && o.InPlace:
		return cli.Fail(path, err, "--in-place writes into an existing file only")
	case errors.Is(err, mapfile.ErrNotExist):
		if f, err = mapfile.CreateUnnamed(path, o.Mode.Or(0o600)); err != nil {
			f, _, err = mapfile.Create(path, o.Mode.Or(0o600), o.Excl)
		}
	}
	if err != nil {
		return openErr(path, err)
	}
	defer f.Close()
	in := int(env.Stdin.Fd())
	var written int64
	if o.InPlace || o.Length.Set {
		err = writeWindow(ctx, o, f, in, m)
		written = m.Bytes() // counted once in the mapping, never before
		if err == nil {
			written = max(written, 1) // the window, zero-filled, even for empty input
		}
	} else {
		written, err = stream(ctx, o, f, in, m)
	}
	if written > 0 || err == nil {
		if lerr := f.Link(o.Excl); lerr != nil {
			hint := "nothing written"
			if written > 0 {
				hint = fmt.Sprintf("the %d bytes written are lost", m.Bytes())
			}
			return openErr(path, fmt.Errorf("%w; %s", lerr, hint))
		}
	}
	if err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("wrote", fmt.Sprintf("to %s at offset %d", path, o.Offset.N)))
	}
	return nil
}

// stream reads standard input straight into successive windows of the
// file and at the end truncates the file to the last byte written. When
// the input's length is known (a regular file, or a pipe that ended within
// headMax bytes) the file is grown to exactly that; otherwise a step ahead
// of the data. On a failure the file ends at the last byte delivered, and
// the error says how many there were. It returns the bytes written.
func stream(ctx context.Context, o *options, f *mapfile.File, in int, m *meter.Meter) (int64, error) {
	pos := o.Offset.N  // where the next input byte goes
	limit := int64(-1) // where the input will end, when known
	var head []byte    // input gathered before the file was touched
	var stopped error  // a signal that came while gathering
	if relay.KindOf(in) == relay.Regular {
		limit = pos + regularLeft(in)
	} else {
		if relay.KindOf(in) == relay.Pipe {
			growPipe(in) // fewer, larger reads into the mapping
		}
		var eof bool
		head, eof, stopped = gatherHead(ctx, in, headMax, m)
		if stopped != nil && (len(head) == 0 || ctx.Err() == nil) {
			return 0, stopped
		}
		if eof || stopped != nil {
			// The whole input, or what came before a signal: either way
			// it is what the file will hold.
			limit = pos + int64(len(head))
		}
	}
	var total int64
	finish := func(err error) (int64, error) {
		if err == nil {
			err = stopped
		}
		if terr := f.Truncate(pos); terr != nil && err == nil {
			err = cli.Fail(f.Path, terr, fmt.Sprintf("%d bytes were written", total))
		}
		return total, err
	}
	written := func(before string) string { return fmt.Sprintf("%d bytes were written%s", total, before) }
	for eof := false; !eof && (limit < 0 || pos < limit); {
		base := pos &^ (mapfile.PageSize - 1)
		want := int64(step)
		if limit >= 0 {
			want = min(want, limit-base)
		}
		if err := f.Reserve(base, want); err != nil {
			return finish(cli.Fail(f.Path, err, written(" before that")))
		}
		w, err := f.Map(base, want, true)
		if err != nil {
			return finish(cli.Fail(f.Path, err, written(" before that")))
		}
		i := int(pos - base)
		if len(head) > 0 {
			var k int
			err := fault.Guard(func() error { k = copy(w.Mem[i:], head); return nil })
			if err != nil {
				w.Unmap()
				return finish(faultErr(f.Path, total, -1, "written"))
			}
			head = head[k:]
			i += k
			total += int64(k)                  // counted by the meter as it was gathered
			eof = len(head) == 0 && limit >= 0 // all of a short input
		}
		for i < len(w.Mem) && !eof {
			// read(2) stores into the mapping in the kernel: a file
			// truncated under us is EFAULT there, never SIGBUS here.
			n, err := readSome(ctx, in, w.Mem[i:])
			if err != nil {
				w.Unmap()
				pos = base + int64(i)
				return finish(inputErr(err, f.Path, total))
			}
			if n == 0 {
				eof = true
				break
			}
			i += n
			total += int64(n)
			m.Add(n)
		}
		if o.Sync {
			err = w.Sync()
		}
		w.Unmap()
		pos = base + int64(i)
		if err != nil {
			return finish(cli.Fail(f.Path, err, written("")))
		}
	}
	return finish(nil)
}

// gatherHead reads up to max bytes of input, telling whether it ended. A
// signal returns what was read before it, with ctx's error.
func gatherHead(ctx context.Context, fd int, max int, m *meter.Meter) ([]byte, bool, error) {
	buf := make([]byte, max)
	n := 0
	for n < max {
		got, err := readSome(ctx, fd, buf[n:])
		if err != nil {
			if ctx.Err() != nil {
				return buf[:n], false, err // what came before the signal
			}
			return nil, false, cli.Fail("standard input", err, "nothing written")
		}
		if got == 0 {
			return buf[:n], true, nil
		}
		n += got
		m.Add(got)
	}
	return buf, false, nil
}

// inputErr describes a failure while reading standard input into the file.
func inputErr(err error, path string, total int64) error {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, unix.EFAULT):
		return faultErr(path, total, -1, "written")
	}
	return cli.Fail("standard input", err, fmt.Sprintf("%d bytes were written to %s", total, path))
}

// readSome reads what is available from fd into b, waiting for input in a
// way that a signal (ctx) can interrupt. Zero bytes and no error is the
// end of input.
func readSome(ctx context.Context, fd int, b []byte) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 250); n == 0 || err == unix.EINTR {
			continue // nothing yet: look at ctx again
		}
		n, err := unix.Read(fd, b)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return 0, err
		}
		return n, nil
	}
}

// writeWindow writes standard input into a fixed window: [-o, -o + -L), or
// with --in-place [-o, end of file). The input is measured (a regular file)
// or gathered (anything else, at most one byte more than the window holds)
// before the file is touched, so input that does not fit leaves the file
// byte for byte as it was.
func writeWindow(ctx context.Context, o *options, f *mapfile.File, in int, m *meter.Meter) error {
	size, err := f.Size()
	if err != nil {
		return cli.Fail(f.Path, err, "")
	}
	lo, room := o.Offset.N, o.Length.N
	if o.InPlace {
		hint := "--in-place never changes the file's size"
		if lo > size {
			return cli.Failf(f.Path, hint, "offset %d is beyond the end of the %d-byte file", lo, size)
		}
		if !o.Length.Set {
			room = size - lo
		} else if lo+room > size {
			return cli.Failf(f.Path, hint, "window of %d bytes at offset %d runs past the end of the %d-byte file", room, lo, size)
		}
	}

	var data []byte // gathered input, when it could not be read straight in
	n := int64(-1)  // input length, once known
	if relay.KindOf(in) == relay.Regular {
		n = regularLeft(in)
	}
	if n < 0 {
		if data, err = gather(ctx, in, room); err != nil {
			return err
		}
		n = int64(len(data))
	}
	if n > room {
		return cli.Failf(f.Path, "", "input is larger than the %d-byte window (at offset %d); nothing written", room, lo)
	}
	if !o.InPlace {
		// -L: the file grows to hold the whole window; a longer one keeps
		// its bytes after it.
		if err := f.Reserve(lo, room); err != nil {
			return cli.Fail(f.Path, err, "nothing written")
		}
	}
	w, err := f.Map(lo, room, true)
	if err != nil {
		return cli.Fail(f.Path, err, "nothing written")
	}
	defer w.Unmap()
	var got int64
	err = fault.Guard(func() error {
		if data != nil {
			got = int64(copy(w.Mem, data))
		} else {
			k, err := relay.ReadFull(in, w.Mem[:n])
			got = int64(k)
			if err != nil {
				return err
			}
		}
		if !o.NoClear {
			clear(w.Mem[got:])
		}
		return nil
	})
	m.Add(int(got))
	switch {
	case errors.Is(err, fault.ErrFault) || errors.Is(err, unix.EFAULT):
		return faultErr(f.Path, got, n, "written")
	case err != nil:
		return cli.Fail("standard input", err, fmt.Sprintf("%d bytes were written to %s", got, f.Path))
	}
	if o.Sync {
		if err := w.Sync(); err != nil {
			return cli.Fail(f.Path, err, "")
		}
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
// is enough to know it will not fit). Memory use is bounded by the window,
// and the window by the file.
func gather(ctx context.Context, fd int, room int64) ([]byte, error) {
	var data []byte
	for int64(len(data)) <= room {
		if len(data) == cap(data) {
			grow := min(max(relay.BufSize, len(data)), int(room+1)-len(data))
			data = append(data, make([]byte, grow)...)[:len(data)]
		}
		got, err := readSome(ctx, fd, data[len(data):cap(data)])
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, cli.Fail("standard input", err, "nothing written")
		}
		if got == 0 {
			break
		}
		data = data[:len(data)+got]
	}
	return data, nil
}

// openForRead opens the file, creating it with -c (empty, or as long as
// the -o/-L window), or waiting for it to appear under -t.
func openForRead(ctx context.Context, o *options, path string) (*mapfile.File, error) {
	for {
		f, err := mapfile.Open(path, false)
		if !errors.Is(err, mapfile.ErrNotExist) {
			if err != nil {
				return nil, openErr(path, err)
			}
			return f, nil
		}
		switch {
		case o.Create:
			w, _, err := mapfile.Create(path, o.Mode.Or(0o600), false)
			if err != nil {
				return nil, openErr(path, err)
			}
			if o.Length.Set {
				if size, err := w.Size(); err == nil && size < o.Offset.N+o.Length.N {
					err = w.Truncate(o.Offset.N + o.Length.N)
				}
			}
			w.Close()
			if err != nil {
				return nil, cli.Fail(path, err, "")
			}
			continue // reopen read-only, as a reader
		case o.Nonblock:
			return nil, cli.Nothing(path, "no such file")
		case !o.Timeout.Set:
			return nil, cli.Fail(path, mapfile.ErrNotExist, "use -c to create it, or -t to wait for it")
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, cli.Timeout(path, "waiting for the file to appear")
			}
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// content returns the part of the window -r prints: every byte (default),
// up to the first NUL (-z), or up to the last non-NUL byte (--trim).
func content(o *options, w []byte) []byte {
	switch {
	case o.CString:
		return region.CString(w)
	case o.Trim:
		return region.TrimNUL(w)
	}
	return w
}

// read copies the window to standard output straight from the mapping
// (see emit).
func read(ctx context.Context, env *cli.Env, o *options, path string) error {
	ctx, cancel := o.Wait.Deadline(ctx)
	defer cancel()
	f, err := openForRead(ctx, o, path)
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return cli.Fail(path, err, "")
	}
	lo, hi, err := window(o, size, path)
	if err != nil {
		return err
	}
	w, err := f.Map(lo, hi-lo, false)
	if err != nil {
		return cli.Fail(path, err, "")
	}
	defer w.Unmap()
	w.Advise(unix.MADV_SEQUENTIAL)
	out := w.Mem
	if o.CString || o.Trim {
		if err := fault.Guard(func() error { out = content(o, w.Mem); return nil }); err != nil {
			return faultErr(path, 0, int64(len(w.Mem)), "printed")
		}
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	if err := emit(ctx, int(env.Stdout.Fd()), path, out, m); err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("read", fmt.Sprintf("from %s at offset %d", path, lo)))
	}
	return nil
}

// spliceMin is the least output that -r hands a pipe by vmsplice(2)
// rather than write(2). Smaller windows (status records another program
// keeps updating) are copied, so the reader sees them as they were when
// read; large ones are not copied at all.
const spliceMin = 1 << 20

// pipeSize is what a smaller pipe on stdin (-w) or stdout (-r, large
// output) is raised to: fewer, larger hand-overs (the unprivileged maximum).
const pipeSize = 1 << 20

// growPipe raises a pipe smaller than pipeSize to it; a refusal (the
// per-user pipe limits) only costs speed.
func growPipe(fd int) {
	if cur, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err == nil && cur < pipeSize {
		unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, pipeSize)
	}
}

// emit copies b, a slice of the mapping, to fd. Into a pipe, a large b is
// handed over with vmsplice(2): the pipe takes references to the file's
// pages, and nothing is copied until the reader reads. Otherwise write(2)
// copies straight out of the mapping. Either way the kernel touches the
// mapping, so a file truncated under us is EFAULT, reported as such, and
// never SIGBUS.
func emit(ctx context.Context, fd int, path string, b []byte, m *meter.Meter) error {
	total := int64(len(b))
	var done int64
	splice := len(b) >= spliceMin && relay.KindOf(fd) == relay.Pipe
	if splice {
		growPipe(fd)
	}
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int
		var err error
		if splice {
			iov := []unix.Iovec{{Base: &b[0]}}
			iov[0].SetLen(min(len(b), chunk))
			n, err = unix.Vmsplice(fd, iov, unix.SPLICE_F_NONBLOCK)
			if done == 0 && (err == unix.EINVAL || err == unix.ENOSYS || err == unix.EBADF) {
				splice = false // not a pipe we may splice into: copy instead
				continue
			}
		} else {
			n, err = unix.Write(fd, b[:min(len(b), chunk)])
		}
		switch {
		case n > 0:
			b = b[n:]
			done += int64(n)
			m.Add(n)
			continue
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// The pipe is full (or stdout is non-blocking): wait for room,
			// looking at ctx now and then so that a signal is noticed.
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, 250)
			continue
		case err == unix.EFAULT:
			return faultErr(path, done, total, "printed")
		case err != nil:
			return cli.Output(err)
		}
		return cli.Fail("standard output", fmt.Errorf("write accepted nothing"), "")
	}
	return nil
}

// follow prints the window now and each time it changes, like tail -f.
// The file may grow or shrink meanwhile: each look re-reads its size and
// maps the window anew when it changed, so a writer that rewrites the file
// is followed, not fatal.
func follow(ctx context.Context, env *cli.Env, o *options, path string) error {
	ctx, cancel := o.Wait.Deadline(ctx)
	defer cancel()
	f, err := openForRead(ctx, o, path)
	if err != nil {
		return err
	}
	defer f.Close()
	every := 100 * time.Millisecond
	if o.Interval.Set {
		every = o.Interval.D
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	out := int(env.Stdout.Fd())
	w := &mapfile.Window{}
	defer func() { w.Unmap() }()
	var prev []byte
	tick := time.NewTicker(every)
	defer tick.Stop()
	for first := true; ; {
		size, err := f.Size()
		if err != nil {
			return cli.Fail(path, err, "")
		}
		lo, hi := min(o.Offset.N, size), size
		if o.Length.Set {
			hi = min(hi, lo+o.Length.N)
		}
		if w.Off != lo || int64(len(w.Mem)) != hi-lo {
			w.Unmap()
			if w, err = f.Map(lo, hi-lo, false); err != nil {
				return cli.Fail(path, err, "")
			}
		}
		changed := false
		err = fault.Guard(func() error {
			cur := content(o, w.Mem)
			if changed = first || !bytes.Equal(cur, prev); changed {
				prev = append(prev[:0], cur...)
			}
			return nil
		})
		if err == nil && changed {
			version := prev
			if len(version) == 0 || version[len(version)-1] != '\n' {
				version = append(version[:len(version):len(version)], '\n')
			}
			if err := relay.WriteAll(out, version); err != nil {
				return cli.Output(err)
			}
			m.Add(len(version))
			first = false
		}
		if err != nil {
			// The file shrank between the size and the look: it is
			// looked at again at once with its new size.
			if now, serr := f.Size(); serr == nil && now < hi {
				continue
			}
			return cli.Fail(path, err, "")
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
