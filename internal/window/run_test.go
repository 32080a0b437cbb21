package window

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/meter"
)

// mapped is a file of data opened with mapfile, closed on cleanup.
func mapped(t *testing.T, data string) *mapfile.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m")
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := mapfile.Open(p, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// runEnv is an Env whose standard output is a pipe drained in the
// background and whose standard error is a buffer.
func runEnv(t *testing.T) (*cli.Env, <-chan []byte, *strings.Builder) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	var stderr strings.Builder
	return &cli.Env{Tool: "test", Stdout: w, Stderr: &stderr}, drain(r), &stderr
}

func TestPick(t *testing.T) {
	for _, tt := range []struct {
		def           Trim
		all, z, strip bool
		want          Trim
	}{
		{LastNUL, false, false, false, LastNUL},
		{LastNUL, true, false, false, All},
		{All, false, true, false, ToNUL},
		{All, false, false, true, LastNUL},
	} {
		if got := Pick(tt.def, tt.all, tt.z, tt.strip); got != tt.want {
			t.Errorf("Pick(%v, %v, %v, %v) = %v; want %v", tt.def, tt.all, tt.z, tt.strip, got, tt.want)
		}
	}
}

func TestRunReadFile(t *testing.T) {
	f := mapped(t, "hello\x00world\x00\x00")
	env, out, stderr := runEnv(t)
	r := &Run{Env: env, Verbose: true, Offset: 6}
	err := r.Read(context.Background(), func(context.Context) (*Source, error) {
		return &Source{Where: f.Path, Print: PrintFile(f, Span{Offset: 6}, LastNUL)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Stdout.Close()
	if b := string(<-out); b != "world" {
		t.Errorf("Read printed %q; want %q", b, "world")
	}
	if !strings.Contains(stderr.String(), "read 5 bytes from "+f.Path+" at offset 6") {
		t.Errorf("-v summary = %q", stderr.String())
	}
	// A window past the end is refused before anything is printed.
	err = PrintFile(f, Span{Offset: 4, Length: 100, LengthSet: true}, All)(context.Background(), int(os.Stderr.Fd()), meter.New("", nil, false))
	if err == nil || !strings.Contains(err.Error(), "runs past the end") {
		t.Errorf("PrintFile past the end = %v", err)
	}
}

func TestPrintMapped(t *testing.T) {
	data := strings.Repeat("s", 5000) + "\x00\x00"
	f := mapped(t, data)
	mem, err := unix.Mmap(f.Fd(), 0, len(data), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	for _, fd := range []int{f.Fd(), -1} { // from the descriptor, and from the mapping
		env, out, _ := runEnv(t)
		m := meter.New("", nil, false)
		if err := PrintMapped("m", LastNUL, mem, fd, 10, int64(len(data)))(context.Background(), int(env.Stdout.Fd()), m); err != nil {
			t.Fatal(err)
		}
		env.Stdout.Close()
		if b := <-out; string(b) != data[10:5000] || m.Bytes() != 4990 {
			t.Errorf("fd %d: PrintMapped printed %d bytes, counted %d; want 4990", fd, len(b), m.Bytes())
		}
	}
}

func TestRunFollowFile(t *testing.T) {
	f := mapped(t, "one")
	env, out, _ := runEnv(t)
	r := &Run{Env: env, Interval: cli.Duration{D: 5 * time.Millisecond, Set: true}}
	r.Wait.Timeout = cli.Duration{D: 300 * time.Millisecond, Set: true}
	go func() {
		time.Sleep(50 * time.Millisecond)
		os.WriteFile(f.Path, []byte("two"), 0o600)
	}()
	err := r.Follow(context.Background(), f.Path, "window is empty", func(context.Context) (*Source, error) {
		return &Source{Where: f.Path, Look: FileLook(f, Span{}, All)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Stdout.Close()
	if b := string(<-out); b != "one\ntwo\n" {
		t.Errorf("Follow printed %q; want %q", b, "one\ntwo\n")
	}
	// -n on an empty window: exit 3, nothing printed.
	empty := mapped(t, "")
	env, _, _ = runEnv(t)
	r = &Run{Env: env, Wait: cli.Wait{Nonblock: true}}
	err = r.Follow(context.Background(), "e", "window is empty", func(context.Context) (*Source, error) {
		return &Source{Where: "e", Look: FileLook(empty, Span{}, All)}, nil
	})
	var ce *cli.Error
	if !errors.As(err, &ce) || ce.Code != 3 || !strings.Contains(err.Error(), "window is empty") {
		t.Errorf("Follow -n of an empty file = %v; want exit 3", err)
	}
}

func TestMapLook(t *testing.T) {
	f := mapped(t, "abc\x00def")
	mem, err := unix.Mmap(f.Fd(), 0, 7, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	look := MapLook(context.Background(), "m", ToNUL, mem)
	a, _, err := look()
	if err != nil || string(a) != "abc" {
		t.Fatalf("MapLook = %q, %v", a, err)
	}
	b, _, _ := look()
	if &a[0] == &b[0] {
		t.Error("two looks share a buffer; Follow compares them")
	}
	// The file truncated under the mapping: an error, not a crash.
	if err := os.Truncate(f.Path, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := look(); err == nil {
		t.Error("MapLook of a truncated file succeeded")
	}
}

func TestRunWrite(t *testing.T) {
	env, _, stderr := runEnv(t)
	r := &Run{Env: env, Verbose: true, Offset: 3}
	if err := r.Write(func(m *meter.Meter) (string, error) { m.Add(12); return "obj", nil }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "wrote 12 bytes to obj at offset 3") {
		t.Errorf("-v summary = %q", stderr.String())
	}
	failed := errors.New("failed")
	if err := r.Write(func(*meter.Meter) (string, error) { return "", failed }); err != failed {
		t.Errorf("Write = %v; want the write's error", err)
	}
}

// A file larger than mapStep goes out a mapping at a time, into a pipe
// (vmsplice) and into a file (write), byte for byte, from any offset; the
// meter learns the total for --progress.
func TestPrintFileInSteps(t *testing.T) {
	data := make([]byte, 2*mapStep+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	f := mapped(t, string(data))
	const off = 4097
	want := data[off:]
	// Into a pipe, drained by a reader.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); got <- b }()
	m := meter.New("", nil, false)
	if err := PrintFile(f, Span{Offset: off}, All)(context.Background(), int(w.Fd()), m); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("into a pipe: %d bytes, equal %v; want the %d from offset %d", len(b), bytes.Equal(b, want), len(want), off)
	}
	if m.Total() != int64(len(want)) || m.Bytes() != int64(len(want)) {
		t.Errorf("meter: total %d, counted %d; want %d", m.Total(), m.Bytes(), len(want))
	}
	// Into a regular file.
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := PrintFile(f, Span{Offset: off}, All)(context.Background(), int(out.Fd()), meter.New("", nil, false)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out.Name()); !bytes.Equal(b, want) {
		t.Errorf("into a file: %d bytes differ", len(b))
	}
}
