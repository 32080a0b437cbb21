package shm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/ipcats/ipcats/internal/ipcname"
)

// names returns a fresh System V key and POSIX name, removed after the test.
func names(t *testing.T) []ipcname.Name {
	key := ipcname.Name{Kind: ipcname.Key, Key: 0x1c000000 | rand.Uint32()&0xffffff}
	posix := ipcname.Name{Kind: ipcname.POSIX, Path: fmt.Sprintf("/ipcats-unit-%d-%x", os.Getpid(), rand.Uint32())}
	t.Cleanup(func() { Remove(key); Remove(posix) })
	return []ipcname.Name{key, posix}
}

func TestCreateOpenRemove(t *testing.T) {
	for _, n := range names(t) {
		if _, err := Open(n, false); !errors.Is(err, ErrNotExist) {
			t.Errorf("Open(%v) before Create = %v; want ErrNotExist", n, err)
		}
		s, err := Create(n, 100, 0o600)
		if err != nil {
			t.Fatalf("Create(%v) = %v", n, err)
		}
		copy(s.Mem, "hello")
		s.Close()
		if _, err := Create(n, 100, 0o600); !errors.Is(err, ErrExist) {
			t.Errorf("Create(%v) twice = %v; want ErrExist", n, err)
		}
		r, err := Open(n, false)
		if err != nil || r.Size != 100 || string(r.Mem[:5]) != "hello" {
			t.Fatalf("Open(%v) = %+v, %v; want 100 bytes starting hello", n, r, err)
		}
		r.Close()
		i, err := StatName(n)
		if err != nil || i.Size != 100 || i.Mode != 0o600 || i.POSIX != (n.Kind == ipcname.POSIX) {
			t.Errorf("StatName(%v) = %+v, %v; want size 100 mode 0600", n, i, err)
		}
		all, err := List()
		found := false
		for _, x := range all {
			found = found || (x.POSIX && x.Name == n.Path) || (!x.POSIX && x.Key == n.Key)
		}
		if err != nil || !found {
			t.Errorf("List() = %d objects, %v; want %v among them", len(all), err, n)
		}
		if err := Remove(n); err != nil {
			t.Errorf("Remove(%v) = %v", n, err)
		}
		if err := Remove(n); !errors.Is(err, ErrNotExist) {
			t.Errorf("Remove(%v) twice = %v; want ErrNotExist", n, err)
		}
	}
}

func TestRemoveRefusesNonObject(t *testing.T) {
	name := fmt.Sprintf("/ipcats-unit-dir-%d", os.Getpid())
	if err := os.Mkdir(Dir+name, 0o700); err != nil {
		t.Skip(err)
	}
	defer os.Remove(Dir + name)
	if err := Remove(ipcname.Name{Kind: ipcname.POSIX, Path: name}); err == nil {
		t.Errorf("Remove of a directory in %s = nil; want a refusal", Dir)
	}
}
