package shm

import (
	"fmt"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/report"
)

// LastUse are the kernel's own times of a segment's use, the ones --idle
// measures from: attach, detach and change for System V (shm_atime,
// shm_dtime, shm_ctime); the file times of a POSIX object.
func (i Info) LastUse() []time.Time {
	if i.POSIX {
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
	holders := []report.Record{}
	for _, h := range i.Holders {
		holders = append(holders, report.Record{{Name: "pid", Value: h.PID}, {Name: "comm", Value: h.Comm, Text: "(" + h.Comm + ")"}})
	}
	// Owner and permissions, in the same words for both families.
	perm := report.Record{
		{Name: "size", Value: i.Size},
		{Name: "mode", Value: report.Mode(i.Mode)},
		{Name: "owner", Value: report.User(i.UID)},
		{Name: "group", Value: report.Group(i.GID)},
		{Name: "uid", Value: i.UID},
		{Name: "gid", Value: i.GID},
	}
	tail := report.Record{{Name: "holders", Value: holders}, report.Idle(idle), {Name: "stale", Value: i.Stale}}
	if i.POSIX {
		r := report.Record{{Name: "type", Value: "posix"}, {Name: "name", Value: i.Name}, {Name: "path", Value: Dir + i.Name}}
		r = append(r, perm...)
		r = append(r, report.Record{
			{Name: "nattch", Value: i.Nattch},
			{Name: "accessed", Value: i.Atime},
			{Name: "modified", Value: i.Mtime},
			{Name: "changed", Value: i.Ctime},
		}...)
		return append(r, tail...)
	}
	r := report.Record{{Name: "type", Value: "sysv"}, {Name: "key", Value: ipcname.FormatKey(i.Key), Text: ipcname.FormatKey(i.Key)}, {Name: "id", Value: i.ID}}
	r = append(r, perm...)
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
