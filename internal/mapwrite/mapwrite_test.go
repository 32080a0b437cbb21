package mapwrite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/meter"
)

// open creates path holding data and opens it for writing; closed on cleanup.
func open(t *testing.T, path string, data []byte) *mapfile.File {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := mapfile.Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// input is a regular file holding data, as stdin; closed on cleanup.
func input(t *testing.T, data []byte) int {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return int(in.Fd())
}

// pipeInput is a pipe that carries data and then ends.
func pipeInput(t *testing.T, data []byte) int {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() { w.Write(data); w.Close() }()
	return int(r.Fd())
}

func m() *meter.Meter { return meter.New("test", io.Discard, false) }

func TestStreamEndsFileAtInput(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f := open(t, p, bytes.Repeat([]byte("x"), 10000))
	data := []byte("hello, world")
	for name, in := range map[string]func() int{
		"file": func() int { return input(t, data) },
		"pipe": func() int { return pipeInput(t, data) },
	} {
		n, err := Transfer(context.Background(), &Options{Offset: 3, Force: true}, f, in(), -1, m())
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: Transfer = %d, %v", name, n, err)
		}
		if got, _ := os.ReadFile(p); string(got) != "xxx"+string(data) {
			t.Errorf("%s: file holds %q; want %q", name, got, "xxx"+string(data))
		}
	}
}

func TestWindowAllOrNothing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f := open(t, p, []byte("0123456789"))
	_, err := Transfer(context.Background(), &Options{Offset: 2, Length: 3, LengthSet: true}, f, pipeInput(t, []byte("abcd")), -1, m())
	if err == nil || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("input larger than the window: %v; want a refusal", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "0123456789" {
		t.Errorf("a refused write changed the file: %q", got)
	}
	if _, err := Transfer(context.Background(), &Options{Offset: 2, Length: 3, LengthSet: true}, f, input(t, []byte("ab")), -1, m()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "01ab\x0056789" {
		t.Errorf("file holds %q; want the window written and its rest cleared", got)
	}
	if _, err := Transfer(context.Background(), &Options{Offset: 8, InPlace: true, NoClear: true, Sync: true}, f, input(t, []byte("Z")), -1, m()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "01ab\x00567Z9" {
		t.Errorf("file holds %q; want --in-place --no-clear to change one byte", got)
	}
}

func TestShrinkGuardSparesMappedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f := open(t, p, bytes.Repeat([]byte("x"), 4096))
	// Only this process maps it: the guard spares its own mappings.
	w, err := f.Map(0, 4096, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Unmap()
	if err := shrinkGuard(&Options{}, f, 4096, 10); err != nil {
		t.Errorf("shrinkGuard with only our own mapping = %v", err)
	}
	if err := shrinkGuard(&Options{}, f, 4096, 5000); err != nil {
		t.Errorf("shrinkGuard on growth = %v", err)
	}
	var ce interface{ Error() string }
	if errors.As(shrinkGuard(&Options{Force: true}, f, 4096, 0), &ce) {
		t.Error("--force still refused")
	}
}
