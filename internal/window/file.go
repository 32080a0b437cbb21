package window

import (
	"context"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
)

// A Span is the window -o and -L select: Length bytes from Offset, or
// to the end when LengthSet is false.
type Span struct {
	Offset, Length int64
	LengthSet      bool
}

// PrintFile prints the span of f, cut by t, straight from a mapping of the
// window (see Emit). A file that says it is empty
// is read to its end with pread(2) instead, as cat reads it: /proc and
// /sys files have size 0.
func PrintFile(f *mapfile.File, s Span, t Trim) func(context.Context, int, *meter.Meter) error {
	return func(ctx context.Context, out int, m *meter.Meter) error {
		size, err := f.Size()
		if err != nil {
			return cli.Fail(f.Path, err, "")
		}
		if size == 0 {
			b, err := Slurp(f.Fd(), f.Path)
			if err != nil {
				return err
			}
			lo, hi, err := Bounds(f.Path, "file", s.Offset, s.Length, s.LengthSet, int64(len(b)))
			if err != nil {
				return err
			}
			b = Content(t, b[lo:hi])
			if err := relay.WriteAll(ctx, out, b); err != nil {
				return cli.Output(err)
			}
			m.Add(len(b))
			return nil
		}
		lo, hi, err := Bounds(f.Path, "file", s.Offset, s.Length, s.LengthSet, size)
		if err != nil {
			return err
		}
		m.SetTotal(hi - lo) // --progress: percent and ETA
		if t == All {
			return emitMapped(ctx, out, f, lo, hi, m)
		}
		w, err := f.Map(lo, hi-lo, false)
		if err != nil {
			return cli.Fail(f.Path, err, "")
		}
		defer w.Unmap()
		w.AdviseSequential()
		b := w.Mem
		if t != All {
			if err := fault.Guard(func() error { b = Content(t, w.Mem); return nil }); err != nil {
				return FaultErr(f.Path, 0, int64(len(w.Mem)), "printed")
			}
		}
		return Emit(ctx, out, f.Path, b, m)
	}
}

// mapStep is how much of a file emitMapped maps at a time: the resident
// size of a read stays near it however large the file.
const mapStep = 8 << 20

// emitMapped emits bytes lo..hi of f a mapping of mapStep at a time,
// unmapping each before the next: the pages handed to a pipe by
// vmsplice(2) are the page cache's, and stay valid in the pipe once
// unmapped, so a 1 GiB file costs 8 MiB of resident memory, not 1 GiB.
func emitMapped(ctx context.Context, out int, f *mapfile.File, lo, hi int64, m *meter.Meter) error {
	for off := lo; off < hi; off += mapStep {
		w, err := f.Map(off, min(mapStep, hi-off), false)
		if err != nil {
			return cli.Fail(f.Path, err, "")
		}
		w.AdviseSequential()
		err = emitPart(ctx, out, f.Path, w.Mem, m, off-lo, hi-lo)
		w.Unmap()
		if err != nil {
			return err
		}
	}
	return nil
}

// FileLook is the Look of the span of f, a file whose size may change:
// each look asks its size, cuts the window to it (Clip), and reads it
// with pread(2), so a writer that rewrites the file is followed, not
// fatal, and no mapping is held between looks (it would count as a mapper
// that a shrinking write must spare). A file that says it is empty (a
// /proc file) is read to its end.
func FileLook(f *mapfile.File, s Span, t Trim) Look {
	return func() ([]byte, bool, error) {
		n, err := f.Size()
		if err != nil {
			return nil, false, cli.Fail(f.Path, err, "")
		}
		if n == 0 {
			b, err := Slurp(f.Fd(), f.Path)
			if err != nil {
				return nil, false, err
			}
			lo, hi := Clip(s.Offset, s.Length, s.LengthSet, int64(len(b)))
			return Content(t, b[lo:hi]), false, nil
		}
		lo, hi := Clip(s.Offset, s.Length, s.LengthSet, n)
		b, err := ReadAt(f.Fd(), f.Path, lo, hi-lo)
		if err != nil || int64(len(b)) < hi-lo {
			return nil, err == nil, err // shrank between the size and the look: again
		}
		return Content(t, b), false, nil
	}
}
