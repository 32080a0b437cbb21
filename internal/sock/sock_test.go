package sock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		in      string
		numeric bool
		want    int
		ok      bool
	}{
		{"80", false, 80, true}, {"65535", false, 65535, true}, {"1", true, 1, true},
		{"0", false, 0, false}, {"65536", false, 0, false}, {"-1", false, 0, false},
		{"+80", false, 0, false}, {"", false, 0, false}, {"8o", true, 0, false},
		{"http", true, 0, false}, {"no-such-service-x", false, 0, false},
	}
	for _, tt := range tests {
		got, err := ParsePort(tt.in, false, tt.numeric)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePort(%q, numeric=%v) = %v, %v; want %v, ok=%v", tt.in, tt.numeric, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseUnix(t *testing.T) {
	tests := []struct {
		in       string
		abstract bool
		ok       bool
	}{
		{"/run/x.sock", false, true}, {"rel.sock", false, true}, {"@name", true, true},
		{"", false, false}, {"@", false, false}, {strings.Repeat("a", 108), false, false},
		{strings.Repeat("a", 107), false, true}, {"a\x00b", false, false},
	}
	for _, tt := range tests {
		a, err := ParseUnix(tt.in, unix.SOCK_STREAM)
		if (err == nil) != tt.ok || err == nil && a.Abstract() != tt.abstract {
			t.Errorf("ParseUnix(%q) = %+v, %v; want abstract=%v ok=%v", tt.in, a, err, tt.abstract, tt.ok)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		host    string
		family  int
		numeric bool
		want    string
		ok      bool
	}{
		{"127.0.0.1", 0, true, "127.0.0.1:9", true},
		{"::1", 0, true, "[::1]:9", true},
		{"[::1]", 6, true, "[::1]:9", true},
		{"", 0, true, "[::]:9", true},
		{"", 4, true, "0.0.0.0:9", true},
		{"", 6, true, "[::]:9", true},
		{"127.0.0.1", 6, true, "", false},
		{"::1", 4, true, "", false},
		{"localhost", 4, true, "", false},
		{"localhost", 4, false, "127.0.0.1:9", true},
	}
	for _, tt := range tests {
		got, err := Resolve(context.Background(), tt.host, 9, unix.SOCK_STREAM, tt.family, tt.numeric)
		s := ""
		if len(got) > 0 {
			s = got[0].String()
		}
		if (err == nil) != tt.ok || s != tt.want {
			t.Errorf("Resolve(%q, -%d, numeric=%v) = %q, %v; want %q, ok=%v", tt.host, tt.family, tt.numeric, s, err, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"80", "http", "@x", "/tmp/s", "", "::1", "[::1]", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParsePort(s, false, true); err == nil && (p < 1 || p > 65535) {
			t.Fatalf("ParsePort(%q) = %d; want 1..65535", s, p)
		}
		if a, err := ParseUnix(s, unix.SOCK_STREAM); err == nil && (len(a.Path) > maxPath || a.Path == "") {
			t.Fatalf("ParseUnix(%q) = %q; want 1..%d bytes", s, a.Path, maxPath)
		}
		if as, err := Resolve(context.Background(), s, 1, unix.SOCK_STREAM, 0, true); err == nil && len(as) != 1 {
			t.Fatalf("Resolve(%q, numeric) = %v; want one address", s, as)
		}
	})
}

// Listen applies -m through the umask, refuses what is in the way unless
// --unlink finds a stale socket, and removes its own file at Close.
func TestListenUnix(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s")
	a, _ := ParseUnix(path, unix.SOCK_STREAM)

	l, err := Listen(a, ListenOptions{Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Stat(path, &st)
	if st.Mode&0o777 != 0o640 {
		t.Errorf("Listen(-m 0640) made mode %04o; want 0640", st.Mode&0o777)
	}
	if _, err := Listen(a, ListenOptions{Mode: 0o600, Unlink: true}); !errors.Is(err, ErrLive) {
		t.Errorf("Listen(--unlink over a live socket) = %v; want %v", err, ErrLive)
	}
	if s, err := Stale(path); s || err != nil {
		t.Errorf("Stale(live) = %v, %v; want false, nil", s, err)
	}
	l.Close(true) // --keep: the file stays, now stale
	if s, err := Stale(path); !s || err != nil {
		t.Errorf("Stale(left behind) = %v, %v; want true, nil", s, err)
	}
	if _, err := Listen(a, ListenOptions{Mode: 0o600}); !errors.Is(err, ErrPathExists) {
		t.Errorf("Listen(over a stale socket) = %v; want %v", err, ErrPathExists)
	}
	l, err = Listen(a, ListenOptions{Mode: 0o600, Unlink: true})
	if err != nil {
		t.Fatalf("Listen(--unlink over a stale socket) = %v; want success", err)
	}
	l.Close(false)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("Close() left %s: %v", path, err)
	}

	os.WriteFile(path, []byte("precious"), 0o600)
	if _, err := Listen(a, ListenOptions{Mode: 0o600, Unlink: true}); !errors.Is(err, ErrNotSocket) {
		t.Errorf("Listen(--unlink over a regular file) = %v; want %v", err, ErrNotSocket)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Errorf("Listen(--unlink) touched a regular file")
	}
}

func TestListenAbstractAndConnect(t *testing.T) {
	name := "@ipcats-sock-test-" + filepath.Base(t.TempDir())
	a, _ := ParseUnix(name, unix.SOCK_STREAM)
	l, err := Listen(a, ListenOptions{Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	if _, err := os.Lstat(name); err == nil {
		t.Errorf("Listen(%s) created a file", name)
	}
	fd, _, err := Connect(context.Background(), []Addr{a}, Patience{})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	cfd, _, err := l.Accept(context.Background(), Patience{})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(cfd)
	c, err := PeerCred(cfd)
	if err != nil || c.PID != os.Getpid() || c.UID != os.Getuid() {
		t.Errorf("PeerCred() = %+v, %v; want pid %d uid %d", c, err, os.Getpid(), os.Getuid())
	}
}

func TestConnectRefused(t *testing.T) {
	// Bind a port, close it: connecting there is refused.
	as, _ := Resolve(context.Background(), "127.0.0.1", 0, unix.SOCK_STREAM, 4, true)
	l, err := Listen(as[0], ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr
	l.Close(false)
	if _, _, err := Connect(context.Background(), []Addr{a}, Patience{}); !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("Connect(closed port) = %v; want ECONNREFUSED", err)
	}
}

func TestFromSockaddrUnnamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string
	}{
		{"@", ""},
		{"", ""},
		{"@abc", "@abc"},
		{"/tmp/x.sock", "/tmp/x.sock"},
	} {
		got := FromSockaddr(&unix.SockaddrUnix{Name: tc.name}, unix.SOCK_STREAM).Path
		if got != tc.want {
			t.Errorf("FromSockaddr(%q).Path = %q; want %q", tc.name, got, tc.want)
		}
	}
}

// --wait: ConnectRetry finds a listener that comes up while it tries, and
// when none does, says how many tries and what the last one met.
func TestConnectRetry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "late")
	a, _ := ParseUnix(path, unix.SOCK_STREAM)
	up := make(chan *Listener, 1)
	time.AfterFunc(150*time.Millisecond, func() {
		l, err := Listen(a, ListenOptions{Mode: 0o600})
		if err != nil {
			t.Error(err)
		}
		up <- l
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	fd, _, tries, err := ConnectRetry(ctx, []Addr{a})
	if err != nil {
		t.Fatalf("ConnectRetry = %v after %d tries", err, tries)
	}
	Close(fd)
	(<-up).Close(false)
	if d := time.Since(start); d > 150*time.Millisecond+time.Second || tries < 2 {
		t.Errorf("found after %v and %d tries; want soon after 150ms, more than one try", d, tries)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, tries, err = ConnectRetry(ctx, []Addr{a})
	var nl *NotListening
	if !errors.As(err, &nl) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(nl.Last, ErrNoEnt) || nl.Tries != tries || tries < 3 {
		t.Errorf("ConnectRetry with nothing there = %v (%d tries); want NotListening, DeadlineExceeded, the last ENOENT", err, tries)
	}
}

// A path has 107 bytes (sun_path less its NUL); an abstract name 107 after
// its @, all of sun_path.
func TestParseUnixLimits(t *testing.T) {
	long := strings.Repeat("a", 108)
	for _, c := range []struct {
		path string
		ok   bool
	}{
		{long[:107], true}, {long, false},
		{"@" + long[:107], true}, {"@" + long, false},
	} {
		if _, err := ParseUnix(c.path, unix.SOCK_STREAM); (err == nil) != c.ok {
			t.Errorf("ParseUnix(%d bytes, abstract %v) = %v; want ok %v", len(c.path), c.path[0] == '@', err, c.ok)
		}
	}
}
