package fifo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
)

// mkfifoT makes a FIFO in a fresh temporary directory (removed with it).
func mkfifoT(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// status is the exit status and message err would give.
func status(err error) (int, string) { return cli.Status(context.Background(), err) }

func TestEnsure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "made")
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	f, created, err := Ensure(p, 0o644, false)
	if err != nil || !created {
		t.Fatalf("Ensure(new) = %v, %v; want created", created, err)
	}
	if f.Mode&0o7777 != 0o644 || f.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("mode %o; want a FIFO with 0644 whatever the umask", f.Mode)
	}
	again, created, err := Ensure(p, 0o600, false)
	if err != nil || created || again.Key != f.Key {
		t.Errorf("Ensure(existing) = %+v, %v, %v; want the same FIFO, not created", again, created, err)
	}
	if _, _, err := Ensure(p, 0o600, true); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Ensure(existing, excl) = %v; want already exists", err)
	}

	reg := filepath.Join(dir, "reg")
	os.WriteFile(reg, nil, 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(p, link)
	for _, c := range []struct{ path, want string }{
		{reg, "is a regular file, not a FIFO"},
		{link, "is a symbolic link"},
		{dir, "is a directory, not a FIFO"},
		{filepath.Join(dir, "no", "f"), "directory " + filepath.Join(dir, "no") + " does not exist"},
		{filepath.Join(reg, "f"), "is not a directory"},
	} {
		if _, _, err := Ensure(c.path, 0o600, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Ensure(%s) = %v; want %q", c.path, err, c.want)
		}
	}
}

func TestRemove(t *testing.T) {
	p := mkfifoT(t)
	reg := filepath.Join(filepath.Dir(p), "reg")
	os.WriteFile(reg, nil, 0o600)
	if err := Remove(reg); err == nil {
		t.Errorf("Remove(regular file) = nil; want a refusal")
	}
	if _, err := os.Lstat(reg); err != nil {
		t.Errorf("the regular file is gone: %v", err)
	}
	if err := Remove(p + ".none"); err == nil || !strings.Contains(err.Error(), "no such FIFO") {
		t.Errorf("Remove(absent) = %v; want no such FIFO", err)
	}

	f, err := Look(p)
	if err != nil {
		t.Fatal(err)
	}
	// Made anew at the same path (the old one kept aside, so that its
	// inode number is not reused): another FIFO, left alone.
	os.Rename(p, p+".old")
	unix.Mkfifo(p, 0o600)
	if err := f.RemoveSame(); !errors.Is(err, cli.ErrReplaced) {
		t.Errorf("RemoveSame(replaced) = %v; want ErrReplaced", err)
	}
	if err := f.RemoveAfter(); err != nil {
		t.Errorf("RemoveAfter(replaced) = %v; want nil", err)
	}
	if lstat(p) == nil {
		t.Fatal("the new FIFO was removed")
	}
	g, _ := Look(p)
	if err := g.RemoveAfter(); err != nil || lstat(p) != nil {
		t.Errorf("RemoveAfter = %v; want the FIFO gone", err)
	}
	if err := g.RemoveAfter(); err != nil {
		t.Errorf("RemoveAfter(gone) = %v; want nil", err)
	}
}

func TestOpenWriterNonblock(t *testing.T) {
	p := mkfifoT(t)
	_, err := OpenWriter(context.Background(), p, true)
	if code, msg := status(err); code != 3 || !strings.Contains(msg, "no reader has the FIFO open") {
		t.Errorf("OpenWriter(-n, no reader) = %d %q; want 3, no reader", code, msg)
	}
	r, err := OpenReader(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := OpenWriter(context.Background(), p, true)
	if err != nil {
		t.Fatalf("OpenWriter(-n, a reader) = %v", err)
	}
	w.Close()
}

// release completes a writer's open left blocked by a cancelled
// OpenWriter, so that its thread ends with the test.
func release(t *testing.T, p string) {
	t.Cleanup(func() {
		if fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK, 0); err == nil {
			time.Sleep(10 * time.Millisecond)
			unix.Close(fd)
		}
	})
}

func TestOpenWriterWaits(t *testing.T) {
	p := mkfifoT(t)
	release(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := OpenWriter(ctx, p, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OpenWriter(no reader, 50ms) = %v; want the deadline", err)
	}

	q := mkfifoT(t)
	type opened struct {
		e   *End
		err error
	}
	done := make(chan opened, 1)
	go func() {
		e, err := OpenWriter(context.Background(), q, false)
		done <- opened{e, err}
	}()
	select {
	case o := <-done:
		t.Fatalf("OpenWriter returned %v before a reader came", o.err)
	case <-time.After(50 * time.Millisecond):
	}
	r, err := OpenReader(q, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o := <-done
	if o.err != nil {
		t.Fatalf("OpenWriter after a reader came = %v", o.err)
	}
	defer o.e.Close()
	unix.Write(o.e.FD, []byte("hi"))
	if err := r.WaitPeer(context.Background()); err != nil {
		t.Fatalf("WaitPeer = %v", err)
	}
	buf := make([]byte, 8)
	if n, _ := unix.Read(r.FD, buf); string(buf[:n]) != "hi" {
		t.Errorf("read %q; want hi", buf[:n])
	}
}

func TestWaitPeerCancel(t *testing.T) {
	r, err := OpenReader(mkfifoT(t), false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := r.WaitPeer(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitPeer(no writer) = %v; want the deadline", err)
	}
}

func TestKeepOpen(t *testing.T) {
	p := mkfifoT(t)
	r, err := OpenReader(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := OpenWriter(context.Background(), p, true)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	// The writer came and went: with our own write end, no end of file.
	if n, err := unix.Read(r.FD, make([]byte, 1)); err != unix.EAGAIN {
		t.Errorf("read after the writer left = %d, %v; want EAGAIN (no EOF)", n, err)
	}
}

func TestReadNow(t *testing.T) {
	p := mkfifoT(t)
	r, err := OpenReader(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [2]int
	if err := unix.Pipe2(out[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(out[0])
	defer unix.Close(out[1])
	m := meter.New("test", nil, false)
	err = r.ReadNow(context.Background(), out[1], m, false)
	if code, msg := status(err); code != 3 || !strings.Contains(msg, "no writer has the FIFO open") {
		t.Errorf("ReadNow(no writer) = %d %q; want 3, no writer", code, msg)
	}
	w, err := OpenWriter(context.Background(), p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = r.ReadNow(context.Background(), out[1], m, false)
	if code, msg := status(err); code != 3 || !strings.Contains(msg, "written nothing yet") {
		t.Errorf("ReadNow(idle writer) = %d %q; want 3, nothing yet", code, msg)
	}
	unix.Write(w.FD, []byte("abc"))
	if err := r.ReadNow(context.Background(), out[1], m, false); err != nil || m.Bytes() != 3 {
		t.Errorf("ReadNow(3 bytes) = %v, moved %d; want 3", err, m.Bytes())
	}
	buf := make([]byte, 8)
	if n, _ := unix.Read(out[0], buf); string(buf[:n]) != "abc" {
		t.Errorf("copied %q; want abc", buf[:n])
	}
}

func TestSize(t *testing.T) {
	p := mkfifoT(t)
	r, err := OpenReader(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Size(128<<10, -1); err != nil {
		t.Fatal(err)
	}
	if c, _ := unix.FcntlInt(uintptr(r.FD), unix.F_GETPIPE_SZ, 0); c != 128<<10 {
		t.Errorf("capacity %d; want 128 KiB", c)
	}
}

// child starts sh -c script in dir and stops it with the test.
func child(t *testing.T, dir, script string) *exec.Cmd {
	t.Helper()
	c := exec.Command("sh", "-c", script)
	c.Dir = dir
	if err := c.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c
}

// eventually retries ok for up to 5 s.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHoldersAndFill(t *testing.T) {
	p := mkfifoT(t)
	c := child(t, filepath.Dir(p), "exec 3<>f; printf abc >&3; exec sleep 30")
	var i *Info
	eventually(t, "the child holds the FIFO", func() bool {
		var err error
		i, err = Stat(p, &cli.Idle{})
		return err == nil && i.Pipe != nil && i.haveFill && i.fill.Queued == 3
	})
	if len(i.Pipe.Readers) != 1 || i.Pipe.Readers[0].PID != c.Process.Pid || len(i.Pipe.Writers) != 1 {
		t.Errorf("holders %+v; want pid %d reading and writing", i.Pipe, c.Process.Pid)
	}
	if i.Stale {
		t.Error("a held FIFO is stale")
	}
	if got := i.Record().Get("queued"); got != 3 {
		t.Errorf("queued %v; want 3", got)
	}
	f, _ := Look(p)
	f.Forget()
	if lstat(p) == nil {
		t.Error("Forget removed a FIFO another process holds")
	}
}

func TestOpening(t *testing.T) {
	p := mkfifoT(t)
	c := child(t, filepath.Dir(p), "exec 3>f")
	eventually(t, "the child blocks opening the FIFO", func() bool { return Waiting(p) })
	i, err := Stat(p, &cli.Idle{})
	if err != nil {
		t.Fatal(err)
	}
	if len(i.Opening) != 1 || i.Opening[0].PID != c.Process.Pid || i.Opening[0].FD != -1 || i.Stale {
		t.Errorf("opening %+v, stale %v; want pid %d, no fd, not stale", i.Opening, i.Stale, c.Process.Pid)
	}
	i.File.Forget()
	if lstat(p) == nil {
		t.Error("Forget removed a FIFO another process is opening")
	}
}

func TestStale(t *testing.T) {
	p := mkfifoT(t)
	now := &cli.Idle{}
	hour := &cli.Idle{Idle: cli.Duration{D: time.Hour, Set: true}}
	if i, err := Stat(p, now); err != nil || !i.Stale || i.Pipe != nil {
		t.Errorf("Stat(orphan, --idle 0) = %+v, %v; want stale", i, err)
	}
	if i, _ := Stat(p, hour); i.Stale {
		t.Error("a FIFO made just now is stale under --idle 1h")
	}
	all, _ := Survey(filepath.Dir(p), now)
	if len(all) != 1 || all[0].Path != p || !all[0].Stale {
		t.Errorf("Survey = %+v; want %s, stale", all, p)
	}
	r, err := OpenReader(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if i, _ := Stat(p, now); i.Stale || i.Pipe == nil {
		t.Errorf("Stat(held by us) = %+v; want held, not stale", i)
	}
	f, _ := Look(p)
	f.Forget() // only this process holds it: removed
	if lstat(p) != nil {
		t.Error("Forget left a FIFO only this process holds")
	}
}

// TestOpeningTarget tells which FIFO a blocked open(2) waits on from the
// path it passed: absolute or relative to its working directory; a path
// that leads to no FIFO any more (removed meanwhile) counts for none.
func TestOpeningTarget(t *testing.T) {
	p := mkfifoT(t)
	q := mkfifoT(t)
	a := child(t, "/", "exec 3>"+p)
	b := child(t, filepath.Dir(q), "exec 3<f")
	fp, _ := Look(p)
	fq, _ := Look(q)
	eventually(t, "both children block opening", func() bool {
		u := Scan(os.Getpid())
		return len(u.Opening[fp.Key]) == 1 && len(u.Opening[fq.Key]) == 1
	})
	u := Scan(os.Getpid())
	if u.Opening[fp.Key][0].PID != a.Process.Pid || u.Opening[fq.Key][0].PID != b.Process.Pid {
		t.Errorf("openers %+v, %+v; want %d and %d", u.Opening[fp.Key], u.Opening[fq.Key], a.Process.Pid, b.Process.Pid)
	}
	os.Remove(p)
	u = Scan(os.Getpid())
	if len(u.Opening[fp.Key]) != 0 {
		t.Errorf("a removed FIFO still has openers: %+v", u.Opening[fp.Key])
	}
	for _, pid := range u.Unknown {
		if pid == a.Process.Pid {
			t.Errorf("the opener of a removed FIFO is unknown, not opening none")
		}
	}
}
