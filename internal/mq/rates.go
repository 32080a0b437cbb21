package mq

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// Filling is the flag of a queue whose depth keeps rising while no live
// process may receive from it.
const Filling = "filling, no receiver"

// WatchColumns are the table columns of mqcat --list --watch.
var WatchColumns = []string{"type", "name", "id", "messages", "bytes", "in", "out", "sender", "receiver", "flag"}

// depth is one queue in one sample.
type depth struct {
	posix        bool
	name         string // key as 0x%08x, or /name
	id           int
	msgs         int64 // -1: unknown
	bytes        int64 // -1: unknown
	sender       int   // last sender (System V); 0: none
	receiver     int   // last receiver (System V) or notify pid (POSIX); 0: none
	stime, rtime int64
	liveReader   bool // a live process may take its messages
}

// Watcher samples queues for --watch: depth, the messages per second in
// and out since the last sample, the last sender and receiver and
// whether they live, and the Filling flag.
type Watcher struct {
	hist     map[string][]int64 // the last depths of each queue, oldest first
	prev     map[string]depth
	prevTime time.Time
}

// watchHistory is how many samples the Filling rule looks back over.
const watchHistory = 3

// List samples every queue of both families; mounted is false when
// /dev/mqueue is not mounted (no POSIX queue is listed).
func (w *Watcher) List() (rows []report.Record, mounted bool, err error) {
	ds, err := sysvDepths(-1)
	if err != nil {
		return nil, true, err
	}
	mounted = posixmq.Mounted()
	if mounted {
		ents, err := os.ReadDir(posixmq.Dir)
		if err != nil {
			return nil, true, err
		}
		readers, err := posixReaders()
		if err != nil {
			return nil, true, err
		}
		for _, e := range ents {
			if d, err := posixDepth("/"+e.Name(), readers); err == nil {
				ds = append(ds, d)
			}
		}
	}
	return w.records(ds), mounted, nil
}

// Stat samples the named queue.
func (w *Watcher) Stat(name ipcname.Name, obj string) (report.Record, error) {
	name, err := name.Resolve()
	if err != nil {
		return nil, cli.Fail(obj, err, "")
	}
	q := &Queue{Name: name, Obj: obj, POSIX: name.Kind == ipcname.POSIX}
	var ds []depth
	if q.POSIX {
		readers, err := posixReaders()
		if err != nil {
			return nil, cli.Fail(obj, err, "")
		}
		d, err := posixDepth(name.Path, readers)
		if err != nil {
			return nil, q.lookErr(err)
		}
		ds = []depth{d}
	} else {
		id := name.ID
		if name.Kind == ipcname.Key {
			if id, err = sysvipc.MsgGet(name.Key, 0); err != nil {
				return nil, q.lookErr(err)
			}
		}
		if ds, err = sysvDepths(id); err != nil {
			return nil, cli.Fail(obj, err, "")
		}
		if len(ds) == 0 {
			return nil, q.lookErr(ErrNotExist)
		}
	}
	return w.records(ds)[0], nil
}

// sysvDepths samples the System V queues (only id, unless -1) from
// /proc/sysvipc/msg, which everyone may read, and who waits in msgrcv.
func sysvDepths(id int) ([]depth, error) {
	qs, err := sysvQueues()
	if err != nil {
		return nil, err
	}
	ws, err := procfs.MsgWaiters()
	if err != nil {
		return nil, scanErr(err)
	}
	receiving := map[int]bool{}
	for _, w := range ws {
		if !w.Send && procfs.Alive(w.PID) {
			receiving[w.ID] = true
		}
	}
	var out []depth
	for _, q := range qs {
		if id >= 0 && q.id != id {
			continue
		}
		out = append(out, depth{name: ipcname.FormatKey(q.key), id: q.id,
			msgs: int64(q.ds.Qnum), bytes: int64(q.ds.Cbytes),
			sender: int(q.ds.Lspid), receiver: int(q.ds.Lrpid), stime: q.ds.Stime, rtime: q.ds.Rtime,
			liveReader: receiving[q.id] || procfs.Alive(int(q.ds.Lrpid))})
	}
	return out, nil
}

// posixDepth samples one POSIX queue: its depth from mq_getattr, its
// bytes from /dev/mqueue's QSIZE (when mounted), its notify pid, and
// whether a live process other than us holds it open for reading.
func posixDepth(name string, readers map[devIno]bool) (depth, error) {
	d := depth{posix: true, name: name, msgs: -1, bytes: -1}
	fd, err := posixmq.Open(name, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
	if err == unix.EACCES {
		fd, err = posixmq.Open(name, unix.O_WRONLY|unix.O_NONBLOCK, 0, nil)
	}
	if err != nil {
		return d, err
	}
	defer unix.Close(fd)
	if a, err := posixmq.GetAttr(fd); err == nil {
		d.msgs = a.Curmsgs
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil {
		d.liveReader = readers[devIno{st.Dev, st.Ino}]
	}
	if s, ok := posixmq.ReadStatus(name); ok {
		d.bytes, d.receiver = s.QSize, s.NotifyPID
	}
	d.liveReader = d.liveReader || procfs.Alive(d.receiver)
	return d, nil
}

// posixReaders is the POSIX queues that a process other than this one
// holds open for reading (O_RDONLY or O_RDWR).
func posixReaders() (map[devIno]bool, error) {
	self := os.Getpid()
	out := map[devIno]bool{}
	sc := procfs.FDs(func(link string) bool { return strings.HasPrefix(link, "/") && strings.Count(link, "/") == 1 },
		func(f procfs.FD) {
			if f.PID != self && f.Reads() {
				out[devIno{f.Dev, f.Ino}] = true
			}
		})
	if sc.Err != nil {
		return nil, scanErr(sc.Err)
	}
	return out, nil
}

// key names a queue across samples.
func (d depth) key() string {
	if d.posix {
		return d.name
	}
	return fmt.Sprintf("sysv %d", d.id)
}

// records turns a sample into records, with the rates since the last
// sample and the Filling flag, and keeps it for the next.
func (w *Watcher) records(ds []depth) []report.Record {
	now := time.Now()
	if w.hist == nil {
		w.hist, w.prev = map[string][]int64{}, map[string]depth{}
	}
	prev, dt := w.prev, now.Sub(w.prevTime).Seconds()
	w.prev, w.prevTime = map[string]depth{}, now
	hist := map[string][]int64{}
	var rows []report.Record
	for _, d := range ds {
		k := d.key()
		h := append(w.hist[k], d.msgs)
		if len(h) > watchHistory {
			h = h[len(h)-watchHistory:]
		}
		hist[k], w.prev[k] = h, d
		p, seen := prev[k]
		in, out := flow(d, p, seen, dt)
		var flag any
		if rising(h) && !d.liveReader {
			flag = Filling
		}
		rows = append(rows, d.record(in, out, flag))
	}
	w.hist = hist
	return rows
}

// rising reports whether a queue's depth rose over the samples kept: it
// is higher than the oldest and not lower than the last before.
func rising(h []int64) bool {
	n := len(h)
	return n >= 2 && h[0] >= 0 && h[n-1] > h[0] && h[n-1] >= h[n-2]
}

// flow is the messages per second in and out since the last sample, from
// the change of depth: a rise counts in, a fall out. When the kernel's
// times say that messages also went the other way (System V: both the
// last send and the last receive moved), the counts are lower bounds.
// Nil at the first sample or when the depth is unknown.
func flow(d, p depth, seen bool, dt float64) (in, out report.Field) {
	in, out = report.Field{Name: "in"}, report.Field{Name: "out"}
	if !seen || dt <= 0 || d.msgs < 0 || p.msgs < 0 {
		return in, out
	}
	delta := d.msgs - p.msgs
	i, o := float64(max(delta, 0))/dt, float64(max(-delta, 0))/dt
	in.Value, out.Value = i, o
	in.Text, out.Text = fmt.Sprintf("%.1f/s", i), fmt.Sprintf("%.1f/s", o)
	if !d.posix && d.stime != p.stime && d.rtime != p.rtime {
		in.Text, out.Text = ">="+in.Text, ">="+out.Text
	}
	return in, out
}

// record is what a watch sample shows of one queue.
func (d depth) record(in, out report.Field, flag any) report.Record {
	typ := "sysv"
	if d.posix {
		typ = "posix"
	}
	r := report.Record{{Name: "type", Value: typ}, {Name: "name", Value: d.name}}
	if !d.posix {
		r[1].Text = d.name // a key, never cut
		r = append(r, report.Field{Name: "id", Value: d.id})
	}
	r = append(r, known("messages", d.msgs), known("bytes", d.bytes), in, out)
	if !d.posix {
		r = append(r, peer("sender", d.sender)...)
	}
	r = append(r, peer("receiver", d.receiver)...)
	return append(r, report.Field{Name: "flag", Value: flag})
}

// known is a count, or null ("-") when unknown (-1).
func known(name string, n int64) report.Field {
	if n < 0 {
		return report.Field{Name: name}
	}
	return report.Field{Name: name, Value: n}
}

// peer is a pid and whether it is alive: "1234", "1234 (gone)" or "-".
func peer(name string, pid int) []report.Field {
	if pid <= 0 {
		return []report.Field{{Name: name}, {Name: name + "_alive"}}
	}
	alive := procfs.Alive(pid)
	text := fmt.Sprint(pid)
	if !alive {
		text += " (gone)"
	}
	return []report.Field{{Name: name, Value: pid, Text: text}, {Name: name + "_alive", Value: alive}}
}
