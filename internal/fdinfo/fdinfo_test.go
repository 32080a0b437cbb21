package fdinfo

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOf(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "f")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ff, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ff.Close()
	reg, err := os.Create(filepath.Join(dir, "reg"))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lf, err := ln.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	dev, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()

	for _, c := range []struct {
		f           *os.File
		typ, access string
		pipe, named bool
		path        string
	}{
		{r, "pipe", "read", true, false, ""},
		{w, "pipe", "write", true, false, ""},
		{ff, "fifo", "read-write", true, true, fifo},
		{reg, "regular file", "read-write", false, false, reg.Name()},
		{lf, "socket", "read-write", false, false, ""},
		{dev, "character device", "read", false, false, "/dev/null"},
	} {
		in, err := Of(int(c.f.Fd()))
		if err != nil {
			t.Fatalf("%s: %v", c.f.Name(), err)
		}
		if in.Type != c.typ || in.Access != c.access || in.Pipe != c.pipe || in.Named != c.named {
			t.Errorf("%s: got %+v, want type %q access %q pipe %v named %v", c.f.Name(), in, c.typ, c.access, c.pipe, c.named)
		}
		if c.path != "" && in.Path != c.path {
			t.Errorf("%s: path %q, want %q", c.f.Name(), in.Path, c.path)
		}
		if in.Ino == 0 {
			t.Errorf("%s: no inode", c.f.Name())
		}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(r.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if in, _ := Of(int(w.Fd())); in.Ino != st.Ino || in.Dev != uint64(st.Dev) {
		t.Errorf("both ends of a pipe should have one identity: %+v vs ino %d", in, st.Ino)
	}
}

func TestClosed(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fd := int(r.Fd())
	r.Close()
	w.Close()
	if _, err := Of(fd); err != ErrClosed {
		t.Errorf("Of(closed) = %v, want ErrClosed", err)
	}
	if err := Usable(fd, true); err != ErrClosed {
		t.Errorf("Usable(closed) = %v, want ErrClosed", err)
	}
}

func TestUsable(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, c := range []struct {
		fd   uintptr
		read bool
		want error
	}{
		{r.Fd(), true, nil},
		{r.Fd(), false, ErrReadOnly},
		{w.Fd(), false, nil},
		{w.Fd(), true, ErrWriteOnly},
	} {
		if got := Usable(int(c.fd), c.read); got != c.want {
			t.Errorf("Usable(%d, read=%v) = %v, want %v", c.fd, c.read, got, c.want)
		}
	}
}
