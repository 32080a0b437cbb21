package sock

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
)

// socketPair is a connected stream pair, closed at the test's end.
func socketPair(t *testing.T) (int, int) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

func TestExecStatus(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want int
	}{
		{`read line; printf "got %s" "$line"; exit 7`, 7},
		{`read line; printf "got %s" "$line"`, 0},
		{`read line; printf "got %s" "$line"; kill -9 $$`, 128 + 9},
	} {
		ours, theirs := socketPair(t)
		unix.Write(ours, []byte("x\n"))
		code, err := Exec(context.Background(), theirs, tc.cmd, io.Discard, true)
		if err != nil || code != tc.want {
			t.Errorf("Exec(%q) = %d, %v; want %d", tc.cmd, code, err, tc.want)
		}
		unix.Close(theirs) // the caller's copy: the command's is gone
		unix.SetNonblock(ours, false)
		b := make([]byte, 64)
		n, _ := unix.Read(ours, b)
		if got := string(b[:max(n, 0)]); got != "got x" {
			t.Errorf("Exec(%q): the socket carried %q; want %q", tc.cmd, got, "got x")
		}
	}
}

// A command that outlives a cancel is sent SIGTERM, and Exec returns the
// context's error once it is gone.
func TestExecCancel(t *testing.T) {
	ours, theirs := socketPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the command runs (a signal sent while it is still
		// being forked can be lost; sockcat's come much later).
		unix.SetNonblock(ours, false)
		unix.Read(ours, make([]byte, 8))
		cancel()
	}()
	start := time.Now()
	_, err := Exec(ctx, theirs, "echo up; sleep 10", io.Discard, true)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("Exec(sleep 10) cancelled = %v after %v; want context.Canceled at once", err, time.Since(start))
	}
}

// The command gets exactly descriptors 0, 1 and 2.
func TestExecInheritsNothing(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unix.FcntlInt(f.Fd(), unix.F_SETFD, 0) // as if inherited: not close-on-exec
	ours, theirs := socketPair(t)
	if code, err := Exec(context.Background(), theirs, "ls /proc/self/fd/ | sort -n | tr '\\n' ' '", io.Discard, true); code != 0 || err != nil {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	unix.Close(theirs)
	unix.SetNonblock(ours, false)
	b := make([]byte, 256)
	n, _ := unix.Read(ours, b)
	// ls itself opens one descriptor for the directory it lists.
	if got := strings.Fields(string(b[:max(n, 0)])); len(got) > 4 || got[0] != "0" || got[1] != "1" || got[2] != "2" {
		t.Errorf("the command held descriptors %v; want only 0 1 2 (and ls's own)", got)
	}
	if fl, _ := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("inheritNothing left descriptor %d open across exec", f.Fd())
	}
}

func TestExecStartError(t *testing.T) {
	var se *StartError
	if _, err := Exec(context.Background(), 1<<20, "true", io.Discard, true); !errors.As(err, &se) || se.Object != "socket" {
		t.Errorf("Exec(bad descriptor) = %v; want a *StartError of the socket", err)
	}
}

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
	name := "@ipcats-list-test-" + strconv.Itoa(os.Getpid())
	a, _ := ParseUnix(name, unix.SOCK_STREAM)
	l, err := Listen(a, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	rows, _, err := List()
	if err != nil {
		t.Fatal(err)
	}
	me := "[" + strconv.Itoa(os.Getpid()) + "]"
	for _, r := range rows {
		if r.Get("local") == name {
			var procs string
			for _, f := range r {
				if f.Name == "processes" {
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
