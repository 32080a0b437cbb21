package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/ring"
	"github.com/ipcats/ipcats/internal/sem"
	"github.com/ipcats/ipcats/internal/shm"
	"github.com/ipcats/ipcats/internal/shmio"
	win "github.com/ipcats/ipcats/internal/window"
)

// segOpts are the options a segment is opened and written by.
func segOpts(o *options) *shmio.Options {
	return &shmio.Options{Offset: o.Offset.N, Length: o.Length.N, LengthSet: o.Length.Set, Size: o.Size.N, SizeSet: o.Size.Set,
		Mode: o.Mode.Or(0o600), Excl: o.Excl, NoClear: o.NoClear}
}

// worded gives a failure to open or create the segment shmcat's hints.
func worded(obj string, err error) error {
	var oe *shmio.OpenError
	if errors.As(err, &oe) {
		return openErr(obj, oe.Err)
	}
	return err
}

// frame is the frame of a -r, -f or -w run: -t, --progress, -v and -i.
func frame(env *cli.Env, o *options) *win.Run {
	return &win.Run{Env: env, Wait: o.Wait, Progress: o.Progress, Verbose: o.Verbose, Interval: o.Interval, Offset: o.Offset.N}
}

// write copies standard input into the segment's window: all of it or
// nothing (shmio.Write).
func write(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	return frame(env, o).Write(func(m *meter.Meter) (string, error) {
		seg, _, err := shmio.Write(ctx, segOpts(o), name, obj, int(env.Stdin.Fd()), m, env.Cleanup)
		if err != nil {
			return "", worded(obj, err)
		}
		return shmio.Where(seg, obj), nil
	})
}

// read copies the window to standard output, straight from the mapping,
// or with -f prints it now and each time it changes, like tail -f. The
// segment is opened, created with -c, or waited for under -t (and not at
// all under -n). What is printed: up to the last non-NUL byte (default),
// every byte (-a), or up to the first NUL (-z).
func read(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	t := win.Pick(win.LastNUL, o.All, o.CString, false)
	return frame(env, o).Serve(ctx, o.Follow, obj, "segment is empty", func(ctx context.Context) (*win.Source, error) {
		seg, lo, hi, err := shmio.OpenRead(segOpts(o), name, obj, o.Create, func() error {
			if name.Kind == ipcname.ID { // neither -c nor -t brings an id back
				return cli.Fail(obj, shm.ErrNotExist, "an id names a segment that exists: shmcat --list shows them")
			}
			return cli.Missing(ctx, obj, "segment", o.Nonblock, o.Timeout.Set, shm.ErrNotExist)
		})
		if err != nil {
			return nil, worded(obj, err)
		}
		return &win.Source{Where: shmio.Where(seg, obj), Close: func() { seg.Close() },
			Print: win.PrintMapped(obj, t, seg.Mem, seg.Fd(), lo, hi), Look: win.MapLook(ctx, obj, t, seg.Mem[lo:hi])}, nil
	})
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
		m.SetTotal(relay.Remaining(fd)) // a regular file: --progress % and ETA
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
		verb, what = "wrote", "into the ring "
	}
	err = streamErr(env, o, side.Role, res, obj)
	if err == nil && o.Verbose && (side.Role == ring.Reader || res.Err == nil) {
		env.Warnf("%s", m.Summary(verb, what+shmio.Where(seg, obj)))
	}
	switch {
	case err == nil && res.RemoveErr != nil:
		err = openErr(obj, res.RemoveErr)
	case res.Removed:
		env.Removed(o.Verbose, "segment", obj)
	case rmAfter && o.Verbose:
		env.Warnf("%s: marked for removal; the other side removes it when it leaves the ring", obj)
	}
	return err
}

// streamErr is the run's error for how a side's Send or Receive ended,
// with what it moved: res.N bytes into the ring, res.Taken of them read,
// or res.N bytes received.
func streamErr(env *cli.Env, o *options, role ring.Role, res ring.Result, obj string) error {
	err := res.Err
	done := fmt.Sprintf("%d bytes received", res.N)
	if role == ring.Writer {
		done = fmt.Sprintf("%d bytes written into the ring, %d of them read", res.N, res.Taken)
	}
	var died *ring.PeerDiedError
	var rerr *ring.ReadError
	var werr *ring.WriteError
	var cerr *ring.CorruptError
	switch {
	case err == nil:
		return nil
	case role == ring.Writer && errors.Is(err, ring.ErrIdle) && res.Taken > 0:
		// SPEC: -t stopping a run that moved data exits 0; say what was left.
		env.Warnf("%s: no room for %v; stopped with %s; the rest of the input was not read", obj, o.Timeout.D, done)
		return nil
	case role == ring.Writer && errors.Is(err, ring.ErrIdle):
		return cli.Timeout(obj, "waiting for a reader ("+done+")")
	case errors.Is(err, ring.ErrIdle) && res.N == 0:
		return cli.Timeout(obj, "waiting for the writer")
	case errors.Is(err, ring.ErrWouldBlock) && res.N == 0:
		return cli.Nothing(obj, "the ring is empty")
	case errors.Is(err, ring.ErrIdle), errors.Is(err, ring.ErrWouldBlock):
		return nil
	case errors.Is(err, ring.ErrReaderClosed):
		return cli.Failf(obj, "", "the reader closed the stream; %s", done)
	case errors.Is(err, ring.ErrWriterStopped):
		return cli.Failf(obj, "", "%v; %s", err, done)
	case errors.As(err, &died):
		return cli.Failf(obj, "", "%v; %s", died, done)
	case errors.As(err, &rerr):
		return cli.Failf("standard input", "", "%v; %s", cli.Message(rerr.Err), done)
	case errors.As(err, &werr):
		return cli.Output(werr.Err)
	case errors.As(err, &cerr):
		return cli.Failf(obj, "remove it with shmcat --rm", "%v; %s", cerr, done)
	case errors.Is(err, fault.ErrFault), errors.Is(err, shm.ErrNoSpace):
		return shmio.SpaceErr(obj, err, done)
	}
	return err // a signal: cli exits 128+N
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
		return nil, nil, shmio.SpaceErr(obj, ie.Err, "")
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
		return otherKind(false, "--stat", name, obj, asTyped(o), err, openErr)
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

// listColumns are the --list columns: ipcs -m's, with the family (or
// deleted, memfd), the status ipcs shows, holders and staleness.
// On a narrow terminal the optional ones go first, from the right.
var listColumns = []string{"type", "name", "id", "size", "mode" + report.Optional, "owner" + report.Optional, "nattch" + report.Optional, "status", "cpid" + report.Optional, "lpid" + report.Optional, "holders", "idle", "stale"}

// listHolders is how many holders a --list row names before "+N more".
const listHolders = 2

// list is --list: the segments and POSIX objects, then the memory no name
// reaches (deleted objects still held, memfds), and a total line against
// the tmpfs of /dev/shm (not in JSON).
func list(env *cli.Env, o *options) error {
	infos, err := shm.List()
	if err == nil {
		var gone []shm.Info
		gone, err = shm.Unlinked()
		infos = append(infos, gone...)
	}
	if err != nil {
		return cli.Fail("shared memory", err, "")
	}
	now := time.Now()
	var rows []report.Record
	var shown []shm.Info
	for _, i := range infos {
		if o.Sweeping.Stale && !stale(o, now, i) {
			continue
		}
		shown = append(shown, i)
		r := withIdle(o, now, i)
		if !i.POSIX && i.Unlinked == "" {
			r = append(r, report.Field{Name: "status", Value: i.Status(), Text: or(i.Status(), "-")})
		}
		if !o.JSON {
			r = tableRow(r, i)
		}
		rows = append(rows, r)
	}
	if err := report.List(env.Stdout, o.JSON, listColumns, rows); err != nil || o.JSON {
		return cli.Output(err)
	}
	return cli.Output(report.Note(env.Stdout, total(shown)))
}

// tableRow words a --list row for people: one NAME column for every kind
// (a System V key as ipcs prints it), holders cut to listHolders.
func tableRow(r report.Record, i shm.Info) report.Record {
	if !i.POSIX && i.Unlinked == "" {
		r = append(r, report.Field{Name: "name", Value: ipcname.FormatKey(i.Key), Text: ipcname.FormatKey(i.Key)})
	}
	for k := range r {
		if r[k].Name == "holders" {
			r[k] = i.HolderField(listHolders)
		}
	}
	return r
}

// total is --list's last line: how many objects of each kind and their
// bytes, those in /dev/shm (POSIX objects, deleted ones) against the size
// and free space of its tmpfs, then those outside it (memfds and System V
// segments, in the kernel's own shm mount, which df /dev/shm does not
// count).
func total(infos []shm.Info) string {
	n, bytes := map[string]int{}, map[string]int64{}
	for _, i := range infos {
		k := i.Unlinked
		switch {
		case k != "":
		case i.POSIX:
			k = "posix"
		default:
			k = "sysv"
		}
		n[k]++
		bytes[k] += i.Size
	}
	sum := func(kinds ...string) string {
		var parts []string
		for _, k := range kinds {
			if n[k] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d, %s", k, n[k], meter.Bytes(bytes[k])))
			}
		}
		return strings.Join(parts, "; ")
	}
	line := "total: " + shm.Dir
	if size, free, err := shm.Space(); err == nil {
		line += fmt.Sprintf(" (a %s tmpfs, %s free)", meter.Bytes(size), meter.Bytes(free))
	}
	line += ": " + or(sum("posix", "deleted"), "nothing")
	if out := sum("memfd", "sysv"); out != "" {
		line += "; outside " + shm.Dir + ": " + out
	}
	return line
}

// or is s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// remove removes the segment; arg, when given, is how the user named it,
// for the hint when it is a semaphore.
func remove(name ipcname.Name, obj, arg string) error {
	if err := shm.Remove(name); err != nil {
		return otherKind(false, "--rm", name, obj, arg, err, openErr)
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

// either is the semaphore action when sem (--sem), else the segment one.
func either(sem bool, a, b func(*cli.Env, *options) error) func(*cli.Env, *options) error {
	if sem {
		return a
	}
	return b
}

// semStale applies SPEC's rule to a semaphore: orphaned (sem's test) AND
// idle for --idle.
func semStale(o *options, now time.Time, i sem.Info) sem.Info {
	i.Stale = i.Orphaned() && o.Idle.Stale(now, i.LastUse()...)
	return i
}

// semColumns are the --list --sem columns: ipcs -s's, with each member's
// value, the last operators (a POSIX semaphore's holders), the waiters,
// and staleness.
var semColumns = []string{"type", "name", "id", "nsems", "values", "mode", "owner", "pids", "waiting", "idle", "stale"}

func listSem(env *cli.Env, o *options) error {
	infos, err := sem.List()
	if err != nil {
		return cli.Fail("semaphores", err, "")
	}
	now := time.Now()
	var rows []report.Record
	for _, i := range infos {
		i = semStale(o, now, i)
		if o.Sweeping.Stale && !i.Stale {
			continue
		}
		idle := cli.IdleFor(now, i.LastUse()...)
		if o.JSON {
			rows = append(rows, i.Record(idle))
		} else {
			rows = append(rows, i.Table(idle, listHolders))
		}
	}
	return cli.Output(report.List(env.Stdout, o.JSON, semColumns, rows))
}

func statSem(env *cli.Env, o *options, name ipcname.Name, obj string) error {
	i, err := sem.StatName(name)
	if err != nil {
		return otherKind(true, "--stat", name, obj, asTyped(o), err, semErr)
	}
	now := time.Now()
	i = semStale(o, now, i)
	r := i.StatText(cli.IdleFor(now, i.LastUse()...))
	if o.JSON {
		r = i.Record(cli.IdleFor(now, i.LastUse()...))
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, r))
}

func removeSem(name ipcname.Name, obj, arg string) error {
	if err := sem.Remove(name); err != nil {
		return otherKind(true, "--rm", name, obj, arg, err, semErr)
	}
	return nil
}

// otherKind words a failed --stat or --rm (verb): when nothing of the
// kind asked for (a semaphore with --sem, else a segment) goes by the
// name but an object of the other kind does, the hint says how to reach
// it; else worded(obj, err) as usual.
func otherKind(wantSem bool, verb string, name ipcname.Name, obj, arg string, err error, worded func(string, error) error) error {
	missing := errors.Is(err, shm.ErrNotExist)
	if wantSem {
		missing = errors.Is(err, sem.ErrNotExist)
	}
	if !missing || arg == "" {
		return worded(obj, err)
	}
	if _, serr := shm.StatName(name); wantSem && serr == nil {
		return cli.Fail(obj, err, "it is a segment: shmcat "+verb+" "+arg)
	}
	if _, serr := sem.StatName(name); !wantSem && serr == nil {
		return cli.Fail(obj, err, "it is a semaphore: shmcat "+verb+" --sem "+arg)
	}
	return worded(obj, err)
}

// removeStaleSem removes the stale semaphores this user may remove, each
// only if it is still the one surveyed.
func removeStaleSem(env *cli.Env, o *options) error {
	infos, err := sem.List()
	if err != nil {
		return cli.Fail("semaphores", err, "")
	}
	now := time.Now()
	var objs []cli.Stale
	for _, i := range infos {
		if i = semStale(o, now, i); !i.Stale {
			continue
		}
		objs = append(objs, cli.Stale{What: report.Escape(i.What()), Owners: []uint32{i.UID, i.CUID}, Remove: func() error {
			if err := i.Remove(); !errors.Is(err, sem.ErrNotExist) {
				return err
			}
			return cli.ErrReplaced
		}})
	}
	return env.Sweep("semaphores", o.DryRun, objs)
}

// asTyped is the object as the user named it, with the --ns it was
// looked for in, for a hint that repeats the command.
func asTyped(o *options) string {
	s := report.Escape(string(o.Args.Object))
	if o.NS.Set {
		s += fmt.Sprintf(" --ns %d", o.NS.PID)
	}
	return s
}

// semFile refuses to write, create or remove /sem.NAME as a segment: it
// is glibc's file of the POSIX semaphore /NAME, which --list leaves to
// --list --sem. Reading it and --stat are left alone.
func semFile(o *options, act cli.Action, rmAfter bool, name ipcname.Name, obj string) error {
	base, ok := strings.CutPrefix(name.Path, "/"+sem.Prefix)
	if name.Kind != ipcname.POSIX || !ok || base == "" || o.Sem {
		return nil
	}
	if act == cli.ActWrite || act == cli.ActRemove || rmAfter || o.Create || o.Stream {
		return cli.Failf(obj, "use --sem with /"+base+" to see it or remove it", "the file of the POSIX semaphore /%s, not a segment", base)
	}
	return nil
}

// semErr wraps a failure to find, read or remove a semaphore.
func semErr(obj string, err error) error {
	switch {
	case errors.Is(err, sem.ErrNotExist):
		return cli.Fail(obj, err, "shmcat --list --sem shows the semaphores there are")
	case errors.Is(err, sem.ErrPermission):
		return cli.Fail(obj, err, "shmcat --list --sem shows its owner and mode")
	}
	return cli.Fail(obj, err, "")
}
