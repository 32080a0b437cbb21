package sock

import (
	"strings"

	"github.com/ipcats/ipcats/internal/report"
)

// Table is the rows of a --list table: with all (-v), every row; without,
// the connected Unix sockets with no name on either end that no process
// holds are left out. Such a socket is one in flight in an SCM_RIGHTS
// message, or one the kernel holds: no /proc descriptor links to it, so
// nothing names it or who could act on it. JSON takes Rows, all of them.
func (l Listing) Table(all bool) []report.Record {
	if all {
		return l.Rows
	}
	out := make([]report.Record, 0, len(l.Rows))
	for _, r := range l.Rows {
		if !unheld(r) {
			out = append(out, r)
		}
	}
	return out
}

// unheld reports whether r is a connected, unnamed Unix socket whose
// peer is unnamed too, with no holder (holders "none": not "not
// visible", whose holders may exist).
func unheld(r report.Record) bool {
	proto, _ := r.Get("proto").(string)
	if !strings.HasPrefix(proto, "unix") || r.Get("state") != "ESTABLISHED" || r.Get("local") != nil || r.Get("remote") != nil {
		return false
	}
	for _, f := range r {
		if f.Name == "holders" {
			hs, _ := f.Value.([]report.Record)
			return len(hs) == 0 && f.Text == "none"
		}
	}
	return false
}
