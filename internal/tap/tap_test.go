package tap

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/sock"
)

// server listens at path (stream) and answers each connection with what
// it read, upper-cased, until the test ends or stop is called.
func server(t *testing.T, path string) (stop func()) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 8); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { unix.Shutdown(fd, unix.SHUT_RDWR); unix.Close(fd) }) }
	t.Cleanup(stop)
	go func() {
		for {
			c, _, err := unix.Accept(fd)
			if err != nil {
				return
			}
			go func() {
				defer unix.Close(c)
				b := make([]byte, 256)
				n, _ := unix.Read(c, b)
				unix.Write(c, bytes.ToUpper(b[:max(n, 0)]))
			}()
		}
	}()
	return stop
}

// ask connects to path, sends msg, half-closes and returns the reply.
func ask(t *testing.T, path, msg string) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatalf("connect %s: %v", path, err)
	}
	unix.Write(fd, []byte(msg))
	unix.Shutdown(fd, unix.SHUT_WR)
	var out []byte
	b := make([]byte, 256)
	for {
		n, err := unix.Read(fd, b)
		if n <= 0 || err != nil {
			return string(out)
		}
		out = append(out, b[:n]...)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// syncBuf is a bytes.Buffer safe for the recorder's and the test's use.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOpenServeRestore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	server(t, path)
	ino := inode(t, path)
	tp, err := Open(path, sock.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := inode(t, tp.Hidden); got != ino {
		t.Errorf("hidden %s has inode %d; want the server's, %d", tp.Hidden, got, ino)
	}
	if got := inode(t, path); got == ino {
		t.Errorf("%s still has the server's inode while tapped", path)
	}
	var rec syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tp.Serve(ctx, dump.New(&rec, dump.Text)) }()
	if got := ask(t, path, "hello\n"); got != "HELLO\n" {
		t.Errorf("reply through the tap = %q; want %q", got, "HELLO\n")
	}
	for end := time.Now().Add(2 * time.Second); !strings.Contains(rec.String(), "closed") && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve = %v; want context.Canceled", err)
	}
	if msg, err := tp.Restore(); msg != "" || err != nil {
		t.Errorf("Restore = %q, %v; want \"\", nil", msg, err)
	}
	tp.Close()
	for _, want := range []string{
		" #1 pid " + strconv.Itoa(os.Getpid()) + " uid " + strconv.Itoa(os.Getuid()) + " (",
		"> #1 ", "hello\n", "< #1 ", "HELLO\n", "closed: > 6 bytes, < 6 bytes",
	} {
		if !strings.Contains(rec.String(), want) {
			t.Errorf("record lacks %q:\n%s", want, rec.String())
		}
	}
	if got := inode(t, path); got != ino {
		t.Errorf("after Restore, %s has inode %d; want the server's, %d", path, got, ino)
	}
	if _, err := os.Lstat(tp.Hidden); !os.IsNotExist(err) {
		t.Errorf("after Restore, %s: %v; want it gone", tp.Hidden, err)
	}
	if got := ask(t, path, "again"); got != "AGAIN" {
		t.Errorf("reply after Restore = %q; want %q", got, "AGAIN")
	}
}

func TestOpenRefusesAndMovesNothing(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "dead.sock")
	fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: dead}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("x"), 0o600)
	for _, c := range []struct {
		path string
		want error
	}{
		{dead, ErrNotListening},
		{plain, nil},
		{filepath.Join(dir, "none"), os.ErrNotExist},
	} {
		_, err := Open(c.path, sock.Stream)
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("Open(%s) = %v; want %v", filepath.Base(c.path), err, c.want)
		}
	}
	names, _ := readNames(dir)
	if len(names) != 2 {
		t.Errorf("after refused taps, %s holds %v; want dead.sock and plain only", dir, names)
	}
}

// interrupted leaves what a SIGKILLed tap leaves: the server's socket at
// a hidden name for a tapper that is gone, and a dead socket at path.
func interrupted(t *testing.T, path string) string {
	t.Helper()
	gone := tapper{PID: 1<<22 - 1, Start: 1}
	hidden := hiddenName(path, gone)
	if err := unix.Rename(path, hidden); err != nil {
		t.Fatal(err)
	}
	fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	return hidden
}

func TestFindRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	server(t, path)
	ino := inode(t, path)
	hidden := interrupted(t, path)
	found, err := Find(path)
	if err != nil || len(found) != 1 || found[0].Hidden != hidden {
		t.Fatalf("Find = %v, %v; want the one at %s", found, err, hidden)
	}
	if msg, err := found[0].Repair(true); err != nil || !strings.HasPrefix(msg, "would restore ") {
		t.Errorf("Repair(dry run) = %q, %v", msg, err)
	}
	if got := inode(t, hidden); got != ino {
		t.Errorf("a dry run moved %s", hidden)
	}
	if msg, err := found[0].Repair(false); err != nil || !strings.HasPrefix(msg, "restored "+path) {
		t.Errorf("Repair = %q, %v", msg, err)
	}
	if got := inode(t, path); got != ino {
		t.Errorf("after Repair, %s has inode %d; want %d", path, got, ino)
	}
	if got := ask(t, path, "x"); got != "X" {
		t.Errorf("reply after Repair = %q", got)
	}
}

func TestScanRemovesLeftover(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "s.sock")
	os.Mkdir(filepath.Dir(path), 0o700)
	server(t, path)
	// The tap died before its swap: its own socket file, dead, at the
	// hidden name; the server still at the path.
	hidden := hiddenName(path, tapper{PID: 1<<22 - 1, Start: 1})
	fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	unix.Bind(fd, &unix.SockaddrUnix{Name: hidden})
	unix.Close(fd)
	found := Scan([]string{dir}, ScanDepth)
	if len(found) != 1 || found[0].Path != path {
		t.Fatalf("Scan = %v; want the leftover of %s", found, path)
	}
	if msg, err := found[0].Repair(false); err != nil || !strings.HasPrefix(msg, "removed "+hidden) {
		t.Errorf("Repair = %q, %v; want the leftover removed", msg, err)
	}
	if _, err := os.Lstat(hidden); !os.IsNotExist(err) {
		t.Errorf("%s: %v; want it removed", hidden, err)
	}
	if got := ask(t, path, "y"); got != "Y" {
		t.Errorf("reply after Repair = %q", got)
	}
}

func TestFindLiveTap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	server(t, path)
	tp, err := Open(path, sock.Stream)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	defer tp.Restore()
	var te *TappedError
	if _, err := Find(path); !errors.As(err, &te) || te.PID != os.Getpid() {
		t.Errorf("Find of a live tap = %v; want a *TappedError with pid %d", err, os.Getpid())
	}
	if found := Scan([]string{filepath.Dir(path)}, ScanDepth); len(found) != 0 {
		t.Errorf("Scan found a live tap as interrupted: %v", found)
	}
}

func TestParseHidden(t *testing.T) {
	name := filepath.Base(hiddenName("/run/a.b.sock", tapper{PID: 42, Start: 7}))
	if name != ".a.b.sock.sockcat-tap.42-7" {
		t.Errorf("hiddenName = %q", name)
	}
	base, tp, ok := parseHidden(name)
	if !ok || base != "a.b.sock" || tp != (tapper{42, 7}) {
		t.Errorf("parseHidden(%q) = %q, %v, %v", name, base, tp, ok)
	}
	for _, bad := range []string{"a.sock", ".a.sockcat-tap.x-1", ".a.sockcat-tap.1", "a.sockcat-tap.1-2"} {
		if _, _, ok := parseHidden(bad); ok {
			t.Errorf("parseHidden(%q) ok; want not a hidden name", bad)
		}
	}
	me, err := self()
	if err != nil || !me.alive() {
		t.Errorf("self() = %v, %v; want a live tapper", me, err)
	}
}

// A server restarted while tapped (it removed the tap's socket file and
// bound a new one): Restore leaves the new one, and removes the old,
// dead, file.
func TestRestoreAfterServerRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	stop := server(t, path)
	tp, err := Open(path, sock.Stream)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	stop()
	os.Remove(path)
	server(t, path)
	ino := inode(t, path)
	msg, err := tp.Restore()
	if err != nil || !strings.Contains(msg, "was replaced while tapped") {
		t.Errorf("Restore = %q, %v; want the replaced path left", msg, err)
	}
	if got := inode(t, path); got != ino {
		t.Errorf("Restore moved over the new server's socket file")
	}
	if _, err := os.Lstat(tp.Hidden); !os.IsNotExist(err) {
		t.Errorf("%s: %v; want the old socket file removed", tp.Hidden, err)
	}
}
