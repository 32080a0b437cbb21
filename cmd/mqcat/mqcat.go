package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/mq"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/watch"
)

// params are the options that shape a created queue.
func params(o *options) *mq.Params {
	return &mq.Params{Mode: o.Mode, MaxMsg: ipcname.Size(o.MaxMsg), MsgSize: o.MsgSize, QBytes: o.QBytes}
}

// write sends standard input into the queue, one message per record.
func write(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) (err error) {
	q, created, err := mq.Open(params(o), name, obj, true, o.Excl, true)
	if err != nil {
		return noSuchID(name, obj, err)
	}
	modeUnchanged(env, o, obj, created)
	defer q.Close()
	m := meter.New(env.Tool, env.Stderr, o.Progress).InMessages()
	defer m.Stop()
	if created {
		// What a failed run created, it removes: a queue left empty by a
		// refused first record (or a signal before any) is no result.
		defer func() {
			if err != nil && m.Msgs() == 0 {
				q.RemoveUnused()
			}
		}()
	}
	ctx, cancel := o.Wait.Bound(ctx, m)
	defer cancel()
	defer q.Interrupt(ctx)()
	s := &mq.Sender{Warn: env.Warnf, Q: q, W: mq.Wait{Ctx: ctx, Nonblock: o.Nonblock}, M: m, Typ: o.typ(1), Prio: uint(o.Priority.N), Unit: framingOf(o).Name()}
	if o.JSON {
		s.Unit = "line"
		err = s.SendJSON(env.Stdin)
	} else {
		err = s.SendRecords(env.Stdin, framingOf(o))
	}
	if err != nil {
		return err
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("sent", "to "+where(q)))
	}
	return nil
}

// modeUnchanged says that -m did nothing to a queue that existed: the
// mode is set at creation.
func modeUnchanged(env *cli.Env, o *options, obj string, created bool) {
	if o.Mode.Set && !created {
		env.Warnf("%s: -m not applied: the queue exists and keeps its mode (-m applies only at creation)", obj)
	}
}

// where names the queue in -v lines.
func where(q *mq.Queue) string {
	if q.POSIX {
		return q.Obj
	}
	if q.Name.Kind == ipcname.ID {
		return fmt.Sprintf("%s (key %s)", q.Obj, ipcname.FormatKey(q.Key))
	}
	return fmt.Sprintf("%s (id %d)", q.Obj, q.ID)
}

// openForRead opens the queue, creating it with -c, or waiting for it to
// appear under -t (and not at all under -n).
func openForRead(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) (*mq.Queue, error) {
	for {
		q, created, err := mq.Open(params(o), name, obj, o.Create && name.Kind != ipcname.ID, false, false)
		if err == nil {
			modeUnchanged(env, o, obj, created)
		}
		if err == nil || !errors.Is(err, mq.ErrNotExist) || name.Kind == ipcname.ID {
			return q, noSuchID(name, obj, err)
		}
		if o.Nonblock {
			return nil, cli.Fail(obj, mq.ErrNotExist, "use -c to create it") // exit 1, as without -n
		}
		if !o.Timeout.Set {
			return nil, err // missing is exit 1
		}
		if err := cli.Appear(ctx, obj, "queue"); err != nil {
			return nil, err
		}
	}
}

// noSuchID words a missing id:N: neither -c nor -t can bring it back (the
// kernel gives ids out), so the hint is where the live ones are.
func noSuchID(name ipcname.Name, obj string, err error) error {
	if name.Kind == ipcname.ID && errors.Is(err, mq.ErrNotExist) {
		return cli.Fail(obj, mq.ErrNotExist, "an id names a queue that exists: mqcat --list shows them")
	}
	return err
}

// read prints the queue's messages on standard output.
func read(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	fd := int(env.Stdout.Fd())
	// Writes to standard output give way to a signal and to its reader
	// leaving (octx); waits for messages also to -t (rctx).
	octx, stopWatch := cli.WatchOutput(ctx, fd)
	defer stopWatch()
	m := meter.New(env.Tool, env.Stderr, o.Progress).InMessages()
	defer m.Stop()
	rctx, cancel := o.Wait.Bound(octx, m)
	defer cancel()
	q, err := openForRead(rctx, env, o, name, obj)
	if err := cli.OutputGone(rctx, err); err != nil {
		return err
	}
	defer q.Close()
	r := mq.Reading{
		Receiving: mq.Receiving{Type: o.typ(0), Except: o.Except, Count: -1, Drain: o.Drain, Nonblock: o.Nonblock},
		Peek:      o.Peek, JSON: o.JSON, Term: framingOf(o).Terminator(),
	}
	if o.Count.Set {
		r.Count = o.Count.N
	}
	warn := func(s string) { env.Warnf("%s", s) }
	ok, err := mq.Deliver(ctx, octx, rctx, q, r, fd, m, warn, env.Cleanup)
	if ok && o.Verbose {
		verb := "received"
		if o.Peek {
			verb = "copied"
		}
		env.Warnf("%s", m.Summary(verb, "from "+where(q)))
	}
	return err
}

func stat(env *cli.Env, o *options, name ipcname.Name, obj string) error {
	rec, err := mq.Stat(&o.Idle, name, obj)
	if err != nil {
		return err
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, rec))
}

// listColumns are the --list columns: ipcs -q's, with the family and staleness.
var listColumns = []string{"type", "name", "id", "mode", "owner", "msgs", "bytes", "lspid" + report.Optional, "lrpid" + report.Optional, "idle", "stale"}

// entries lists every queue, warning when POSIX queues cannot be listed.
func entries(env *cli.Env, o *options) ([]mq.Entry, error) {
	es, mounted, err := mq.List(&o.Idle)
	if err != nil {
		return nil, cli.Fail("message queues", err, "")
	}
	if !mounted {
		env.Warnf("POSIX queues not listed: %s is not mounted; mount it with: mount -t mqueue none %s", mq.Dir, mq.Dir)
	}
	return es, nil
}

func list(env *cli.Env, o *options) error {
	es, err := entries(env, o)
	if err != nil {
		return err
	}
	var rows []report.Record
	for _, e := range es {
		if o.Sweeping.Stale && !e.Stale {
			continue
		}
		r := e.Rec
		if !o.JSON {
			// One NAME column for both families; MSGS and BYTES as
			// ipcs -q's messages and used-bytes (lsipc's MSGS).
			if e.POSIX == "" {
				r = append(r, report.Field{Name: "name", Value: ipcname.FormatKey(e.Key), Text: ipcname.FormatKey(e.Key)},
					report.Field{Name: "msgs", Value: r.Get("qnum")}, report.Field{Name: "bytes", Value: r.Get("cbytes")})
			} else {
				r = append(r, report.Field{Name: "msgs", Value: r.Get("curmsgs")}, report.Field{Name: "bytes", Value: r.Get("qsize")})
			}
		}
		rows = append(rows, r)
	}
	return cli.Output(report.List(env.Stdout, o.JSON, listColumns, rows))
}

// removeStale removes the stale queues this user may remove (root: all;
// others: their own), printing each as it goes.
func removeStale(env *cli.Env, o *options) error {
	es, err := entries(env, o)
	if err != nil {
		return err
	}
	var objs []cli.Stale
	for _, e := range es {
		if !e.Stale {
			continue
		}
		what, n := e.POSIX, ipcname.Name{Kind: ipcname.POSIX, Path: e.POSIX}
		owners := []uint32{e.UID}
		if e.POSIX == "" {
			what, n = fmt.Sprintf("key %s id %d", ipcname.FormatKey(e.Key), e.ID), ipcname.Name{Kind: ipcname.ID, ID: e.ID}
			owners = append(owners, e.CUID)
		}
		objs = append(objs, cli.Stale{What: what, Owners: owners, Remove: func() error { return mq.Remove(n, what) }})
	}
	return env.Sweep("queues", o.DryRun, objs)
}

// watchList is --list --watch: every queue, sampled every interval until
// a stop signal.
func watchList(ctx context.Context, env *cli.Env, o *options) error {
	w := &mq.Watcher{}
	warned := false
	return watch.Run(ctx, env.Stdout, o.Watch.D, o.JSON, func() (watch.Frame, error) {
		rows, mounted, err := w.List()
		if err != nil {
			return watch.Frame{}, cli.Fail("message queues", err, "")
		}
		if !mounted && !warned {
			warned = true
			env.Warnf("POSIX queues not listed: %s is not mounted; mount it with: mount -t mqueue none %s", mq.Dir, mq.Dir)
		}
		if rows == nil {
			rows = []report.Record{}
		}
		var b strings.Builder
		b.WriteString(watch.Header(time.Now(), o.Watch.D, meter.Count(int64(len(rows)), "queue")) + "\n")
		report.List(&b, false, mq.WatchColumns, rows)
		return watch.Frame{Text: strings.TrimSuffix(b.String(), "\n"), JSON: watch.Sample("queues", rows)}, nil
	})
}

// watchStat is --stat --watch: one queue, sampled every interval until a
// stop signal or until it is removed.
func watchStat(ctx context.Context, env *cli.Env, o *options, name ipcname.Name, obj string) error {
	w := &mq.Watcher{}
	first := true
	return watch.Run(ctx, env.Stdout, o.Watch.D, o.JSON, func() (watch.Frame, error) {
		rec, err := w.Stat(name, obj)
		if errors.Is(err, mq.ErrNotExist) && !first {
			env.Warnf("%s: removed", obj)
			return watch.Frame{Text: obj + ": removed", JSON: watch.Sample("queue", nil), Done: true}, nil
		}
		if err != nil {
			return watch.Frame{}, err
		}
		first = false
		var b strings.Builder
		b.WriteString(watch.Header(time.Now(), o.Watch.D, obj) + "\n")
		report.Stat(&b, false, rec)
		return watch.Frame{Text: strings.TrimSuffix(b.String(), "\n"), JSON: watch.Sample("queue", rec)}, nil
	})
}
