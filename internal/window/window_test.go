package window

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/meter"
)

func TestBounds(t *testing.T) {
	for _, tt := range []struct {
		off, n  int64
		set     bool
		size    int64
		lo, hi  int64
		wantErr string
	}{
		{0, 0, false, 10, 0, 10, ""},
		{4, 0, false, 10, 4, 10, ""},
		{4, 3, true, 10, 4, 7, ""},
		{10, 0, true, 10, 10, 10, ""},
		{11, 0, false, 10, 0, 0, "offset 11 is beyond the end of the 10-byte file"},
		{4, 7, true, 10, 0, 0, "window of 7 bytes at offset 4 runs past the end of the 10-byte file"},
		{1, 1<<63 - 1, true, 10, 0, 0, "runs past the end"}, // no overflow
	} {
		lo, hi, err := Bounds("f", "file", tt.off, tt.n, tt.set, tt.size)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Bounds(%d, %d, %v, %d) = %v; want %q", tt.off, tt.n, tt.set, tt.size, err, tt.wantErr)
			}
			continue
		}
		if err != nil || lo != tt.lo || hi != tt.hi {
			t.Errorf("Bounds(%d, %d, %v, %d) = %d, %d, %v; want %d, %d", tt.off, tt.n, tt.set, tt.size, lo, hi, err, tt.lo, tt.hi)
		}
	}
	if lo, hi := Clip(8, 5, true, 10); lo != 8 || hi != 10 {
		t.Errorf("Clip(8, 5, 10) = %d, %d; want 8, 10", lo, hi)
	}
	if lo, hi := Clip(12, 0, false, 10); lo != 10 || hi != 10 {
		t.Errorf("Clip(12, -, 10) = %d, %d; want 10, 10", lo, hi)
	}
}

func TestContent(t *testing.T) {
	in := []byte("ab\x00c\x00\x00")
	for tr, want := range map[Trim]string{All: "ab\x00c\x00\x00", ToNUL: "ab", LastNUL: "ab\x00c"} {
		if got := Content(tr, in); string(got) != want {
			t.Errorf("Content(%d) = %q; want %q", tr, got, want)
		}
	}
}

// tempFile is a file holding data, removed on cleanup.
func tempFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestRegularLeftAndRead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	f := tempFile(t, data)
	fd := int(f.Fd())
	if n := RegularLeft(fd); n != int64(len(data)) {
		t.Errorf("RegularLeft = %d; want %d", n, len(data))
	}
	unix.Seek(fd, 100, 0)
	if n := RegularLeft(fd); n != int64(len(data))-100 {
		t.Errorf("RegularLeft after seek = %d; want %d", n, len(data)-100)
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if n := RegularLeft(int(r.Fd())); n != -1 {
		t.Errorf("RegularLeft(pipe) = %d; want -1", n)
	}
	b, err := ReadAt(fd, "w", 5, 7)
	if err != nil || string(b) != "5678901" {
		t.Errorf("ReadAt = %q, %v", b, err)
	}
	b, err = ReadAt(fd, "w", int64(len(data))-3, 10)
	if err != nil || string(b) != "789" {
		t.Errorf("ReadAt past the end = %q, %v; want the 3 bytes there", b, err)
	}
	b, err = Slurp(fd, "w")
	if err != nil || !bytes.Equal(b, data) {
		t.Errorf("Slurp = %d bytes, %v; want %d", len(b), err, len(data))
	}
}

// drain reads r to its end in the background.
func drain(r *os.File) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		buf.ReadFrom(r)
		ch <- buf.Bytes()
	}()
	return ch
}

func TestEmitIntoPipe(t *testing.T) {
	// Large enough for vmsplice, from a real mapping of a file.
	data := bytes.Repeat([]byte("abcdefgh"), (3<<20)/8)
	f := tempFile(t, data)
	mem, err := unix.Mmap(int(f.Fd()), 0, len(data), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	r, w, _ := os.Pipe()
	defer r.Close()
	got := drain(r)
	m := meter.New("test", nil, false)
	if err := Emit(context.Background(), int(w.Fd()), "w", mem, m); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("Emit delivered %d bytes; want %d equal", len(b), len(data))
	}
}

func TestEmitFromFastPath(t *testing.T) {
	data := []byte(strings.Repeat("x", 100000))
	f := tempFile(t, data)
	r, w, _ := os.Pipe()
	defer r.Close()
	got := drain(r)
	m := meter.New("test", nil, false)
	// b is what the fast path sends from the descriptor: bytes 10..1010.
	if err := EmitFrom(context.Background(), int(w.Fd()), int(f.Fd()), "w", 10, data[10:1010], m); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if b := <-got; !bytes.Equal(b, data[10:1010]) {
		t.Errorf("EmitFrom delivered %d bytes; want 1000", len(b))
	}
	// A window past the end of the object is a fault, not a hang.
	r2, w2, _ := os.Pipe()
	defer r2.Close()
	defer w2.Close()
	go drain(r2)
	err := EmitFrom(context.Background(), int(w2.Fd()), int(f.Fd()), "w", int64(len(data))-10, make([]byte, 100), m)
	if !errors.Is(err, fault.ErrFault) {
		t.Errorf("EmitFrom past the end = %v; want ErrFault", err)
	}
}

func TestEmitCancelledOnFullPipe(t *testing.T) {
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := Emit(ctx, int(w.Fd()), "w", make([]byte, 4<<20), meter.New("test", nil, false))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Emit into a pipe nobody reads = %v; want the deadline", err)
	}
}

func TestFollow(t *testing.T) {
	r, w, _ := os.Pipe()
	defer r.Close()
	got := drain(r)
	versions := []string{"", "one", "one", "two\n", "two\n"}
	again := false
	i := 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m := meter.New("test", nil, false)
	err := Follow(ctx, int(w.Fd()), time.Millisecond, false, m, func() ([]byte, bool, error) {
		if i == len(versions) {
			cancel()
			return nil, false, nil
		}
		v := versions[i]
		i++
		if v == "one" && !again { // a look that asks for another at once
			again = true
			return []byte("ignored"), true, nil
		}
		return []byte(v), false, nil
	})
	w.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if b := string(<-got); b != "one\ntwo\n" {
		t.Errorf("Follow printed %q; want %q", b, "one\ntwo\n")
	}
	// once: one look, and nothing printed for an empty window.
	m = meter.New("test", nil, false)
	if err := Follow(context.Background(), int(os.Stderr.Fd()), time.Hour, true, m, func() ([]byte, bool, error) { return nil, false, nil }); err != nil || m.Moved() {
		t.Errorf("Follow once on an empty window = %v, moved %v", err, m.Moved())
	}
}
