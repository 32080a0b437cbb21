package mapfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fault"
)

// sink keeps loads from the mapping from being optimised away.
var sink byte

func tempFile(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMapWindow(t *testing.T) {
	content := make([]byte, 3*PageSize+100)
	for i := range content {
		content[i] = byte(i % 251)
	}
	p := tempFile(t, content)
	f, err := Open(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct{ off, n int64 }{
		{0, 0}, {0, 1}, {1, 10}, {PageSize - 1, 2}, {PageSize, PageSize}, {PageSize + 7, 2 * PageSize},
		{int64(len(content)) - 1, 1}, {0, int64(len(content))},
	}
	for _, tt := range tests {
		w, err := f.Map(tt.off, tt.n, false)
		if err != nil {
			t.Errorf("Map(%d, %d) = %v; want a window", tt.off, tt.n, err)
			continue
		}
		want := content[tt.off : tt.off+tt.n]
		if !bytes.Equal(w.Mem, want) || w.Off != tt.off {
			t.Errorf("Map(%d, %d) = %d bytes at %d; want %d bytes equal to the file's", tt.off, tt.n, len(w.Mem), w.Off, len(want))
		}
		if err := w.Unmap(); err != nil {
			t.Errorf("Unmap after Map(%d, %d) = %v; want nil", tt.off, tt.n, err)
		}
	}
}

func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want error
	}{
		{fifo, ErrNotRegular}, {dir, ErrNotRegular}, {filepath.Join(dir, "absent"), ErrNotExist},
	}
	for _, tt := range tests {
		for _, write := range []bool{false, true} {
			f, err := Open(tt.path, write)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%q, %v) = %v; want %v", tt.path, write, err, tt.want)
			}
			if f != nil {
				f.Close()
			}
		}
	}
}

func TestCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "new")
	f, created, err := Create(p, 0o640, true)
	if err != nil || !created {
		t.Fatalf("Create(new, 0640, excl) = %v, %v; want created", created, err)
	}
	f.Close()
	st, _ := os.Stat(p)
	if got := st.Mode().Perm(); got != 0o640 {
		t.Errorf("Create(new, 0640) made mode %o; want 0640 (umask not applied)", got)
	}
	if _, _, err := Create(p, 0o600, true); !errors.Is(err, ErrExist) {
		t.Errorf("Create(existing, excl) = %v; want %v", err, ErrExist)
	}
	f, created, err = Create(p, 0o600, false)
	if err != nil || created {
		t.Errorf("Create(existing) = %v, %v; want opened, not created", created, err)
	} else {
		f.Close()
	}
}

func TestReserveAndTruncate(t *testing.T) {
	p := tempFile(t, []byte("abc"))
	f, err := Open(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		op        string
		off, n    int64
		wantSize  int64
		wantBytes string // the first bytes afterwards
	}{
		{"reserve", 0, 2, 3, "abc"},       // inside: no change
		{"reserve", 2, 10, 12, "abc\x00"}, // grows, zero-filled
		{"reserve", 100, 0, 12, "abc"},    // nothing asked
		{"truncate", 2, 0, 2, "ab"},
	}
	for _, tt := range tests {
		if tt.op == "reserve" {
			err = f.Reserve(tt.off, tt.n)
		} else {
			err = f.Truncate(tt.off)
		}
		size, _ := f.Size()
		b, _ := os.ReadFile(p)
		if err != nil || size != tt.wantSize || !bytes.HasPrefix(b, []byte(tt.wantBytes)) {
			t.Errorf("%s(%d, %d) = %v, size %d, %q; want size %d starting %q", tt.op, tt.off, tt.n, err, size, b, tt.wantSize, tt.wantBytes)
		}
	}
}

// A file truncated under a mapping: Go code touching it gets ErrFault from
// fault.Guard, and read(2) into it gets EFAULT; neither crashes.
func TestTruncatedUnderMapping(t *testing.T) {
	p := tempFile(t, bytes.Repeat([]byte("x"), int(4*PageSize)))
	f, err := Open(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := f.Map(0, 4*PageSize, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Unmap()
	if err := f.Truncate(PageSize); err != nil {
		t.Fatal(err)
	}
	err = fault.Guard(func() error { sink = w.Mem[3*PageSize]; return nil })
	if !errors.Is(err, fault.ErrFault) {
		t.Errorf("Guard(load past the new end) = %v; want %v", err, fault.ErrFault)
	}
	err = fault.Guard(func() error { w.Mem[0] = 'y'; return nil })
	if err != nil {
		t.Errorf("Guard(store inside the file) = %v; want nil", err)
	}
	src := tempFile(t, bytes.Repeat([]byte("z"), int(PageSize)))
	fd, err := unix.Open(src, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if n, err := unix.Read(fd, w.Mem[2*PageSize:3*PageSize]); err != unix.EFAULT {
		t.Errorf("read(2) into the truncated part = %d, %v; want EFAULT", n, err)
	}
}

func TestResident(t *testing.T) {
	p := tempFile(t, bytes.Repeat([]byte("r"), int(3*PageSize+1)))
	f, err := Open(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := f.Map(0, 3*PageSize+1, false)
	if err != nil {
		t.Fatal(err)
	}
	sink = w.Mem[0] + w.Mem[3*PageSize] // touched pages are resident
	w.Unmap()
	r, err := f.Resident()
	if err != nil || r.Pages != 4 || r.Resident < 2 || r.Resident > 4 {
		t.Errorf("Resident() = %+v, %v; want 4 pages, 2 to 4 resident", r, err)
	}
	empty, _ := Open(tempFile(t, nil), false)
	defer empty.Close()
	if r, err := empty.Resident(); err != nil || r != (Residency{}) {
		t.Errorf("Resident(empty) = %+v, %v; want zero", r, err)
	}
}
