package ring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/shm"
)

func TestJoin(t *testing.T) {
	name, err := ipcname.Parse(fmt.Sprintf("/ipcats-ring-join-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shm.Remove(name) })
	ctx := context.Background()
	seg, r, err := Join(ctx, name, MinCapacity, 0o600, true) // creates it
	if err != nil {
		t.Fatal(err)
	}
	if r.Capacity() != MinCapacity {
		t.Errorf("capacity %d; want %d", r.Capacity(), MinCapacity)
	}
	seg.Close()
	seg2, r2, err := Join(ctx, name, DefaultCapacity, 0o600, false) // joins it as it is
	if err != nil {
		t.Fatal(err)
	}
	seg2.Close()
	if r2.Capacity() != MinCapacity {
		t.Errorf("joined capacity %d; want the existing %d", r2.Capacity(), MinCapacity)
	}
	var oe *OpenError
	if _, _, err := Join(ctx, name, MinCapacity, 0o600, true); !errors.As(err, &oe) || !errors.Is(err, shm.ErrExist) {
		t.Errorf("exclusive Join of an existing ring = %v; want an OpenError of ErrExist", err)
	}
	var ie *InitError
	shm.Remove(name)
	if _, _, err := Join(ctx, name, 1000, 0o600, true); !errors.As(err, &ie) || shm.Exists(name) {
		t.Errorf("Join with a bad capacity = %v (exists %v); want an InitError and nothing left", err, shm.Exists(name))
	}
}

func TestJoinWaitsForAHeader(t *testing.T) {
	name, err := ipcname.Parse(fmt.Sprintf("/ipcats-ring-zero-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shm.Remove(name) })
	seg, err := shm.Create(name, Size(MinCapacity), 0o600) // all zeros: no header
	if err != nil {
		t.Fatal(err)
	}
	seg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := Join(ctx, name, MinCapacity, 0o600, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Join of a headerless segment under a short deadline = %v; want the deadline", err)
	}
}
