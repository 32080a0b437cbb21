package window

import (
	"context"
	"fmt"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
)

// DefaultInterval is how often -f looks for a change without -i.
const DefaultInterval = 100 * time.Millisecond

// Run is the frame of a -r, -f or -w run that shmcat and mmapcat share:
// the -t deadline, the --progress meter, the -v summary, and for -f the
// watch on standard output, the look interval and exit 3 when nothing was
// printed. The tool says how to open its object and print or look at it.
type Run struct {
	Env      *cli.Env
	Wait     cli.Wait
	Progress bool
	Verbose  bool
	Interval cli.Duration // -i (unset: DefaultInterval)
	Offset   int64        // -o, for the -v summary of a read or a write
}

// Source is an opened object a run prints from.
type Source struct {
	Where string // names the object in the -v summary
	// Print copies the window to out (-r).
	Print func(ctx context.Context, out int, m *meter.Meter) error
	Look  Look   // the window's content now (-f)
	Close func() // called when the run ends; may be nil
}

// An Opener opens the object of a run, waiting for it under ctx (-t).
type Opener func(ctx context.Context) (*Source, error)

func (s *Source) close() {
	if s.Close != nil {
		s.Close()
	}
}

// Write runs a -w: write copies standard input into the object, counting
// it on m, and returns the object's name for the -v summary.
func (r *Run) Write(write func(m *meter.Meter) (where string, err error)) error {
	m := meter.New(r.Env.Tool, r.Env.Stderr, r.Progress)
	defer m.Stop()
	if r.Env.Stdin != nil {
		m.SetTotal(relay.Remaining(int(r.Env.Stdin.Fd()))) // a regular file: % and ETA
	}
	where, err := write(m)
	if err != nil {
		return err
	}
	if r.Verbose {
		r.Env.Warnf("%s", m.Summary("wrote", fmt.Sprintf("to %s at offset %d", where, r.Offset)))
	}
	return nil
}

// Serve is Follow when follow (-f), otherwise Read.
func (r *Run) Serve(ctx context.Context, follow bool, obj, empty string, open Opener) error {
	if follow {
		return r.Follow(ctx, obj, empty, open)
	}
	return r.Read(ctx, open)
}

// Read opens the object and prints its window once.
func (r *Run) Read(ctx context.Context, open Opener) error {
	ctx, cancel := r.Wait.Deadline(ctx)
	defer cancel()
	src, err := open(ctx)
	if err != nil {
		return err
	}
	defer src.close()
	m := meter.New(r.Env.Tool, r.Env.Stderr, r.Progress)
	defer m.Stop()
	if err := src.Print(ctx, int(r.Env.Stdout.Fd()), m); err != nil {
		return err
	}
	if r.Verbose {
		r.Env.Warnf("%s", m.Summary("read", fmt.Sprintf("from %s at offset %d", src.Where, r.Offset)))
	}
	return nil
}

// Follow opens the object and prints its window now and each time it
// changes, like tail -f (see Follow); obj and empty say what the exit 3
// of a run that printed nothing names ("segment is empty").
func (r *Run) Follow(ctx context.Context, obj, empty string, open Opener) error {
	ctx, cancel := r.Wait.Deadline(ctx)
	defer cancel()
	// Stop as soon as our reader goes (| head), not at the next change.
	out := int(r.Env.Stdout.Fd())
	ctx, stopWatch := cli.WatchOutput(ctx, out)
	defer stopWatch()
	src, err := open(ctx)
	if err != nil {
		return err
	}
	defer src.close()
	every := DefaultInterval
	if r.Interval.Set {
		every = r.Interval.D
	}
	m := meter.New(r.Env.Tool, r.Env.Stderr, r.Progress)
	defer m.Stop()
	if err := Follow(ctx, out, every, r.Wait.Nonblock, m, src.Look); err != nil {
		return err
	}
	if r.Verbose {
		r.Env.Warnf("%s", m.Summary("printed", "from "+src.Where))
	}
	if !m.Moved() {
		// -t or -n ended a run that printed nothing: exit 3.
		return cli.Nothing(obj, empty)
	}
	return nil
}

// MapLook is the Look of a window of a mapping (mem): its content as t
// cuts it, copied out under the fault guard, since another process may
// truncate the object at any moment and then every touch of the mapping
// faults (reported on obj). Two buffers in turn: Follow keeps the
// previous look to compare.
func MapLook(ctx context.Context, obj string, t Trim, mem []byte) Look {
	var bufs [2][]byte
	turn := 0
	return func() (cur []byte, _ bool, err error) {
		if err := fault.Guard(func() error {
			turn ^= 1
			bufs[turn] = CopyBy(ctx, bufs[turn], Content(t, mem))
			cur = bufs[turn]
			return nil
		}); err != nil {
			return nil, false, cli.Fail(obj, err, "")
		}
		return cur, false, nil
	}
}

// PrintMapped prints the window [lo, hi) of mem, a mapping of a whole
// object open at fd (-1: none, a System V segment), cut by t. The content
// is found under the fault guard (another process may truncate the
// object), then sent by EmitFrom.
func PrintMapped(obj string, t Trim, mem []byte, fd int, lo, hi int64) func(context.Context, int, *meter.Meter) error {
	return func(ctx context.Context, out int, m *meter.Meter) error {
		if fd < 0 {
			Populate(mem)
		}
		var b []byte
		if err := fault.Guard(func() error { b = Content(t, mem[lo:hi]); return nil }); err != nil {
			return cli.Fail(obj, err, "")
		}
		m.SetTotal(int64(len(b))) // --progress: percent and ETA
		return EmitFrom(ctx, out, fd, obj, lo, b, m)
	}
}
