package mapfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestStatPathAndFileHelpers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "l")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	st, err := StatPath(link, false)
	if err != nil || !st.Regular() || st.Size != 5 || st.Mode&0o777 != 0o640 || st.Device() == "" {
		t.Errorf("StatPath(link) = %+v, %v; want the 5-byte regular file", st, err)
	}
	if lst, err := StatPath(link, true); err != nil || lst.Regular() {
		t.Errorf("StatPath(link, noFollow) = %+v, %v; want the link itself", lst, err)
	}
	if _, err := StatPath(filepath.Join(dir, "none"), false); !errors.Is(err, ErrNotExist) {
		t.Errorf("StatPath(missing) = %v; want ErrNotExist", err)
	}

	f, err := Open(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if !f.SameAs(int(in.Fd())) {
		t.Error("SameAs(the same file) = false")
	}
	if f.SameAs(int(os.Stderr.Fd())) {
		t.Error("SameAs(stderr) = true")
	}
	if err := f.SeekTo(3); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if n, _ := unix.Read(f.Fd(), b); n < 0 || string(b[:n]) != "lo" {
		t.Errorf("read after SeekTo(3) = %q; want %q", b[:n], "lo")
	}
	if err := f.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}

	// RemoveOwn spares a file put at the path since.
	os.Remove(p)
	os.WriteFile(p, []byte("theirs"), 0o600)
	f.RemoveOwn()
	if _, err := os.Stat(p); err != nil {
		t.Errorf("RemoveOwn removed another file: %v", err)
	}
	g, err := Open(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.RemoveOwn()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("RemoveOwn left its own file: %v", err)
	}
}
