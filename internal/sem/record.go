package sem

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/shm"
)

// Record is what --stat --sem --json and --list --sem --json print of a
// semaphore, in the order of shmcat's segments, idle and stale last.
func (i Info) Record(idle time.Duration) report.Record {
	r := i.head()
	if i.POSIX {
		var value, waiters any = i.Value, i.Waiters
		if i.Value < 0 {
			value, waiters = nil, nil // not a glibc sem_t, or unreadable
		}
		r = append(r, report.Record{
			{Name: "value", Value: value},
			{Name: "waiters", Value: waiters},
			{Name: "nattch", Value: len(i.Holders)},
			{Name: "holders", Value: shm.HolderRecords(i.Holders)},
			{Name: "accessed", Value: i.Atime},
			{Name: "modified", Value: i.Mtime},
			{Name: "changed", Value: i.Ctime},
		}...)
		return append(r, i.tail(idle)...)
	}
	var members any // null: this user may not read the set
	if i.Readable {
		ms := []report.Record{}
		for _, m := range i.Members {
			ms = append(ms, report.Record{{Name: "num", Value: m.Num}, {Name: "value", Value: m.Value},
				{Name: "pid", Value: m.PID}, {Name: "ncnt", Value: m.Ncnt}, {Name: "zcnt", Value: m.Zcnt}})
		}
		members = ms
	}
	r = append(r, report.Record{
		{Name: "operated", Value: i.Otime},
		{Name: "changed", Value: i.Ctime},
		{Name: "members", Value: members},
	}...)
	return append(r, i.tail(idle)...)
}

// StatText is --stat --sem for people: Record with one line per member
// ("member N  semval V, pid P (command), ncnt C, zcnt Z").
func (i Info) StatText(idle time.Duration) report.Record {
	var r report.Record
	for _, f := range i.Record(idle) {
		if f.Name != "members" {
			r = append(r, f)
			continue
		}
		if !i.Readable {
			r = append(r, report.Field{Name: "members", Value: "unreadable (no read permission)"})
		}
		for _, m := range i.Members {
			r = append(r, report.Field{Name: fmt.Sprintf("member %d", m.Num),
				Value: fmt.Sprintf("semval %d, pid %s, ncnt %d, zcnt %d", m.Value, pidText(m.PID), m.Ncnt, m.Zcnt)})
		}
	}
	return r
}

// Table is a --list --sem row for people: VALUES (each member's, or "?"
// when unreadable), PIDS (a set's last operators, a POSIX semaphore's
// holders; the first limit and "+N more") and WAITING (processes
// waiting on it).
func (i Info) Table(idle time.Duration, limit int) report.Record {
	r := i.Record(idle)
	name := report.Field{Name: "name", Value: i.Name}
	values, waiting := "?", i.Waiters
	pids := shm.HolderField("pids", i.Holders, limit)
	if i.POSIX && i.Value >= 0 {
		values = strconv.FormatInt(i.Value, 10)
	}
	if !i.POSIX {
		name.Value = ipcname.FormatKey(i.Key)
		name.Text = ipcname.FormatKey(i.Key) // a key is never cut
		var vs []string
		var ops []shm.Holder
		seen := map[int]bool{}
		for _, m := range i.Members {
			vs = append(vs, strconv.Itoa(m.Value))
			waiting += int64(m.Ncnt + m.Zcnt)
			if m.PID > 0 && !seen[m.PID] {
				seen[m.PID] = true
				ops = append(ops, shm.Holder{PID: m.PID, Comm: comm(m.PID)})
			}
		}
		if i.Readable {
			values, pids = strings.Join(vs, ","), shm.HolderField("pids", ops, limit)
		} else {
			pids = report.Field{Name: "pids", Value: "?"}
		}
	}
	var waits any = waiting
	if values == "?" {
		waits = "?" // no value read, no waiters known
	}
	return append(r, name, report.Field{Name: "values", Value: values},
		pids, report.Field{Name: "waiting", Value: waits})
}

func (i Info) head() report.Record {
	r := report.Record{{Name: "type", Value: "posix"}, {Name: "name", Value: i.Name}, {Name: "path", Value: Path(i.Name)},
		{Name: "size", Value: i.Size}}
	if !i.POSIX {
		r = report.Record{{Name: "type", Value: "sysv"}, {Name: "key", Value: ipcname.FormatKey(i.Key), Text: ipcname.FormatKey(i.Key)},
			{Name: "id", Value: i.ID}, {Name: "nsems", Value: i.Nsems}}
	}
	r = append(r, report.Owner(i.Mode, i.UID, i.GID)...)
	if !i.POSIX {
		r = append(r, report.Record{
			{Name: "creator", Value: report.User(i.CUID)},
			{Name: "creator_group", Value: report.Group(i.CGID)},
			{Name: "cuid", Value: i.CUID},
			{Name: "cgid", Value: i.CGID},
		}...)
	}
	return r
}

func (i Info) tail(idle time.Duration) report.Record {
	return report.Record{report.Idle(idle), {Name: "stale", Value: i.Stale}}
}

// pidText is a last operator as people read it: "4242 (command)",
// "4242 (dead)", or "none" for 0.
func pidText(pid int) string {
	if pid <= 0 {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", pid, comm(pid))
}

func comm(pid int) string {
	if !procfs.Alive(pid) {
		return "dead"
	}
	return procfs.Comm(pid)
}
