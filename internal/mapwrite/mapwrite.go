// Package mapwrite writes input into a regular file through a shared
// mapping (mmapcat -w): a fixed window (-L, --in-place) that takes all of
// the input or none of it, or a stream that grows the file in large
// reserved steps and ends it where the input ends. Every store into the
// mapping runs under the fault guard, and a write that would shrink a
// file other processes map is refused unless forced.
package mapwrite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/relay"
	win "github.com/ipcats/ipcats/internal/window"
)

// Options are the -w options the write goes by (and the -r -c ones a
// file is created by).
type Options struct {
	Offset    int64 // -o
	Length    int64 // -L, when LengthSet
	LengthSet bool
	InPlace   bool // --in-place: the window runs to the end of the file
	NoClear   bool // --no-clear: leave the rest of the window as it is
	Sync      bool // --sync: fdatasync(2) before returning
	Force     bool // --force: shrink a file others map

	Mode           uint32 // -m: permissions of a created file
	Excl           bool   // -x: only create
	FollowSymlinks bool   // --follow-symlinks: write through a link at the path
}

// step is how far a streaming write maps and grows the file at a time: the
// window that stdin is read into, and the stride of fallocate(2). Large
// enough that growth costs nothing per byte, small enough that memory use
// stays flat whatever the input's length.
const step = 64 << 20

// windowChunk is how much of a fixed -L/--in-place window is mapped at a
// time while the data goes in.
const windowChunk = 16 << 20

// headMax is how much of a piped input a streaming write collects before
// it touches the file: input up to this size (status records, the common
// case) is written at its exact size, so a reader never sees the file
// longer than its data.
const headMax = 1 << 20

// Transfer writes the input, n bytes (-1: unknown until it ends), into f:
// a fixed window with -L or --in-place, a stream otherwise. It returns the
// bytes written and left in the file.
func Transfer(ctx context.Context, o *Options, f *mapfile.File, in int, n int64, m *meter.Meter) (int64, error) {
	if n < 0 {
		n = win.RegularLeft(in)
	}
	if o.InPlace || o.LengthSet {
		return writeWindow(ctx, o, f, in, n, m)
	}
	return stream(ctx, o, f, in, n, m)
}

// shrinkErr reports a file another process cut while -w wrote it: how many
// of the bytes written are left in it.
func shrinkErr(path string, kept, total int64) error {
	return cli.Fail(path, fault.ErrFault, fmt.Sprintf("only %d of the %d bytes written are left in the file", kept, total))
}

// storeErr reports a store into the mapping that failed (EFAULT from the
// kernel, SIGBUS here): the file shrank under us if it is now shorter
// than need, and otherwise the file system could not back the page.
func storeErr(f *mapfile.File, need, done, total int64) error {
	if size, err := f.Size(); err == nil && size >= need {
		return cli.Failf(f.Path, fmt.Sprintf("%d bytes were written", done),
			"the file system could not store a page of the mapping (out of space, or an I/O error; %s)", mapfile.SpaceLimit(f.Path))
	}
	return win.FaultErr(f.Path, done, total, "written")
}

// streamStoreErr is storeErr for a streaming write, note saying what the
// failure left in the file.
func streamStoreErr(f *mapfile.File, need int64, note string) error {
	if size, err := f.Size(); err == nil && size >= need {
		return cli.Failf(f.Path, note,
			"the file system could not store a page of the mapping (out of space, or an I/O error; %s)", mapfile.SpaceLimit(f.Path))
	}
	return cli.Fail(f.Path, fault.ErrFault, note)
}

// streamInputErr describes a failure while reading the input into the
// file, note saying what it left in the file.
func streamInputErr(err error, path, note string) error {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case mapfile.IsEFAULT(err):
		return cli.Fail(path, fault.ErrFault, note)
	}
	return cli.Fail("standard input", err, note+" ("+path+")")
}

// stream writes the input into the file from -o on, and the file ends
// where the input does. Input that cannot be written (a full file system,
// an input error, a signal while the input still flows) leaves an existing
// file byte for byte as it was, and a new one unmade:
//
//   - Input whose length is known before the file is touched (a regular
//     file, or a pipe that ended within headMax bytes) has the blocks for
//     all of it reserved first, then goes straight into the mapping.
//   - Longer piped input is written in two parts. The part that would
//     overwrite the file's old bytes is held back (in memory up to
//     headMax, beyond that in an anonymous memory file), while the rest
//     streams into the file past its old end, reserved step by step. Only
//     once the input has ended does the held-back part go in, into blocks
//     reserved before anything was written. A failure before that cuts
//     the file back to its old size, which leaves it as it was.
//
// It returns the bytes written and left in the file. (One function, over
// 80 lines: the two parts share the held-back input and one undo path.)
func stream(ctx context.Context, o *Options, f *mapfile.File, in int, n int64, m *meter.Meter) (int64, error) {
	off := o.Offset
	size0, err := f.Size()
	if err != nil {
		return 0, cli.Fail(f.Path, err, "nothing written")
	}
	// The old bytes [off, off+protect) are the ones the input overwrites.
	var protect int64
	if !f.Unnamed() {
		protect = max(0, size0-off)
	}
	var head []byte   // input gathered before the file was touched
	var stopped error // a signal that came while gathering
	if n < 0 {
		if relay.KindOf(in) == relay.Pipe {
			win.GrowPipe(in) // fewer, larger reads into the mapping
		}
		var eof bool
		head, eof, stopped = gatherHead(ctx, in, headMax, m)
		if stopped != nil && (len(head) == 0 || ctx.Err() == nil) {
			return 0, stopped
		}
		if eof || stopped != nil {
			// The whole input, or what came before a signal: either way
			// it is what the file will hold.
			n = int64(len(head))
		}
	}
	if n >= 0 {
		k, err := known(ctx, o, f, in, head, n, size0, m, true)
		if err == nil {
			err = stopped
		}
		return k, err
	}
	// The input goes on past headMax bytes: hold back what overwrites old
	// bytes.
	held := int64(len(head))
	var spool *os.File
	if protect > held {
		sp, got, err := relay.Spool(ctx, in, protect-held, m)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, cli.Fail("standard input", err, untouched(f))
		}
		defer sp.Close()
		spool, held = sp, held+got
		if got < protect-int64(len(head)) {
			return known(ctx, o, f, int(sp.Fd()), head, held, size0, m, false) // the input ended
		}
	}
	var tail []byte // the first bytes past the held-back part
	if held > protect {
		tail = head[protect:]
		head = head[:protect]
	} else {
		buf := make([]byte, 64<<10)
		k, err := win.ReadSome(ctx, in, buf)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, cli.Fail("standard input", err, untouched(f))
		}
		if k == 0 { // the input ended with the held-back part
			src := in
			if spool != nil {
				src = int(spool.Fd())
			}
			return known(ctx, o, f, src, head, held, size0, m, false)
		}
		m.Add(k)
		tail = buf[:k]
	}
	undo := func() {
		if now, err := f.Size(); err == nil && now > size0 {
			f.Truncate(size0)
		}
	}
	unchanged := func(int64) string { return untouched(f) }
	if err := f.Reserve(off, protect); err != nil {
		undo()
		return 0, cli.Fail(f.Path, err, unchanged(0))
	}
	_, total, cut, err := pour(ctx, o, f, in, tail, off+protect, -1, m, true, unchanged)
	if cut {
		size, _ := f.Size()
		kept := max(0, min(protect+total, size-off))
		if k := min(protect, max(0, size-off)); k > 0 {
			putFront(o, f, off, head, spool, k) // what the cut left room for
		}
		return kept, shrinkErr(f.Path, kept, protect+total)
	}
	if err != nil {
		undo()
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	// The input has ended and all of it fits: the held-back part goes in.
	// A signal now waits for it (a copy within memory).
	if err := putFront(o, f, off, head, spool, protect); err != nil {
		return total, cli.Fail(f.Path, err, fmt.Sprintf("the %d bytes after offset %d were written, the %d before them were not", total, off+protect, protect))
	}
	return protect + total, nil
}

// untouched says what a write refused before it changed the file left.
func untouched(f *mapfile.File) string {
	if f.Unnamed() {
		return "nothing written, no file made"
	}
	return "nothing written, the file is as it was"
}

// known writes input of known length n: head, then what src yields. The
// blocks for all of it are reserved first, so a full file system refuses
// it before a byte of the file changes. count says whether reads from src
// go to the meter (they do from standard input, not from a spool).
func known(ctx context.Context, o *Options, f *mapfile.File, src int, head []byte, n, size0 int64, m *meter.Meter, count bool) (int64, error) {
	off := o.Offset
	if err := shrinkGuard(o, f, size0, off+n); err != nil {
		return 0, err
	}
	if err := f.Reserve(off, n); err != nil {
		if now, serr := f.Size(); serr == nil && now > size0 {
			f.Truncate(size0)
		}
		return 0, cli.Fail(f.Path, err, untouched(f))
	}
	_, total, cut, err := pour(ctx, o, f, src, head, off, off+n, m, count, func(total int64) string {
		return fmt.Sprintf("%d bytes were written before that", total)
	})
	if cut {
		size, _ := f.Size()
		kept := max(0, min(total, size-off))
		return kept, shrinkErr(f.Path, kept, total)
	}
	return total, err
}

// putFront writes the first k bytes of the held-back input (head, then
// the spool) at off, through the mapping, a bounded window at a time.
func putFront(o *Options, f *mapfile.File, off int64, head []byte, spool *os.File, k int64) error {
	if spool != nil {
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	for done := int64(0); done < k; {
		w, err := f.Map(off+done, min(k-done, windowChunk), true)
		if err != nil {
			return err
		}
		i := 0
		if done < int64(len(head)) {
			err = fault.Guard(func() error { i = copy(w.Mem, head[done:]); return nil })
		}
		if err == nil && i < len(w.Mem) && spool == nil {
			err = io.ErrUnexpectedEOF
		}
		if err == nil && i < len(w.Mem) {
			var r int
			r, err = relay.ReadFull(context.Background(), int(spool.Fd()), w.Mem[i:])
			i += r
			if err == nil && i < len(w.Mem) {
				err = io.ErrUnexpectedEOF
			}
		}
		if err == nil && o.Sync {
			err = w.Sync()
		}
		n := int64(len(w.Mem))
		w.Unmap()
		if err != nil {
			return err
		}
		done += n
	}
	return nil
}

// pour reads head, then src, into the file from pos on, up to limit (-1:
// until src ends), growing the file a step at a time with its blocks
// reserved first; when the length is unknown, less than a step when the
// file system has not that much room, so that input that fits is not
// refused for the sake of the step. At the end the file is cut to the last
// byte written. A file another process cuts meanwhile is never grown back:
// cut reports it, with the file as that process left it. note says what a
// failure left in the file. It returns the position reached and the bytes
// written. (Over 80 lines: reserve, map, fill and cut share one position.)
func pour(ctx context.Context, o *Options, f *mapfile.File, src int, head []byte, pos, limit int64, m *meter.Meter, count bool, note func(total int64) string) (_, total int64, cut bool, _ error) {
	started := false // the file has been reserved up to pos at least
	finish := func(err error) (int64, int64, bool, error) {
		size, serr := f.Size()
		switch {
		case serr != nil:
			if err == nil {
				err = cli.Fail(f.Path, serr, note(total))
			}
		case started && size < pos:
			return pos, total, true, err
		case size != pos:
			if terr := f.Truncate(pos); terr != nil && err == nil {
				err = cli.Fail(f.Path, terr, note(total))
			}
		}
		return pos, total, false, err
	}
	for eof := false; !eof && (limit < 0 || pos < limit); {
		if size, err := f.Size(); err == nil && started && size < pos {
			return finish(nil) // cut between two windows
		}
		base := pos &^ (mapfile.PageSize - 1)
		want := int64(step)
		if limit >= 0 {
			want = min(want, limit-base)
		}
		want, err := reserveStep(f, base, want, limit < 0)
		if err != nil {
			return finish(cli.Fail(f.Path, err, note(total)))
		}
		started = true
		w, err := f.Map(base, want, true)
		if err != nil {
			return finish(cli.Fail(f.Path, err, note(total)))
		}
		i := int(pos - base)
		if len(head) > 0 {
			var k int
			err := fault.Guard(func() error { k = copy(w.Mem[i:], head); return nil })
			if err != nil {
				w.Unmap()
				return finish(streamStoreErr(f, base+want, note(total)))
			}
			head = head[k:]
			i += k
			total += int64(k)                  // counted by the meter as it was gathered
			eof = len(head) == 0 && limit >= 0 // all of a short input
			eof = eof && base+int64(i) >= limit
		}
		for i < len(w.Mem) && !eof {
			// read(2) stores into the mapping in the kernel: a file
			// truncated under us is EFAULT there, never SIGBUS here.
			k, err := win.ReadSome(ctx, src, w.Mem[i:])
			if err != nil {
				w.Unmap()
				pos = base + int64(i)
				if mapfile.IsEFAULT(err) {
					return finish(streamStoreErr(f, base+want, note(total)))
				}
				return finish(streamInputErr(err, f.Path, note(total)))
			}
			if k == 0 {
				eof = true
				break
			}
			i += k
			total += int64(k)
			if count {
				m.Add(k)
			}
		}
		if o.Sync {
			err = w.Sync()
		}
		w.Unmap()
		pos = base + int64(i)
		if err != nil {
			return finish(cli.Fail(f.Path, err, note(total)))
		}
	}
	return finish(nil)
}

// reserveStep reserves want bytes of the file at base (page-aligned). When
// the file system has not that much room and the input's length is
// unknown (halve), it tries half as much, down to one page, so that input
// that fits is not refused for the sake of the step.
func reserveStep(f *mapfile.File, base, want int64, halve bool) (int64, error) {
	for {
		err := f.Reserve(base, want)
		if err == nil || !halve || !errors.Is(err, mapfile.ErrNoSpace) || want <= mapfile.PageSize {
			return want, err
		}
		want = max(want/2, mapfile.PageSize)
	}
}

// gatherHead reads up to max bytes of input, telling whether it ended. A
// signal returns what was read before it, with ctx's error.
func gatherHead(ctx context.Context, fd int, max int, m *meter.Meter) ([]byte, bool, error) {
	buf := make([]byte, max)
	n := 0
	for n < max {
		got, err := win.ReadSome(ctx, fd, buf[n:])
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

// writeWindow writes the input, n bytes (-1: unknown), into a fixed
// window: [-o, -o + -L), or with --in-place [-o, end of file). The input is
// measured (a regular file) or spooled into an anonymous memory file (at
// most one byte more than the window holds) before the file is touched,
// so input that does not fit leaves the file byte for byte as it was.
// Blocks are reserved for the data only: the rest of the window is made
// to read as zeros without filling holes (mapfile.Zero), so a sparse file
// stays sparse. It returns the bytes written.
//
// (Over 80 lines: measure, reserve, copy and clear are one sequence with
// one all-or-nothing exit.)
func writeWindow(ctx context.Context, o *Options, f *mapfile.File, in int, n int64, m *meter.Meter) (int64, error) {
	size, err := f.Size()
	if err != nil {
		return 0, cli.Fail(f.Path, err, "")
	}
	lo, room := o.Offset, o.Length
	if o.InPlace {
		hint := "--in-place never changes the file's size"
		if lo > size {
			return 0, cli.Failf(f.Path, hint, "offset %d is beyond the end of the %d-byte file", lo, size)
		}
		if !o.LengthSet {
			room = size - lo
		} else if room > size-lo {
			return 0, cli.Failf(f.Path, hint, "window of %d bytes at offset %d runs past the end of the %d-byte file", room, lo, size)
		}
	}
	counted := false // the meter has the bytes already
	if n < 0 {
		limit := int64(-1) // the window is as large as a file can be: anything fits
		if room < math.MaxInt64 {
			limit = room + 1
		}
		spool, got, err := relay.Spool(ctx, in, limit, m)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, cli.Fail("standard input", err, "nothing written")
		}
		defer spool.Close()
		in, n, counted = int(spool.Fd()), got, true
	}
	if n > room {
		return 0, cli.Failf(f.Path, "", "input is larger than the %d-byte window (at offset %d); nothing written", room, lo)
	}
	end := lo + room // checkFlags refused a window past the largest offset
	// Blocks for the data, and a file grown to hold the window (-L, with
	// a hole), before a byte is stored: a full file system or a window
	// past the largest file the file system allows refuses the write here.
	undo := func() {
		if now, err := f.Size(); err == nil && now > size {
			f.Truncate(size)
		}
	}
	if err := f.Reserve(lo, n); err != nil {
		undo()
		return 0, cli.Fail(f.Path, err, "nothing written")
	}
	if now, err := f.Size(); err == nil && now < end {
		if err := f.Truncate(end); err != nil {
			undo()
			return 0, cli.Fail(f.Path, err, "nothing written")
		}
	}
	// The data goes in a bounded window at a time, so that the pages
	// mapped into this process (its resident size) stay few whatever n is.
	var got int64
	for got < n {
		k := min(n-got, windowChunk)
		w, err := f.Map(lo+got, k, true)
		if err != nil {
			if got == 0 {
				undo()
				return 0, cli.Fail(f.Path, err, "nothing written")
			}
			return got, cli.Fail(f.Path, err, fmt.Sprintf("%d bytes were written", got))
		}
		// read(2) stores into the mapping in the kernel: a file cut under
		// us is EFAULT, never SIGBUS.
		r, err := relay.ReadFull(ctx, in, w.Mem)
		if err == nil && o.Sync {
			err = w.Sync()
		}
		w.Unmap()
		got += int64(r)
		if !counted {
			m.Add(r)
		}
		switch {
		case mapfile.IsEFAULT(err):
			return got, storeErr(f, lo+n, got, n)
		case mapfile.IsStorage(err):
			return got, cli.Fail(f.Path, err, fmt.Sprintf("%d bytes were written", got))
		case err != nil:
			return got, cli.Fail("standard input", err, fmt.Sprintf("%d bytes were written to %s", got, f.Path))
		}
		if int64(r) < k {
			break // the input file shrank while we read it
		}
	}
	// Only an explicit -L window is zero-filled: --in-place alone changes
	// the bytes it writes and no other (dd conv=notrunc).
	if o.LengthSet && !o.NoClear {
		if now, err := f.Size(); err == nil && min(now, end) > lo+got {
			if err := f.Zero(lo+got, min(now, end)-lo-got); err != nil {
				return got, cli.Fail(f.Path, err, fmt.Sprintf("%d bytes were written; the rest of the window was not cleared", got))
			}
		}
	}
	if o.Sync {
		// The zeroed range went through fallocate(2), not the mapping.
		if err := f.Sync(); err != nil {
			return got, cli.Fail(f.Path, err, "")
		}
	}
	return got, nil
}

// shrinkGuard refuses a write that would leave the file shorter than size0
// (ending at end) while other processes map it, as --stat lists them: a
// program that touches a page past the new end dies of SIGBUS. --force
// shrinks it anyway; a new file has no mappers.
func shrinkGuard(o *Options, f *mapfile.File, size0, end int64) error {
	if o.Force || f.Unnamed() || end >= size0 {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	id := procfs.FileID{Dev: st.Dev, Ino: st.Ino}
	files, sc := procfs.SharedFileMappings(func(x procfs.FileID) bool { return x == id })
	if sc.Err != nil {
		return cli.Fail(f.Path, fmt.Errorf("would shrink from %d to %d bytes, and which processes map it cannot be told (reading /proc: %w); nothing written", size0, end, sc.Err),
			"--force shrinks it anyway")
	}
	var who []string
	for _, file := range files {
		for _, p := range file.Mappers {
			if p.PID != os.Getpid() {
				who = append(who, fmt.Sprintf("%d (%s)", p.PID, p.Comm))
			}
		}
	}
	if len(who) == 0 {
		return nil
	}
	procs := "process"
	if len(who) > 1 {
		procs = "processes"
	}
	return cli.Failf(f.Path, "--in-place or -L keep its size; --force shrinks it anyway",
		"would shrink from %d to %d bytes while %s %s map it (a program touching the cut pages dies of SIGBUS); nothing written",
		size0, end, procs, strings.Join(who, ", "))
}
