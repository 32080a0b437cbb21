package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/fifo"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/report"
)

// read copies the FIFO to standard output until the last writer closes,
// or with -k until a signal or -t of idle time.
func read(ctx context.Context, env *cli.Env, o *options, path string) (err error) {
	tee, endDump, err := record(env, o)
	if err != nil {
		return err
	}
	defer endDump(&err)
	// Under -n, a writer blocked in open(2) for want of a reader is a
	// peer: the open below lets it go, and its bytes are what -n reads.
	waiting := o.Nonblock && fifo.Waiting(path)
	end, err := fifo.OpenReader(path, o.Keep)
	if err != nil {
		return openErr(path, err)
	}
	defer end.Close()
	out := int(env.Stdout.Fd())
	if err := end.Size(o.Size.N, out); err != nil {
		return err
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	ctx, cancel := cli.Bound(ctx, o.Timeout, m)
	defer cancel()

	switch {
	case o.Nonblock && tee != nil:
		err = relay.TeeThrough(ctx, out, tee, dump.Received, func(w int) error { return end.ReadNow(ctx, w, m, waiting) })
	case o.Nonblock:
		err = end.ReadNow(ctx, out, m, waiting)
	default:
		if !o.Keep {
			// Until a writer has come, the FIFO reads as empty and ended:
			// wait for its first bytes, or for it to come and go.
			if err := end.WaitPeer(ctx); err != nil {
				if ctx.Err() == nil {
					return cli.Fail(path, err, "")
				}
				return cli.Ended(ctx, err, m, path, "waiting for a writer")
			}
		}
		_, err = copyOut(ctx, out, end.FD, m, tee)
	}
	if m.Moved() {
		end.Touch()
	}
	if err = cli.Ended(ctx, err, m, path, "waiting for a writer"); err != nil {
		var we *relay.WriteError
		if errors.As(err, &we) {
			return cli.Output(we.Err)
		}
		var re *relay.ReadError
		if errors.As(err, &re) {
			return cli.Fail(path, re.Err, "")
		}
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("read", "from "+path))
	}
	return nil
}

// write copies standard input into the FIFO, as a stream or with --lines
// line by line.
func write(ctx context.Context, env *cli.Env, o *options, path string) (err error) {
	tee, endDump, err := record(env, o)
	if err != nil {
		return err
	}
	defer endDump(&err)
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	ctx, cancel := cli.Bound(ctx, o.Timeout, m)
	defer cancel()
	end, err := fifo.OpenWriter(ctx, path, o.Nonblock)
	if err != nil {
		return cli.Ended(ctx, openErr(path, err), m, path, "waiting for a reader")
	}
	defer end.Close()
	in := int(env.Stdin.Fd())
	if err := end.Size(o.Size.N, in); err != nil {
		return err
	}
	var lines int64
	switch {
	case o.Lines && tee != nil:
		lines, err = relay.TeeLines(ctx, end.FD, in, m, tee)
	case o.Lines:
		lines, err = relay.WriteLines(ctx, end.FD, in, m)
	case tee != nil:
		_, err = relay.TeeCopy(ctx, end.FD, in, m, tee, dump.Sent)
	default:
		_, err = relay.Copy(ctx, end.FD, in, m)
	}
	if m.Moved() {
		end.Touch()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && err != nil {
		if !m.Moved() {
			return cli.Timeout(path, "waiting for the reader to take data")
		}
		// (-t bounds every wait: the reader's for room, or ours for input.)
		env.Warnf("%s: nothing moved for %v; stopped after %d bytes", path, o.Timeout.D, m.Bytes())
		return nil
	}
	var le *relay.LineError
	var we *relay.WriteError
	var re *relay.ReadError
	switch {
	case errors.As(err, &le):
		return cli.Fail(path, le, "")
	case errors.As(err, &we) && fifo.ReaderGone(we.Err):
		return cli.Failf(path, "", "the reader closed the FIFO; %d bytes were written before that", m.Bytes())
	case errors.As(err, &we):
		return cli.Failf(path, "", "write: %v; %d bytes were written before that", cli.Message(we.Err), m.Bytes())
	case errors.As(err, &re):
		return cli.Failf("standard input", "", "%v; %d bytes were written to %s before that", cli.Message(re.Err), m.Bytes(), path)
	case err != nil:
		return err
	}
	if o.Verbose {
		verb := "wrote"
		if o.Lines {
			verb = fmt.Sprintf("wrote %d lines,", lines)
			if lines == 1 {
				verb = "wrote 1 line,"
			}
		}
		env.Warnf("%s", m.Summary(verb, "to "+path))
	}
	return nil
}

// record opens the --hexdump record, if asked for: the Tee of the copy
// (nil: the fast path, unchanged) and the function that closes it, which
// fails a run whose record could not be written whole.
func record(env *cli.Env, o *options) (relay.Tee, func(*error), error) {
	r, closeDump, err := o.DumpLong.Recorder(env)
	if err != nil {
		return nil, nil, err
	}
	return relay.Recorded(r, 0, ""), func(err *error) {
		if cerr := closeDump(); *err == nil {
			*err = cerr
		}
	}, nil
}

// copyOut is -r's copy: with --hexdump through TeeCopy, recorded as
// received (<).
func copyOut(ctx context.Context, out, fd int, m *meter.Meter, tee relay.Tee) (int64, error) {
	if tee != nil {
		return relay.TeeCopy(ctx, out, fd, m, tee, dump.Received)
	}
	return relay.Copy(ctx, out, fd, m)
}

// openErr wraps a failure to open with the hint that applies.
func openErr(path string, err error) error {
	var ce *cli.Error
	if errors.As(err, &ce) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, os.ErrPermission) {
		return cli.Fail(path, err, "check its mode with fifocat --stat")
	}
	return cli.Fail(path, err, "")
}

func stat(env *cli.Env, o *options, path string) error {
	i, err := fifo.Stat(path, &o.Idle)
	if err != nil {
		return err
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, i.Record()))
}

func list(env *cli.Env, o *options, dir string) error {
	all, u := fifo.Survey(dir, &o.Idle)
	var rows []report.Record
	for _, i := range all {
		if o.Sweeping.Stale && !i.Stale {
			continue
		}
		rows = append(rows, i.Record())
	}
	if err := report.List(env.Stdout, o.JSON, fifo.ListColumns, rows); err != nil {
		return cli.Output(err)
	}
	if !o.JSON {
		if u.Proc.Hidden > 0 {
			env.Warnf("%d processes could not be inspected; FIFOs only they hold may show as stale (run as root to see all)", u.Proc.Hidden)
		}
		if len(u.Unknown) > 0 {
			env.Warnf("%s blocked opening a FIFO that could not be told; the FIFO it waits on may show as stale", pidList(u.Unknown))
		}
	}
	return nil
}

// pidList is "pid 12 is" or "pids 12, 13 are".
func pidList(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	if len(s) == 1 {
		return "pid " + s[0] + " is"
	}
	return "pids " + strings.Join(s, ", ") + " are"
}

// removeStale removes the stale FIFOs that this user may remove (root:
// all; others: their own), printing each as it goes. A FIFO is live only
// through a process that holds it or is opening it, by device and inode;
// a process blocked opening a FIFO that cannot be told is not counted
// against any of them (it is most likely elsewhere), only reported.
func removeStale(env *cli.Env, o *options, dir string) error {
	all, u := fifo.Survey(dir, &o.Idle)
	if len(u.Unknown) > 0 {
		env.Warnf("%s blocked opening a FIFO that could not be told; not counted as opening any of these", pidList(u.Unknown))
	}
	var objs []cli.Stale
	for _, i := range all {
		if i.Stale && i.File != nil {
			objs = append(objs, cli.Stale{What: i.Path, Owners: []uint32{i.File.UID}, Remove: i.File.RemoveSame})
		}
	}
	return env.Sweep("FIFOs", o.DryRun, objs)
}

// checkNS adds --ns's rule to err, checkFlags' verdict: the FIFOs of
// another mount namespace are searched for in a DIR of it, not in the
// default directories (which are this one's).
func checkNS(act cli.Action, o *options, err error) error {
	if err == nil && o.NS.Set && (act == cli.ActList || act == cli.ActRemoveStale) && o.Args.Path == "" {
		return cli.Usagef("--ns with --list or --rm --stale takes the DIR of that process to search, such as /tmp")
	}
	return err
}
