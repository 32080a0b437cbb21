package shm

import (
	"fmt"
	"strings"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
)

// LastUse are the kernel's own times of a segment's use, the ones --idle
// measures from: attach, detach and change for System V (shm_atime,
// shm_dtime, shm_ctime); the file times of a POSIX object.
func (i Info) LastUse() []time.Time {
	if i.POSIX || i.Unlinked != "" {
		return []time.Time{i.Mtime, i.Atime, i.Ctime}
	}
	return []time.Time{i.Atime, i.Dtime, i.Ctime}
}

// Ref names the object for Remove (a System V segment by its id, which
// outlives a key another segment may take) and for people.
func (i Info) Ref() (ipcname.Name, string) {
	if i.POSIX {
		return ipcname.Name{Kind: ipcname.POSIX, Path: i.Name}, report.Escape(i.Name)
	}
	return ipcname.Name{Kind: ipcname.ID, ID: i.ID}, fmt.Sprintf("key %s id %d", ipcname.FormatKey(i.Key), i.ID)
}

// Record is what --stat and --list print of a segment, in the order
// ipcs -m -i prints it, with idle (how long since LastUse) just before
// the last field, "stale".
func (i Info) Record(idle time.Duration) report.Record {
	tail := report.Record{{Name: "holders", Value: HolderRecords(i.Holders)}, report.Idle(idle), {Name: "stale", Value: i.Stale}}
	if i.POSIX || i.Unlinked != "" {
		return append(i.fileRecord(), tail...)
	}
	r := report.Record{{Name: "type", Value: "sysv"}, {Name: "key", Value: ipcname.FormatKey(i.Key), Text: ipcname.FormatKey(i.Key)}, {Name: "id", Value: i.ID}}
	r = append(r, i.perm()...)
	r = append(r, report.Record{
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
	}...)
	return append(r, tail...)
}

// perm is the size, owner and permissions, in the same words for both
// families; of an unlinked file whose mode and owner could not be read,
// the size alone (the others are left out).
func (i Info) perm() report.Record {
	r := report.Record{{Name: "size", Value: i.Size}}
	if i.Mode == noMode {
		return r
	}
	return append(r, report.Owner(i.Mode, i.UID, i.GID)...)
}

// fileRecord is the record of a file: a POSIX object, one deleted while
// still held ("deleted"), or a memfd (which has no path).
func (i Info) fileRecord() report.Record {
	r := report.Record{{Name: "type", Value: "posix"}, {Name: "name", Value: i.Name}}
	if i.Unlinked != "" {
		r[0].Value = i.Unlinked
	}
	if i.Unlinked != "memfd" {
		r = append(r, report.Field{Name: "path", Value: Dir + i.Name})
	}
	r = append(r, i.perm()...)
	return append(r, report.Record{
		{Name: "nattch", Value: i.Nattch},
		{Name: "accessed", Value: i.Atime},
		{Name: "modified", Value: i.Mtime},
		{Name: "changed", Value: i.Ctime},
	}...)
}

// Status is what ipcs -m shows in its status column for a System V
// segment: "dest" (removed while attached: it goes with the last
// detach), "locked" (SHM_LOCK), both as "dest,locked", or "".
func (i Info) Status() string {
	var s []string
	if i.Destroy {
		s = append(s, "dest")
	}
	if i.Locked {
		s = append(s, "locked")
	}
	return strings.Join(s, ",")
}

// HolderText is the holders as a --list row shows them: "pid (comm)",
// the first limit of them and "+N more" (limit 0: all), or "none".
func (i Info) HolderText(limit int) string { return HolderText(i.Holders, limit) }

// HolderText renders holders as "pid (comm)", cut after limit with
// "+N more" (limit 0: all), or "none".
func HolderText(holders []Holder, limit int) string {
	return procfs.HolderText(asProcfs(holders), limit)
}

// HolderField is the holders of a --list row for people: HolderText,
// cut further to fit a narrow terminal (procfs.HolderField).
func (i Info) HolderField(limit int) report.Field { return HolderField("holders", i.Holders, limit) }

// HolderField is a holder list as a --list cell named name: HolderText,
// cut further to fit a narrow terminal.
func HolderField(name string, holders []Holder, limit int) report.Field {
	return procfs.HolderField(name, asProcfs(holders), limit, "")
}

func asProcfs(holders []Holder) []procfs.PipeHolder {
	hs := make([]procfs.PipeHolder, len(holders))
	for k, h := range holders {
		hs[k] = procfs.PipeHolder{PID: h.PID, FD: -1, Comm: h.Comm}
	}
	return hs
}

// HolderRecords is the JSON form of a holder list: pid and command of each.
func HolderRecords(hs []Holder) []report.Record {
	out := []report.Record{}
	for _, h := range hs {
		out = append(out, report.Record{{Name: "pid", Value: h.PID}, {Name: "comm", Value: h.Comm, Text: "(" + h.Comm + ")"}})
	}
	return out
}
