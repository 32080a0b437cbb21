package sock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
)

// staleSocketFile leaves a socket file nobody is bound to at dir/name.
func staleSocketFile(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	a, _ := ParseUnix(p, unix.SOCK_STREAM)
	l, err := Listen(a, ListenOptions{Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	l.Close(true)
	return p
}

func TestFindStale(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c")
	os.MkdirAll(deep, 0o700)
	stale := staleSocketFile(t, dir, "stale.sock")
	staleSocketFile(t, deep, "too-deep.sock")
	a, _ := ParseUnix(filepath.Join(dir, "live.sock"), unix.SOCK_STREAM)
	l, err := Listen(a, ListenOptions{Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)

	var idle cli.Idle
	found, err := FindStale([]string{dir, dir + "/"}, &idle)
	if err != nil || len(found) != 1 || found[0].Path != stale {
		t.Fatalf("FindStale(--idle 0) = %+v, %v; want just %s", found, err, stale)
	}
	r := found[0].Record()
	if r.Get("path") != stale || r.Get("owner") == nil || len(r) != len(StaleColumns) {
		t.Errorf("Record() = %+v", r)
	}
	idle.Idle.D = time.Hour
	if found, err := FindStale([]string{dir}, &idle); err != nil || len(found) != 0 {
		t.Errorf("FindStale(--idle 1h) = %+v, %v; want nothing (just bound)", found, err)
	}

	s := found[0].Sweepable()
	if s.What != stale || len(s.Owners) != 1 || s.Owners[0] != uint32(os.Geteuid()) {
		t.Errorf("Sweepable() = %+v; want %s owned by uid %d", s, stale, os.Geteuid())
	}
	// A new socket file in its place is not the one surveyed (the old one
	// is kept elsewhere, so that the new one cannot reuse its inode).
	os.Rename(stale, filepath.Join(dir, "a", "old.sock"))
	staleSocketFile(t, dir, "stale.sock")
	if err := s.Remove(); !errors.Is(err, cli.ErrReplaced) {
		t.Errorf("Remove() of a replaced file = %v; want cli.ErrReplaced", err)
	}
	found, _ = FindStale([]string{dir}, &cli.Idle{})
	if len(found) != 2 || found[1].Path != stale {
		t.Fatalf("FindStale = %+v; want the moved file and %s", found, stale)
	}
	if err := found[1].Sweepable().Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Errorf("Remove() left %s: %v", stale, err)
	}
}

// An unreadable socket table: nothing can be told, so FindStale says so.
func TestFindStaleUndecided(t *testing.T) {
	dir := t.TempDir()
	staleSocketFile(t, dir, "s")
	old := NetUnix
	NetUnix = filepath.Join(dir, "missing")
	defer func() { NetUnix = old }()
	if _, err := FindStale([]string{dir}, &cli.Idle{}); err == nil {
		t.Errorf("FindStale without /proc/net/unix = nil error; want one")
	}
}

// List shows a listening Unix socket with this process as its holder.
func TestList(t *testing.T) {
	name := listening(t, "list-test")
	found, err := List(ListFilter{Unix: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := found.Rows
	me := strconv.Itoa(os.Getpid()) + " ("
	for _, r := range rows {
		if r.Get("local") == name {
			var procs string
			for _, f := range r {
				if f.Name == "holders" {
					procs = f.Text
				}
			}
			if r.Get("state") != "LISTEN" || !strings.Contains(procs, me) {
				t.Errorf("List() row %+v; want LISTEN held by %s", r, me)
			}
			return
		}
	}
	t.Errorf("List() has no row for %s", name)
}

func TestMaxMsg(t *testing.T) {
	for _, tc := range []struct {
		a    Addr
		want int
	}{
		{Addr{Family: Unix, Type: Datagram}, 64 << 10},
		{Addr{Family: IPv4, Type: Datagram}, 65507},
		{Addr{Family: IPv6, Type: Datagram}, 65527},
	} {
		if got := tc.a.MaxMsg(); got != tc.want {
			t.Errorf("%s MaxMsg() = %d; want %d", tc.a.Proto(), got, tc.want)
		}
	}
}

func TestIsTerminalSearchable(t *testing.T) {
	fd, _ := socketPair(t)
	if IsTerminal(fd) {
		t.Errorf("IsTerminal(a socket) = true")
	}
	dir := t.TempDir()
	if !Searchable(dir) {
		t.Errorf("Searchable(own temp dir) = false")
	}
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o600)
		defer os.Chmod(dir, 0o700)
		if Searchable(dir) {
			t.Errorf("Searchable(mode 0600) = true")
		}
	}
}
