package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/coproc"
	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/fdinfo"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/watch"
)

// end is one side of a transfer: a descriptor and how messages name it.
type end struct {
	fd   int
	name string
}

// ends resolves --in and --out, checking that each descriptor is open in
// the direction it will be used.
func ends(env *cli.Env, o *options) (in, out end, err error) {
	in = end{int(env.Stdin.Fd()), "standard input"}
	out = end{int(env.Stdout.Fd()), "standard output"}
	if o.In.Set {
		in = end{o.In.N, fmt.Sprintf("fd %d", o.In.N)}
	}
	if o.Out.Set {
		out = end{o.Out.N, fmt.Sprintf("fd %d", o.Out.N)}
	}
	if err := check(in, true); err != nil {
		return in, out, err
	}
	return in, out, check(out, false)
}

func check(e end, read bool) error {
	err := fdinfo.Usable(e.fd, read)
	switch {
	case err == fdinfo.ErrClosed || !cli.Inherited(e.fd):
		redir := fmt.Sprintf("%d>file", e.fd)
		if read {
			redir = fmt.Sprintf("%d<file", e.fd)
		}
		return cli.Failf(e.name, "open it in the shell, e.g. "+redir, "not an open descriptor")
	case err == fdinfo.ErrReadOnly || err == fdinfo.ErrWriteOnly:
		return cli.Failf(e.name, "", "%v", err)
	case err != nil:
		return cli.Fail(e.name, err, "")
	}
	return nil
}

// growTo is the capacity pipecat gives the pipes it copies between when
// -s is not given: 1 MiB (or fs.pipe-max-size, if lower) instead of the
// default 64 KiB, so that each stage wakes up 16 times less often.
const growTo = 1 << 20

// resize applies -s to each descriptor that is a pipe, or without -s
// grows it to growTo.
func resize(o *options, es ...end) error {
	for _, e := range es {
		if relay.KindOf(e.fd) != relay.Pipe {
			continue
		}
		if !o.Size.Set {
			relay.Grow(e.fd, growTo)
			continue
		}
		if _, err := relay.SetPipeSize(e.fd, o.Size.N); err != nil {
			return cli.Fail(e.name, err, "")
		}
	}
	return nil
}

// copyErr names the side of a failed copy; a closed standard output is a
// quiet exit 141, as for cat.
func copyErr(err error, in, out end) error {
	var we *relay.WriteError
	var re *relay.ReadError
	switch {
	case errors.As(err, &we) && out.name == "standard output":
		return cli.Output(we.Err)
	case errors.As(err, &we):
		return cli.Fail(out.name, we.Err, "")
	case errors.As(err, &re):
		return cli.Fail(in.name, re.Err, "")
	}
	return err
}

// passThrough copies input to output: splice(2) when either is a pipe,
// so that between two pipes no byte is copied through this process.
func passThrough(ctx context.Context, env *cli.Env, o *options) (err error) {
	in, out, err := ends(env, o)
	if err != nil {
		return err
	}
	if err := resize(o, in, out); err != nil {
		return err
	}
	rec, closeDump, err := o.Dump.Recorder(env)
	if err != nil {
		return err
	}
	defer endDump(closeDump, &err)
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	if rec != nil {
		// -x: every byte through this process, recorded as sent (>).
		_, err = relay.TeeCopy(ctx, out.fd, in.fd, m, relay.Recorded(rec, 0, ""), dump.Sent)
	} else {
		_, err = relay.Copy(ctx, out.fd, in.fd, m)
	}
	m.Stop()
	if err != nil {
		return copyErr(err, in, out)
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("copied", "from "+in.name+" to "+out.name))
	}
	return nil
}

// endDump closes the -x record's file: when it could not all be
// written, the run says so, unless it failed already.
func endDump(closeDump func() error, err *error) {
	var es cli.ExitStatus
	if cerr := closeDump(); cerr != nil && (*err == nil || errors.As(*err, &es) && es == 0) {
		*err = cerr
	}
}

// stopGrace is how long the command has, after pipecat passed it SIGINT
// or SIGTERM, to end and have its output delivered. It is shorter than
// cli.StopGrace, so that pipecat ends the command and exits with 128+N
// by itself, within SPEC's half second.
const stopGrace = 250 * time.Millisecond

// coprocess runs argv joined by two pipes: our input -> its standard
// input, its standard output -> our output. The exit status is the
// command's; SIGINT and SIGTERM are passed on to it.
func coprocess(ctx context.Context, env *cli.Env, o *options, argv []string) (err error) {
	in, out, err := ends(env, o)
	if err != nil {
		return err
	}
	if err := resize(o, in, out); err != nil {
		return err
	}
	rec, closeDump, err := o.Dump.Recorder(env)
	if err != nil {
		return err
	}
	defer endDump(closeDump, &err)
	var fs [4]*os.File // toR, toW, fromR, fromW
	defer func() {
		for _, f := range fs {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i := 0; i < 4; i += 2 {
		if fs[i], fs[i+1], err = os.Pipe(); err != nil {
			return cli.Fail("pipe", err, "")
		}
	}
	if err := resize(o, end{int(fs[1].Fd()), "pipe"}, end{int(fs[2].Fd()), "pipe"}); err != nil {
		return err
	}
	p, err := coproc.Start(argv, fs[0], fs[3], os.Stderr)
	if err != nil {
		var se *coproc.StartError
		if errno := coproc.Starved(err); errno != nil {
			return cli.Fail(argv[0], fmt.Errorf("cannot start it: %w", errno), "")
		}
		if errors.As(err, &se) {
			return &cli.Error{Code: se.Status, Object: se.Name, Err: errors.New(se.Msg())}
		}
		return cli.Fail(argv[0], err, "")
	}
	fs[0].Close()
	fs[3].Close()
	toW, fromR := fs[1], fs[2]
	fs = [4]*os.File{}
	// However the run ends, the command does not outlive it: a second
	// signal, or cli.Main's watchdog, kills it before pipecat exits.
	defer env.Cleanup(p.Kill)()
	mIn := meter.New(env.Tool, nil, false)
	mOut := meter.New(env.Tool, env.Stderr, o.Progress)
	r := p.Pump(ctx, coproc.Join{In: in.fd, Out: out.fd, ToW: toW, FromR: fromR,
		Sent: mIn, Received: mOut, Grace: stopGrace,
		Tee: relay.Recorded(rec, 0, "")}, // -x: > to the command, < from it
		func(p *coproc.Proc) {
			var sig *cli.SignalError
			if errors.As(context.Cause(ctx), &sig) {
				p.Signal(sig.Sig)
			}
		})
	mOut.Stop()
	return coprocessEnd(ctx, env, o, argv[0], r, in, out, mIn, mOut)
}

// coprocessEnd turns how the command and its data path ended into
// pipecat's result: the command's status, unless a stop signal cut its
// output or a side of the transfer failed.
func coprocessEnd(ctx context.Context, env *cli.Env, o *options, name string, r coproc.Outcome, in, out end, mIn, mOut *meter.Meter) error {
	if r.Abandoned {
		// Stopped by a signal with output undelivered, or the command
		// outstayed it: 128+N of the signal.
		return context.Cause(ctx)
	}
	if r.WaitErr != nil {
		return cli.Fail(name, r.WaitErr, "")
	}
	if o.Verbose {
		env.Warnf("%s", mIn.Summary("sent", "to "+name))
		env.Warnf("%s", mOut.Summary("received", "from "+name))
	}
	var re *relay.ReadError
	switch {
	case r.DrainErr != nil && errors.As(r.DrainErr, &re):
		return cli.Fail(name, re.Err, "reading its output")
	case r.DrainErr != nil && out.name != "standard output":
		return copyErr(r.DrainErr, in, out)
	case r.FeedErr != nil:
		return copyErr(r.FeedErr, in, out)
	case r.Sig != 0:
		return &cli.SignalError{Sig: r.Sig}
	case r.DrainErr != nil && r.Status == 0:
		// Our standard output failed but the command did not notice.
		return copyErr(r.DrainErr, in, out)
	}
	// The command's status is ours, also when it caught a signal we passed on.
	return cli.ExitStatus(r.Status)
}

// listHolders is how many holders a --list row names before "+N more".
const listHolders = 3

// stat describes descriptor fd of this process: what it is and, for a
// pipe, its capacity, the bytes queued and the processes at either end.
func stat(env *cli.Env, o *options, fd int) error {
	obj := fmt.Sprintf("fd %d", fd)
	fi, err := fdinfo.Of(fd)
	switch {
	case err == fdinfo.ErrClosed || !cli.Inherited(fd):
		return cli.Failf(obj, "", "not an open descriptor")
	case err != nil:
		return cli.Fail(obj, err, "")
	}
	r := report.Record{
		{Name: "fd", Value: fd},
		{Name: "type", Value: fi.Type},
		{Name: "pipe", Value: fi.Pipe},
		{Name: "inode", Value: fi.Ino},
		{Name: "access", Value: fi.Access},
	}
	if !fi.Pipe || fi.Named {
		r = append(r, report.Field{Name: "path", Value: fi.Path})
	}
	if fi.Pipe {
		var capacity, queued any
		if f, ok := procfs.FillOf(fd); ok {
			capacity, queued = f.Capacity, f.Queued
		}
		var rd, wr []procfs.PipeHolder
		pipes, sc := procfs.Pipes(fi.Named)
		if sc.Err != nil {
			return cli.Fail(obj, fmt.Errorf("cannot see which processes hold pipes: %w", sc.Err), "")
		}
		if p := pipes[procfs.PipeKey{Dev: fi.Dev, Ino: fi.Ino}]; p != nil {
			rd, wr = procfs.Without(p.Readers, os.Getpid()), procfs.Without(p.Writers, os.Getpid())
		}
		r = append(r,
			report.Field{Name: "capacity", Value: capacity},
			report.Field{Name: "queued", Value: queued},
			procfs.HolderField("writers", wr, 0, ""),
			procfs.HolderField("readers", rd, 0, ""))
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, r))
}

var listColumns = []string{"inode", "capacity", "queued", "writers", "readers"}

// list prints every anonymous pipe held open on the system, writers ->
// readers, ordered so that the stages of a pipeline follow each other.
func list(env *cli.Env, o *options) error {
	pipes, sc := procfs.Pipes(false)
	if sc.Err != nil {
		return cli.Fail("pipes", fmt.Errorf("cannot see which processes hold pipes: %w", sc.Err), "")
	}
	in, err := o.NS.Peers()
	if err != nil {
		return err
	}
	all := make([]*procfs.Pipe, 0, len(pipes))
	for _, p := range pipes {
		if !o.NS.Set || slices.ContainsFunc(p.Holders(), func(h procfs.PipeHolder) bool { return in(h.PID) }) {
			all = append(all, p)
		}
	}
	first := func(p *procfs.Pipe) int {
		if len(p.Writers) > 0 {
			return p.Writers[0].PID
		}
		if len(p.Readers) > 0 {
			return p.Readers[0].PID
		}
		return 0
	}
	sort.Slice(all, func(i, j int) bool {
		if a, b := first(all[i]), first(all[j]); a != b {
			return a < b
		}
		return all[i].Ino < all[j].Ino
	})
	self := os.Getpid()
	rows := []report.Record{}
	for _, p := range all {
		var capacity, queued any
		if f, ok := p.Fill(self); ok {
			capacity, queued = f.Capacity, f.Queued
		}
		rows = append(rows, report.Record{
			{Name: "inode", Value: p.Ino},
			{Name: "capacity", Value: capacity},
			{Name: "queued", Value: queued},
			procfs.HolderField("writers", p.Writers, listHolders, " ->"),
			procfs.HolderField("readers", p.Readers, listHolders, ""),
		})
	}
	if err := report.List(env.Stdout, o.JSON, listColumns, rows); err != nil {
		return cli.Output(err)
	}
	if sc.Hidden > 0 && !o.JSON {
		env.Warnf("%d processes could not be inspected; run as root to see their pipes", sc.Hidden)
	}
	return nil
}

// watchList is --list --watch: the pipelines, sampled every interval
// until a stop signal (or, with --pid or --pgid, until they are gone).
func watchList(ctx context.Context, env *cli.Env, o *options) error {
	w := &watch.Pipes{PID: o.PID, PGID: o.PGID, Every: o.Watch.D}
	return watch.Run(ctx, env.Stdout, o.Watch.D, o.JSON, w.Sample)
}
