package sock

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	// Standard error a file, as sockcat's is: an io.Writer would make
	// os/exec wait for a copy that a surviving grandchild holds open.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	start := time.Now()
	_, err = Exec(ctx, theirs, "echo up; exec sleep 10", null, true)
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
