package shmio

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/shm"
)

// names returns a fresh System V key and POSIX name, removed after the test.
func names(t *testing.T) []ipcname.Name {
	key := ipcname.Name{Kind: ipcname.Key, Key: 0x1d000000 | rand.Uint32()&0xffffff}
	posix := ipcname.Name{Kind: ipcname.POSIX, Path: fmt.Sprintf("/ipcats-shmio-%d-%x", os.Getpid(), rand.Uint32())}
	t.Cleanup(func() { shm.Remove(key); shm.Remove(posix) })
	return []ipcname.Name{key, posix}
}

// input is a descriptor to read data from: a regular file, or a pipe
// (closed after the data) when pipe is set.
func input(t *testing.T, data string, pipe bool) int {
	t.Helper()
	if pipe {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		go func() { w.WriteString(data); w.Close() }()
		return int(r.Fd())
	}
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

// now runs a cleanup at once: Write's atExit without signals.
func now(f func()) func() { return f }

// content is what the segment holds now.
func content(t *testing.T, n ipcname.Name) string {
	t.Helper()
	seg, err := shm.Open(n, false)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	return string(seg.Mem)
}

func TestWrite(t *testing.T) {
	ctx := context.Background()
	for _, n := range names(t) {
		for _, pipe := range []bool{false, true} {
			shm.Remove(n)
			m := meter.New("", nil, false)
			o := &Options{Offset: 2, Mode: 0o600}
			seg, lo, err := Write(ctx, o, n, "s", input(t, "hello", pipe), m, now)
			if err != nil || lo != 2 || seg.Size != 7 || m.Bytes() != 5 {
				t.Fatalf("%v pipe %v: Write to a new segment = %v, %d, %v; want 7 bytes at 2", n, pipe, seg, lo, err)
			}
			if c := content(t, n); c != "\x00\x00hello" {
				t.Errorf("%v: segment holds %q", n, c)
			}
			// Into the existing one: the rest of the window cleared, or not.
			if _, _, err := Write(ctx, &Options{}, n, "s", input(t, "ab", pipe), m, now); err != nil {
				t.Fatal(err)
			}
			if c := content(t, n); c != "ab\x00\x00\x00\x00\x00" {
				t.Errorf("%v: after a cleared write, %q", n, c)
			}
			if _, _, err := Write(ctx, &Options{Offset: 3, NoClear: true}, n, "s", input(t, "X", pipe), m, now); err != nil {
				t.Fatal(err)
			}
			if c := content(t, n); c != "ab\x00X\x00\x00\x00" {
				t.Errorf("%v: after --no-clear, %q", n, c)
			}
			// Too large: nothing written.
			_, _, err = Write(ctx, &Options{Offset: 5}, n, "s", input(t, "long input", pipe), m, now)
			if err == nil || !strings.Contains(err.Error(), "input is larger than the 2-byte window (at offset 5); nothing written") {
				t.Errorf("%v: too large = %v", n, err)
			}
			if c := content(t, n); c != "ab\x00X\x00\x00\x00" {
				t.Errorf("%v: a refused write changed the segment to %q", n, c)
			}
			var oe *OpenError
			if _, _, err := Write(ctx, &Options{Excl: true}, n, "s", input(t, "x", pipe), m, now); !errors.As(err, &oe) || !errors.Is(err, shm.ErrExist) {
				t.Errorf("%v: -x on an existing segment = %v; want an OpenError of ErrExist", n, err)
			}
			if _, _, err := Write(ctx, &Options{Size: 99, SizeSet: true}, n, "s", input(t, "x", pipe), m, now); err == nil || !strings.Contains(err.Error(), "segment is 7 bytes, not 99") {
				t.Errorf("%v: -s contradicting = %v", n, err)
			}
		}
	}
}

func TestWriteUndoesItsSegment(t *testing.T) {
	for _, n := range names(t) {
		// Input that says its size but cannot be read (a file open for
		// writing only): the read fails after the segment was made.
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, _, err = Write(context.Background(), &Options{Mode: 0o600}, n, "s", int(f.Fd()), meter.New("", nil, false), now)
		if err == nil || !strings.Contains(err.Error(), "standard input") {
			t.Fatalf("%v: Write from an unreadable input = %v; want a read error", n, err)
		}
		if shm.Exists(n) {
			t.Errorf("%v: the segment a failed write made is still there (%v)", n, err)
		}
	}
}

func TestOpenRead(t *testing.T) {
	for _, n := range names(t) {
		missing := errors.New("missing")
		o := &Options{Offset: 1, Length: 2, LengthSet: true, Mode: 0o600}
		if _, _, _, err := OpenRead(o, n, "s", false, func() error { return missing }); err != missing {
			t.Errorf("%v: OpenRead of an absent segment = %v; want missing's error", n, err)
		}
		seg, lo, hi, err := OpenRead(o, n, "s", true, nil)
		if err != nil || seg.Size != DefaultCreateSize || lo != 1 || hi != 3 {
			t.Fatalf("%v: OpenRead -c = %v, %d, %d, %v", n, seg, lo, hi, err)
		}
		seg.Close()
		o.Offset = DefaultCreateSize
		if _, _, _, err := OpenRead(o, n, "s", false, nil); err == nil || !strings.Contains(err.Error(), "runs past the end") {
			t.Errorf("%v: a window past the end = %v", n, err)
		}
	}
}
