package sock

import (
	"os"
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sockdiag"
)

// Without -v, a --list table leaves out exactly the unnamed Unix
// connections with no holder; -v keeps every row.
func TestListTable(t *testing.T) {
	me, other := os.Geteuid(), os.Geteuid()+1
	named := &entry{sockdiag.Socket{Proto: "unix", State: "LISTEN", Local: "s.sock", Inode: 9}, true}
	for _, tt := range []struct {
		name  string
		s     entry
		peer  *entry
		pids  []int
		uid   int
		shown bool
	}{
		{"unheld pair", entry{sockdiag.Socket{Proto: "unix", State: "ESTABLISHED", Inode: 1, Peer: 2, UID: me}, true}, nil, nil, me, false},
		{"unheld datagram pair", entry{sockdiag.Socket{Proto: "unixgram", State: "ESTABLISHED", Inode: 3, Peer: 4, UID: me}, true}, nil, nil, me, false},
		{"held pair", entry{sockdiag.Socket{Proto: "unix", State: "ESTABLISHED", Inode: 5, Peer: 6, UID: me}, true}, nil, []int{os.Getpid()}, me, true},
		{"holders not visible", entry{sockdiag.Socket{Proto: "unix", State: "ESTABLISHED", Inode: 7, Peer: 8, UID: other}, true}, nil, nil, other, true},
		{"unheld client of a named socket", entry{sockdiag.Socket{Proto: "unix", State: "ESTABLISHED", Inode: 10, Peer: 9, UID: me}, true}, named, nil, me, true},
		{"unheld named", entry{sockdiag.Socket{Proto: "unix", State: "ESTABLISHED", Local: "@x", Inode: 11, Peer: 12, UID: me}, true}, nil, nil, me, true},
		{"unheld listener", *named, nil, nil, me, true},
		{"unheld tcp", entry{sockdiag.Socket{Proto: "tcp", State: "ESTABLISHED", Local: "127.0.0.1:1", Remote: "127.0.0.1:2", Inode: 13, UID: me}, true}, nil, nil, me, true},
	} {
		l := Listing{Rows: []report.Record{tt.s.record(tt.peer, holders(tt.pids, tt.uid, true))}}
		if got := len(l.Table(false)) == 1; got != tt.shown {
			t.Errorf("%s: shown without -v = %v; want %v (row %v)", tt.name, got, tt.shown, l.Rows[0])
		}
		if len(l.Table(true)) != 1 {
			t.Errorf("%s: not shown with -v", tt.name)
		}
	}
}

// A narrow table cuts addresses, never the state: "ESTAB..." says nothing.
func TestListStateWhole(t *testing.T) {
	s := entry{sockdiag.Socket{Proto: "tcp", State: "ESTABLISHED", Local: "127.0.0.1:40000", Remote: "127.0.0.1:40001", Inode: 1, UID: os.Geteuid()}, true}
	rows := []report.Record{s.record(nil, holders([]int{os.Getpid()}, os.Geteuid(), false))}
	t.Setenv("COLUMNS", "40")
	var b strings.Builder
	if err := report.List(&b, false, ListColumns, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), " ESTABLISHED ") {
		t.Errorf("at 40 columns:\n%s\nwant the state whole", b.String())
	}
}
