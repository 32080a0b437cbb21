package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/meter"
)

// endpoint makes a (reader fd, writer fd) pair of the given kind; for
// "file" the writer is a file and the reader is the same file reopened.
func endpoint(t *testing.T, kind string) (r, w int) {
	t.Helper()
	switch kind {
	case "pipe":
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		return p[0], p[1]
	case "socket":
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return p[0], p[1]
	}
	t.Fatalf("unknown kind %q", kind)
	return
}

func TestCopy(t *testing.T) {
	data := make([]byte, 3*BufSize+12345)
	rand.Read(data)
	dir := t.TempDir()
	for _, src := range []string{"pipe", "socket", "file"} {
		for _, dst := range []string{"pipe", "socket", "file"} {
			t.Run(src+"->"+dst, func(t *testing.T) {
				// Source: a writer goroutine feeding a pipe or socket, or a file.
				var sfd int
				if src == "file" {
					p := filepath.Join(dir, "src-"+dst)
					if err := os.WriteFile(p, data, 0o600); err != nil {
						t.Fatal(err)
					}
					f, err := os.Open(p)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					sfd = int(f.Fd())
				} else {
					r, w := endpoint(t, src)
					sfd = r
					defer unix.Close(r)
					go func() {
						WriteAll(context.Background(), w, data)
						unix.Close(w)
					}()
				}
				// Destination: a goroutine draining a pipe or socket, or a file.
				var got []byte
				done := make(chan struct{})
				var dfd int
				var out *os.File
				if dst == "file" {
					var err error
					out, err = os.Create(filepath.Join(dir, "dst-"+src))
					if err != nil {
						t.Fatal(err)
					}
					defer out.Close()
					dfd = int(out.Fd())
					close(done)
				} else {
					r, w := endpoint(t, dst)
					dfd = w
					go func() {
						buf := make([]byte, 64<<10)
						for {
							n, err := unix.Read(r, buf)
							if n <= 0 || err != nil {
								break
							}
							got = append(got, buf[:n]...)
						}
						unix.Close(r)
						close(done)
					}()
				}
				n, err := Copy(context.Background(), dfd, sfd, nil)
				if dst != "file" {
					unix.Close(dfd)
				}
				<-done
				if dst == "file" {
					got, _ = os.ReadFile(out.Name())
				}
				if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
					t.Errorf("Copy(%s -> %s) = %d, %v (got %d bytes, equal=%v); want %d, nil", src, dst, n, err, len(got), bytes.Equal(got, data), len(data))
				}
			})
		}
	}
}

func TestCopyCancel(t *testing.T) {
	r, w := endpoint(t, "pipe")
	defer unix.Close(r)
	defer unix.Close(w)
	dr, dw := endpoint(t, "pipe")
	defer unix.Close(dr)
	defer unix.Close(dw)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := Copy(ctx, dw, r, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Copy on an idle pipe after cancel = %v; want context.Canceled", err)
	}
}

func TestCopyBrokenPipe(t *testing.T) {
	r, w := endpoint(t, "pipe")
	defer unix.Close(r)
	dr, dw := endpoint(t, "pipe")
	unix.Close(dr)
	defer unix.Close(dw)
	go func() { WriteAll(context.Background(), w, []byte("hello")); unix.Close(w) }()
	_, err := Copy(context.Background(), dw, r, nil)
	var we *WriteError
	if !errors.As(err, &we) || !errors.Is(err, unix.EPIPE) {
		t.Errorf("Copy into a pipe with no reader = %v; want a WriteError of EPIPE", err)
	}
}

func TestSpool(t *testing.T) {
	data := make([]byte, 2*BufSize+7)
	rand.Read(data)
	for _, kind := range []string{"pipe", "socket"} {
		for _, limit := range []int64{-1, 10, int64(len(data)), int64(len(data)) + 1} {
			r, w := endpoint(t, kind)
			go func() { WriteAll(context.Background(), w, data); unix.Close(w) }()
			f, n, err := Spool(context.Background(), r, limit, nil)
			want := int64(len(data))
			if limit >= 0 && limit < want {
				want = limit
			}
			var got []byte
			if err == nil {
				got, _ = io.ReadAll(f)
				f.Close()
			}
			if err != nil || n != want || !bytes.Equal(got, data[:want]) {
				t.Errorf("Spool(%s, limit %d) = %d bytes, %v; want %d", kind, limit, n, err, want)
			}
			unix.Close(r)
		}
	}
}

// TestCopySocketToAppend: an O_APPEND file refuses splice; bytes already in
// the bounce pipe must still arrive, then the copy goes on by read/write.
func TestCopySocketToAppend(t *testing.T) {
	data := make([]byte, 3*BufSize+99)
	rand.Read(data)
	r, w := endpoint(t, "socket")
	defer unix.Close(r)
	go func() { WriteAll(context.Background(), w, data); unix.Close(w) }()
	p := filepath.Join(t.TempDir(), "append")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Copy(context.Background(), int(f.Fd()), r, nil)
	f.Close()
	got, _ := os.ReadFile(p)
	if err != nil || n != int64(len(data)) || !bytes.Equal(got, data) {
		t.Errorf("Copy(socket -> O_APPEND file) = %d, %v (file %d bytes, equal=%v); want %d, nil", n, err, len(got), bytes.Equal(got, data), len(data))
	}
}

// A copy from a regular file tells the meter its total, from the offset.
func TestCopyTotal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "src")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(make([]byte, 10000))
	f.Seek(1000, io.SeekStart)
	if got := Remaining(int(f.Fd())); got != 9000 {
		t.Errorf("Remaining = %d, want 9000", got)
	}
	out, err := os.Create(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	m := meter.New("t", nil, false)
	if n, err := Copy(context.Background(), int(out.Fd()), int(f.Fd()), m); n != 9000 || err != nil {
		t.Fatalf("Copy = %d, %v", n, err)
	}
	if m.Total() != 9000 {
		t.Errorf("meter total %d, want 9000", m.Total())
	}
}
