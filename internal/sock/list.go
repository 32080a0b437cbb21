package sock

import (
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
)

// ListColumns are the columns of a List row in a text list, in ss(8)'s
// order, with the holders.
var ListColumns = []string{"proto", "state", "local", "remote", "holders"}

// List is the sockets of this network namespace that someone listens on
// or talks over: TCP and UDP (v4 and v6) except TIME_WAIT leftovers, and
// the Unix sockets that have a name (a path or @name), with the processes
// holding each, sorted by protocol and listening first. hidden counts the
// processes whose descriptors could not be inspected.
func List() (rows []report.Record, hidden int, err error) {
	socks, err := procfs.Sockets()
	if err != nil {
		return nil, 0, err
	}
	owners, scan := procfs.SocketOwners()
	for _, s := range socks {
		if s.State == "TIME_WAIT" || s.Proto[0] == 'u' && s.Proto != "udp" && s.Proto != "udp6" && s.Local == "" {
			continue
		}
		procs := holders(owners[s.Inode], s.UID, scan.Hidden > 0)
		r := report.Record{
			{Name: "proto", Value: s.Proto},
			{Name: "state", Value: s.State},
			{Name: "local", Value: s.Local},
			{Name: "remote", Value: orNil(s.Remote), Text: dash(s.Remote)},
			{Name: "inode", Value: s.Inode},
		}
		if s.UID >= 0 {
			r = append(r, report.Field{Name: "owner", Value: report.User(uint32(s.UID))})
		}
		r = append(r, procs)
		rows = append(rows, r)
	}
	order := map[string]int{"LISTEN": 0, "UNCONN": 1}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Get("proto") != b.Get("proto") {
			return a.Get("proto").(string) < b.Get("proto").(string)
		}
		oa, ok := order[a.Get("state").(string)]
		if !ok {
			oa = 2
		}
		ob, ok := order[b.Get("state").(string)]
		if !ok {
			ob = 2
		}
		return oa < ob
	})
	return rows, scan.Hidden, nil
}

// holders is the holders field of a socket held by pids: a JSON list
// (empty, never null), and in text "comm[pid],...", "none", or, when the
// holders of a socket not ours could not be inspected, "not visible".
func holders(pids []int, uid int, hidden bool) report.Field {
	procs := []report.Record{}
	var text []string
	for _, pid := range pids {
		c := procfs.Comm(pid)
		procs = append(procs, report.Record{{Name: "pid", Value: pid}, {Name: "comm", Value: c}})
		text = append(text, c+"["+strconv.Itoa(pid)+"]")
	}
	t := strings.Join(text, ",")
	switch {
	case t != "":
	case hidden && uid != os.Geteuid():
		t = "not visible" // uid -1: a Unix socket, whose owner is not known
	default:
		t = "none"
	}
	f := report.Field{Name: "holders", Value: procs, Text: t}
	if len(text) > 1 {
		f.Fit = func(n int) string { return report.FitList(text, ",", "", n) }
	}
	return f
}

// orNil makes an absent address JSON null.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
