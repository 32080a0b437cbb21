package sock

import (
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sockdiag"
)

// ListColumns are the columns of a List row in a text list, in ss(8)'s
// order, with the holders; WideColumns (-v) add the queues, the inode of
// each socket and of its Unix peer (two rows of one connection name each
// other), and the owner.
var (
	ListColumns = []string{"proto", "state", "local", "remote", "holders"}
	WideColumns = []string{"proto", "state", "recv-q", "send-q", "local", "remote", "inode", "peer", "owner", "holders"}
)

// holderLimit is how many holders a table row names before "+N more".
const holderLimit = 3

// ListFilter narrows List, as ss's -x, -t, -u, -4 and -6 do: with none of
// Unix, TCP and UDP set, every kind; V4 or V6 keeps that family of TCP
// and UDP (alone: TCP and UDP of that family only).
type ListFilter struct {
	Unix, TCP, UDP bool
	V4, V6         bool
}

// Listing is what List found.
type Listing struct {
	Rows     []report.Record
	Hidden   int   // processes whose descriptors could not be inspected
	Fallback error // why /proc/net was read for some kind (nil: netlink answered for all)
}

// List is the sockets of this network namespace that someone listens on
// or talks over: TCP and UDP (v4 and v6) except TIME_WAIT leftovers, the
// Unix sockets that have a name or a peer, with their queues, owner and
// the processes holding each, sorted by protocol, listening first, the two
// ends of a connection side by side. It asks the kernel through netlink
// (sock_diag); where that is refused, it reads /proc/net, which has no
// queues, no Unix peers and no Unix owners.
func List(f ListFilter) (Listing, error) {
	socks, fallback, err := gather(f, query)
	if err != nil {
		return Listing{}, err
	}
	owners, scan := procfs.SocketOwners()
	byInode := map[uint64]*entry{}
	for i := range socks {
		byInode[socks[i].Inode] = &socks[i]
	}
	var rows []report.Record
	for _, s := range socks {
		if s.State == "TIME_WAIT" || s.unix() && s.Local == "" && s.Peer == 0 && s.State != "ESTABLISHED" {
			continue
		}
		rows = append(rows, s.record(byInode[s.Peer], holders(owners[s.Inode], s.UID, scan.Hidden > 0)))
	}
	sortRows(rows)
	return Listing{Rows: rows, Hidden: scan.Hidden, Fallback: fallback}, nil
}

// entry is one socket, and whether its queues are known (not from /proc/net).
type entry struct {
	sockdiag.Socket
	queues bool
}

func (s *entry) unix() bool { return strings.HasPrefix(s.Proto, "unix") }

// record is the row of s, whose Unix peer is peer (nil: none known).
func (s *entry) record(peer *entry, procs report.Field) report.Record {
	local, remote := orNil(s.Local), orNil(s.Remote)
	localText, remoteText := dash(s.Local), dash(s.Remote)
	var peerIno any
	if s.unix() {
		if s.Local == "" {
			localText = "*" // unnamed, as ss prints it
		}
		if s.Peer != 0 {
			peerIno, remoteText = s.Peer, "*"
			if peer != nil && peer.Local != "" {
				remote, remoteText = peer.Local, report.Escape(peer.Local)
			}
		}
	}
	var rq, sq any
	if s.queues {
		rq, sq = s.RecvQ, s.SendQ
	}
	r := report.Record{
		{Name: "proto", Value: s.Proto},
		{Name: "state", Value: s.State, Text: s.State}, // never cut: ESTAB... says nothing
		{Name: "recv-q", Value: rq},
		{Name: "send-q", Value: sq},
		{Name: "local", Value: local, Text: textOf(localText, s.Local)},
		{Name: "remote", Value: remote, Text: remoteText},
		{Name: "inode", Value: s.Inode},
		{Name: "peer", Value: peerIno},
	}
	if s.UID >= 0 {
		r = append(r, report.Field{Name: "owner", Value: report.User(uint32(s.UID))}, report.Field{Name: "uid", Value: s.UID})
	} else {
		r = append(r, report.Field{Name: "owner", Value: nil}, report.Field{Name: "uid", Value: nil})
	}
	return append(r, procs)
}

// textOf is text unless it is name itself, which Field.String escapes.
func textOf(text, name string) string {
	if text == name {
		return ""
	}
	return text
}

// sortRows orders rows by protocol, listeners first, then unconnected
// sockets, then connections with the two ends of each side by side.
func sortRows(rows []report.Record) {
	order := map[string]int{"LISTEN": 0, "UNCONN": 1}
	rank := func(r report.Record) int {
		if o, ok := order[r.Get("state").(string)]; ok {
			return o
		}
		return 2
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Get("proto") != b.Get("proto") {
			return a.Get("proto").(string) < b.Get("proto").(string)
		}
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		return pairKey(a) < pairKey(b)
	})
}

// pairKey is the same for both ends of a connection: the lower of the two
// inodes of a Unix pair, the two addresses in order for TCP and UDP.
func pairKey(r report.Record) string {
	ino := r.Get("inode").(uint64)
	if p, ok := r.Get("peer").(uint64); ok {
		return strconv.FormatUint(min(ino, p), 10) + "/" + strconv.FormatUint(ino, 10)
	}
	l, _ := r.Get("local").(string)
	rm, _ := r.Get("remote").(string)
	if rm == "" || r.Get("state") == "UNCONN" {
		return ""
	}
	return min(l, rm) + " " + max(l, rm) + " " + l
}

// holders is the holders field of a socket held by pids: a JSON list
// (empty, never null), and in text "pid (comm), ..." as every tool writes
// holders (the first few, then
// "+N more"), "none", or, when the holders of a socket not ours could
// not be inspected, "not visible".
func holders(pids []int, uid int, hidden bool) report.Field {
	procs := []report.Record{}
	var text, short []string
	for _, pid := range pids {
		c := procfs.Comm(pid)
		procs = append(procs, report.Record{{Name: "pid", Value: pid}, {Name: "comm", Value: c}})
		text = append(text, strconv.Itoa(pid)+" ("+c+")")
		short = append(short, strconv.Itoa(pid))
	}
	all := text
	if len(text) > holderLimit+1 {
		text = append(text[:holderLimit:holderLimit], "+"+strconv.Itoa(len(pids)-holderLimit)+" more")
	}
	t := strings.Join(text, ", ")
	switch {
	case t != "":
	case hidden && uid != os.Geteuid():
		t = "not visible" // uid -1: a Unix socket, whose owner is not known
	default:
		t = "none"
	}
	f := report.Field{Name: "holders", Value: procs, Text: t}
	if len(all) > 1 {
		f.Fit = func(n int) string { return report.FitLists(n, ", ", "", all, short) }
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

// kind is one query of sockdiag: Unix sockets, or a protocol and family.
type kind struct {
	proto         string // as procfs.Socket.Proto: unix, tcp, tcp6, udp, udp6
	protocol, fam int
}

// kinds are the queries f asks for.
func (f ListFilter) kinds() []kind {
	all := !f.Unix && !f.TCP && !f.UDP
	v4, v6 := f.V4 || !f.V6, f.V6 || !f.V4
	var out []kind
	if all && !f.V4 && !f.V6 || f.Unix {
		out = append(out, kind{proto: "unix"})
	}
	for _, p := range []struct {
		on       bool
		name     string
		protocol int
	}{{f.TCP, "tcp", unix.IPPROTO_TCP}, {f.UDP, "udp", unix.IPPROTO_UDP}} {
		if all || p.on {
			if v4 {
				out = append(out, kind{p.name, p.protocol, unix.AF_INET})
			}
			if v6 {
				out = append(out, kind{p.name + "6", p.protocol, unix.AF_INET6})
			}
		}
	}
	return out
}

// query asks netlink for one kind.
func query(k kind) ([]sockdiag.Socket, error) {
	if k.proto == "unix" {
		return sockdiag.Unix()
	}
	return sockdiag.Inet(k.protocol, k.fam)
}

// gather asks diag for each kind f wants; a kind it refuses is read from
// /proc/net instead, and fallback says why. err is /proc/net unreadable.
func gather(f ListFilter, diag func(kind) ([]sockdiag.Socket, error)) (out []entry, fallback, err error) {
	var proc []procfs.Socket
	for _, k := range f.kinds() {
		socks, derr := diag(k)
		if derr == nil {
			for _, s := range socks {
				out = append(out, entry{s, true})
			}
			continue
		}
		if fallback == nil {
			fallback = derr
			if proc, err = procfs.Sockets(); err != nil {
				return nil, fallback, err
			}
		}
		for _, s := range proc {
			if s.Proto == k.proto || k.proto == "unix" && strings.HasPrefix(s.Proto, "unix") {
				out = append(out, entry{sockdiag.Socket{Proto: s.Proto, State: s.State, Local: s.Local,
					Remote: s.Remote, UID: s.UID, Inode: s.Inode}, false})
			}
		}
	}
	return out, fallback, nil
}
