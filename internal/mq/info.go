package mq

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// sysvRecord is what --stat and --list print of a System V queue, in the
// order ipcs -q -i prints it. qbytes is -1 when only /proc could be read.
func sysvRecord(key uint32, id int, ds *sysvipc.MsqidDS, qbytes int64, stale bool, waiters []report.Record, now time.Time) report.Record {
	qb := report.Field{Name: "qbytes", Value: qbytes}
	if qbytes < 0 {
		// Only IPC_STAT tells it, and that needs read permission.
		qb = report.Field{Name: "qbytes", Value: nil, Text: "unknown (reading it needs read permission)"}
	}
	return report.Record{
		{Name: "type", Value: "sysv"},
		{Name: "key", Value: ipcname.FormatKey(key), Text: ipcname.FormatKey(key)},
		{Name: "id", Value: id},
		{Name: "mode", Value: report.Mode(ds.Perm.Mode)},
		{Name: "owner", Value: report.User(ds.Perm.Uid)},
		{Name: "group", Value: report.Group(ds.Perm.Gid)},
		{Name: "creator", Value: report.User(ds.Perm.Cuid)},
		{Name: "creator_group", Value: report.Group(ds.Perm.Cgid)},
		{Name: "qnum", Value: ds.Qnum},
		{Name: "cbytes", Value: ds.Cbytes},
		qb,
		{Name: "lspid", Value: ds.Lspid},
		{Name: "lrpid", Value: ds.Lrpid},
		{Name: "sent", Value: unixTime(ds.Stime)},
		{Name: "received", Value: unixTime(ds.Rtime)},
		{Name: "changed", Value: unixTime(ds.Ctime)},
		report.Idle(cli.IdleFor(now, sysvTimes(ds)...)),
		{Name: "waiting", Value: append([]report.Record{}, waiters...)}, // [] in JSON, never null
		{Name: "stale", Value: stale},
	}
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// sysvQueue is one row of /proc/sysvipc/msg.
type sysvQueue struct {
	key uint32
	id  int
	ds  sysvipc.MsqidDS
}

func sysvQueues() ([]sysvQueue, error) {
	rows, err := procfs.SysV("msg")
	if err != nil {
		return nil, fmt.Errorf("read /proc/sysvipc/msg: %w", err)
	}
	var qs []sysvQueue
	for _, r := range rows {
		var ds sysvipc.MsqidDS
		ds.Perm.Mode = r.Octal("perms")
		ds.Perm.Uid, ds.Perm.Gid = uint32(r.Uint("uid")), uint32(r.Uint("gid"))
		ds.Perm.Cuid, ds.Perm.Cgid = uint32(r.Uint("cuid")), uint32(r.Uint("cgid"))
		ds.Cbytes, ds.Qnum = r.Uint("cbytes"), r.Uint("qnum")
		ds.Lspid, ds.Lrpid = int32(r.Int("lspid")), int32(r.Int("lrpid"))
		ds.Stime, ds.Rtime, ds.Ctime = r.Int("stime"), r.Int("rtime"), r.Int("ctime")
		qs = append(qs, sysvQueue{key: uint32(int32(r.Int("key"))), id: int(r.Int("msqid")), ds: ds})
	}
	sort.Slice(qs, func(a, b int) bool { return qs[a].id < qs[b].id })
	return qs, nil
}

// waiting maps queue ids to the processes blocked in msgsnd/msgrcv on them.
func waiting() (map[int][]report.Record, error) {
	ws, err := procfs.MsgWaiters()
	if err != nil {
		return nil, scanErr(err)
	}
	out := map[int][]report.Record{}
	for _, w := range ws {
		if !ns.SameIPC(w.PID) {
			continue // on a queue of another IPC namespace
		}
		what := "msgrcv"
		if w.Send {
			what = "msgsnd"
		}
		out[w.ID] = append(out[w.ID], report.Record{{Name: "pid", Value: w.PID}, {Name: "comm", Value: procfs.Comm(w.PID), Text: "(" + procfs.Comm(w.PID) + ")"}, {Name: "call", Value: what}})
	}
	return out, nil
}

// sysvStale applies our rule: nobody waits on the queue, neither its
// last sender nor its last receiver is alive (or there never was one),
// and nothing was sent, received or changed for --idle. The kernel keeps
// those times in whole seconds, so a use may have come up to a second
// after its time reads: the idle test counts from the end of that second
// (else a queue received from at X.9 s looks 1 s idle at X+1.0 s).
func sysvStale(idle *cli.Idle, now time.Time, ds *sysvipc.MsqidDS, waiters []report.Record) bool {
	return len(waiters) == 0 && !procfs.Alive(int(ds.Lspid)) && !procfs.Alive(int(ds.Lrpid)) && idle.Stale(now.Add(-time.Second+time.Nanosecond), sysvTimes(ds)...)
}

// sysvTimes are the kernel's times of a System V queue's last send,
// receive and change (msg_stime, msg_rtime, msg_ctime).
func sysvTimes(ds *sysvipc.MsqidDS) []time.Time {
	return []time.Time{unixTime(ds.Stime), unixTime(ds.Rtime), unixTime(ds.Ctime)}
}

// posixTimes are the times of a POSIX queue's inode: a send or receive
// sets all three, a chmod or chown the change time. The access time is
// left out: reading /dev/mqueue/NAME (what --stat and --list do for
// QSIZE) sets it, and inspection must not make a queue look used.
func posixTimes(st *unix.Stat_t) []time.Time {
	return []time.Time{time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix())}
}

// posixInfo is what --stat and --list print of a POSIX queue. fd may be -1
// when the queue could not be opened (then the attributes are unknown).
func posixRecord(name string, fd int, st *unix.Stat_t, holders []report.Record, listed, stale bool, now time.Time) report.Record {
	r := report.Record{{Name: "type", Value: "posix"}, {Name: "name", Value: name}}
	if fd >= 0 {
		if a, err := posixmq.GetAttr(fd); err == nil {
			r = append(r, report.Field{Name: "maxmsg", Value: a.Maxmsg}, report.Field{Name: "msgsize", Value: a.Msgsize}, report.Field{Name: "curmsgs", Value: a.Curmsgs})
		}
	}
	if st != nil {
		r = append(r,
			report.Field{Name: "mode", Value: report.Mode(st.Mode)},
			report.Field{Name: "owner", Value: report.User(st.Uid)},
			report.Field{Name: "group", Value: report.Group(st.Gid)},
			report.Field{Name: "modified", Value: time.Unix(st.Mtim.Unix())},
			report.Idle(cli.IdleFor(now, posixTimes(st)...)),
		)
	}
	if s, ok := posixmq.ReadStatus(name); ok {
		r = append(r, report.Field{Name: "qsize", Value: s.QSize}, report.Field{Name: "notify_pid", Value: s.NotifyPID})
		if listed {
			r = append(r, report.Field{Name: "holders", Value: append([]report.Record{}, holders...)}, report.Field{Name: "stale", Value: stale}) // [], never null
		}
	}
	return r
}

// Stat is what --stat prints of the named queue: its attributes, who
// holds or waits on it, and whether it is stale after idle.
func Stat(idle *cli.Idle, name ipcname.Name, obj string) (report.Record, error) {
	name, err := name.Resolve()
	if err != nil {
		return nil, cli.Fail(obj, err, "")
	}
	q := &Queue{Name: name, Obj: obj, POSIX: name.Kind == ipcname.POSIX}
	if q.POSIX {
		fd, err := posixmq.Open(name.Path, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
		if err == unix.EACCES {
			fd, err = posixmq.Open(name.Path, unix.O_WRONLY|unix.O_NONBLOCK, 0, nil)
		}
		if err != nil {
			return nil, q.lookErr(err)
		}
		defer unix.Close(fd)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, cli.Fail(obj, err, "")
		}
		holders, listed, err := posixHolders()
		if err != nil {
			return nil, cli.Fail(obj, err, "")
		}
		h := dropSelf(holders[devIno{st.Dev, st.Ino}]) // our own look does not hold it
		now := time.Now()
		stale := len(h) == 0 && idle.Stale(now, posixTimes(&st)...)
		return posixRecord(name.Path, fd, &st, h, listed, stale, now), nil
	}
	id := name.ID
	if name.Kind == ipcname.Key {
		if id, err = sysvipc.MsgGet(name.Key, 0); err != nil {
			return nil, q.lookErr(err)
		}
	}
	all, err := sysvQueues()
	if err != nil {
		return nil, cli.Fail(obj, err, "")
	}
	for _, sq := range all {
		if sq.id != id {
			continue
		}
		qbytes := int64(-1)
		if ds, err := sysvipc.MsgStat(id); err == nil {
			sq.ds, qbytes = ds, int64(ds.Qbytes)
		}
		ws, err := waiting()
		if err != nil {
			return nil, cli.Fail(obj, err, "")
		}
		w := ws[id]
		now := time.Now()
		return sysvRecord(sq.key, id, &sq.ds, qbytes, sysvStale(idle, now, &sq.ds, w), w, now), nil
	}
	return nil, q.openErr(ErrNotExist)
}

type devIno struct{ dev, ino uint64 }

// posixHolders maps each queue of /dev/mqueue to the processes holding it
// open; ok is false when /dev/mqueue is not mounted (nothing to match).
func posixHolders() (map[devIno][]report.Record, bool, error) {
	if !posixmq.Mounted() {
		return nil, false, nil
	}
	seen := map[devIno]map[int]bool{}
	sc := procfs.FDs(func(link string) bool { return strings.HasPrefix(link, "/") && strings.Count(link, "/") == 1 },
		func(f procfs.FD) {
			k := devIno{f.Dev, f.Ino}
			if seen[k] == nil {
				seen[k] = map[int]bool{}
			}
			seen[k][f.PID] = true
		})
	if sc.Err != nil {
		return nil, true, scanErr(sc.Err)
	}
	out := map[devIno][]report.Record{}
	for k, pids := range seen {
		var ps []int
		for p := range pids {
			ps = append(ps, p)
		}
		sort.Ints(ps)
		for _, p := range ps {
			out[k] = append(out[k], report.Record{{Name: "pid", Value: p}, {Name: "comm", Value: procfs.Comm(p), Text: "(" + procfs.Comm(p) + ")"}})
		}
	}
	return out, true, nil
}

// Dir is where the mqueue file system is conventionally mounted: List
// sees POSIX queues only there.
const Dir = posixmq.Dir

// Entry is one queue of --list.
type Entry struct {
	Rec   report.Record
	Stale bool
	POSIX string // POSIX name, or ""
	ID    int
	Key   uint32
	UID   uint32 // owner
	CUID  uint32 // creator (System V)
}

// List is every queue of both families, each with whether it is stale
// after idle. mounted is false when /dev/mqueue is not mounted: then no
// POSIX queue is listed.
func List(idle *cli.Idle) (out []Entry, mounted bool, err error) {
	qs, err := sysvQueues()
	if err != nil {
		return nil, true, err
	}
	w, err := waiting()
	if err != nil {
		return nil, true, err
	}
	now := time.Now()
	for _, sq := range qs {
		stale := sysvStale(idle, now, &sq.ds, w[sq.id])
		qbytes := int64(-1)
		if ds, err := sysvipc.MsgStat(sq.id); err == nil {
			qbytes = int64(ds.Qbytes)
		}
		out = append(out, Entry{Rec: sysvRecord(sq.key, sq.id, &sq.ds, qbytes, stale, w[sq.id], now), Stale: stale, ID: sq.id, Key: sq.key, UID: sq.ds.Perm.Uid, CUID: sq.ds.Perm.Cuid})
	}
	holders, mounted, err := posixHolders()
	if err != nil {
		return nil, true, err
	}
	if !mounted {
		return out, false, nil
	}
	ents, err := os.ReadDir(ns.Path(posixmq.Dir))
	if err != nil {
		return nil, true, err
	}
	for _, e := range ents {
		name := "/" + e.Name()
		var st unix.Stat_t
		if unix.Lstat(ns.Path(posixmq.Dir+name), &st) != nil {
			continue
		}
		fd, err := posixmq.Open(name, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
		if err != nil {
			fd = -1
		} else {
			defer unix.Close(fd)
		}
		h := holders[devIno{st.Dev, st.Ino}]
		if fd >= 0 {
			h = dropSelf(h) // our own look at it does not hold it
		}
		stale := len(h) == 0 && idle.Stale(now, posixTimes(&st)...)
		out = append(out, Entry{Rec: posixRecord(name, fd, &st, h, true, stale, now), Stale: stale, POSIX: name, UID: st.Uid})
	}
	return out, true, nil
}

func dropSelf(h []report.Record) []report.Record {
	out := []report.Record{}
	for _, r := range h {
		if r.Get("pid") != os.Getpid() {
			out = append(out, r)
		}
	}
	return out
}

// Remove removes the named queue.
func Remove(name ipcname.Name, obj string) error {
	name, err := name.Resolve()
	if err != nil {
		return cli.Fail(obj, err, "")
	}
	q := &Queue{Name: name, Obj: obj, POSIX: name.Kind == ipcname.POSIX, ID: name.ID}
	if q.POSIX {
		err = posixmq.Unlink(name.Path)
	} else {
		if name.Kind == ipcname.Key {
			if q.ID, err = sysvipc.MsgGet(name.Key, 0); err != nil {
				return q.lookErr(err)
			}
		}
		err = sysvipc.MsgRemove(q.ID)
	}
	if err != nil {
		if err == unix.EINVAL {
			err = ErrNotExist
		}
		return q.lookErr(err)
	}
	return nil
}

// scanErr says that a /proc walk stopped early: who holds or waits on a
// queue is unknown, so nothing may be called stale.
func scanErr(err error) error {
	return fmt.Errorf("cannot see which processes use message queues: %w", err)
}
