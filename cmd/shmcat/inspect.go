package main

import (
	"fmt"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/shm"
)

// stale applies SPEC's rule to a segment: orphaned (shm's test: no
// attachment and a dead creator, or no process holding a POSIX object)
// AND idle for --idle.
func stale(o *options, now time.Time, i shm.Info) bool {
	return i.Stale && o.Idle.Stale(now, lastUse(i)...)
}

// lastUse are the kernel's own times of a segment's use: attach, detach
// and change for System V (shm_atime, shm_dtime, shm_ctime); the file
// times of a POSIX object.
func lastUse(i shm.Info) []time.Time {
	if i.POSIX {
		return []time.Time{i.Mtime, i.Atime, i.Ctime}
	}
	return []time.Time{i.Atime, i.Dtime, i.Ctime}
}

// idleField shows how long the segment has not been used: whole seconds
// in JSON, a duration such as 1h2m3s for people.
func idleField(now time.Time, i shm.Info) report.Field {
	d := cli.IdleFor(now, lastUse(i)...).Truncate(time.Second)
	return report.Field{Name: "idle", Value: int64(d / time.Second), Text: d.String()}
}

// withIdle applies --idle to the record of a segment: its idle time, and
// the stale rule with the idle test.
func withIdle(o *options, now time.Time, i shm.Info) report.Record {
	i.Stale = stale(o, now, i)
	r := record(i)
	n := len(r) - 1 // "stale" is last: the idle time goes before it
	return append(r[:n:n], idleField(now, i), r[n])
}

// record turns what the kernel says of a segment into the fields --stat
// prints, in the order ipcs -m -i prints them.
func record(i shm.Info) report.Record {
	holders := []report.Record{}
	for _, h := range i.Holders {
		holders = append(holders, report.Record{{Name: "pid", Value: h.PID}, {Name: "command", Value: h.Comm, Text: "(" + h.Comm + ")"}})
	}
	if i.POSIX {
		return report.Record{
			{Name: "type", Value: "posix"},
			{Name: "name", Value: i.Name},
			{Name: "path", Value: shm.Dir + i.Name},
			{Name: "size", Value: i.Size},
			{Name: "mode", Value: report.Mode(i.Mode)},
			{Name: "owner", Value: report.User(i.UID)},
			{Name: "group", Value: report.Group(i.GID)},
			{Name: "uid", Value: i.UID},
			{Name: "gid", Value: i.GID},
			{Name: "nattch", Value: i.Nattch},
			{Name: "accessed", Value: i.Atime},
			{Name: "modified", Value: i.Mtime},
			{Name: "changed", Value: i.Ctime},
			{Name: "holders", Value: holders},
			{Name: "stale", Value: i.Stale},
		}
	}
	return report.Record{
		{Name: "type", Value: "sysv"},
		{Name: "key", Value: i.Key, Text: ipcname.FormatKey(i.Key)},
		{Name: "id", Value: i.ID},
		{Name: "size", Value: i.Size},
		{Name: "mode", Value: report.Mode(i.Mode)},
		{Name: "owner", Value: report.User(i.UID)},
		{Name: "group", Value: report.Group(i.GID)},
		{Name: "uid", Value: i.UID},
		{Name: "gid", Value: i.GID},
		{Name: "creator", Value: report.User(i.CUID)},
		{Name: "creator_group", Value: report.Group(i.CGID)},
		{Name: "cuid", Value: i.CUID},
		{Name: "cgid", Value: i.CGID},
		{Name: "cpid", Value: i.CPID},
		{Name: "lpid", Value: i.LPID},
		{Name: "nattch", Value: i.Nattch},
		{Name: "attached", Value: i.Atime},
		{Name: "detached", Value: i.Dtime},
		{Name: "changed", Value: i.Ctime},
		{Name: "destroy", Value: i.Destroy},
		{Name: "holders", Value: holders},
		{Name: "stale", Value: i.Stale},
	}
}

// listColumns are the --list columns: ipcs -m's, with the family and staleness.
var listColumns = []string{"type", "name", "id", "size", "mode", "owner", "nattch", "cpid", "lpid", "idle", "stale"}

func list(env *cli.Env, o *options) error {
	infos, err := shm.List()
	if err != nil {
		return cli.Fail("shared memory", err, "")
	}
	now := time.Now()
	var rows []report.Record
	for _, i := range infos {
		if o.Actions.Stale && !stale(o, now, i) {
			continue
		}
		r := withIdle(o, now, i)
		if !o.JSON && !i.POSIX {
			// One NAME column for both families: the key as ipcs prints it.
			r = append(r, report.Field{Name: "name", Value: ipcname.FormatKey(i.Key)})
		}
		rows = append(rows, r)
	}
	return cli.Output(report.List(env.Stdout, o.JSON, listColumns, rows))
}

func remove(name ipcname.Name, obj string) error {
	if err := shm.Remove(name); err != nil {
		return openErr(obj, err)
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
		n := ipcname.Name{Kind: ipcname.POSIX, Path: i.Name}
		what := report.Escape(i.Name)
		if !i.POSIX {
			n = ipcname.Name{Kind: ipcname.ID, ID: i.ID}
			what = fmt.Sprintf("key %s id %d", ipcname.FormatKey(i.Key), i.ID)
		}
		objs = append(objs, cli.Stale{What: what, Owners: []uint32{i.UID, i.CUID}, Remove: func() error { return shm.Remove(n) }})
	}
	return env.Sweep("segments", o.DryRun, objs)
}
