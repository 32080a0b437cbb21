package sem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/ipcname"
)

// A System V set made here shows its members' values, this process as
// their last operator (so it is not orphaned), and goes with Remove.
func TestSysV(t *testing.T) {
	id, err := Get(0, 2, unix.IPC_CREAT|0o600) // IPC_PRIVATE
	if err != nil {
		t.Skipf("semget: %v", err)
	}
	defer RemoveID(id)
	if err := SetVal(id, 1, 7); err != nil {
		t.Fatal(err)
	}
	i, err := StatName(ipcname.Name{Kind: ipcname.ID, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if i.Nsems != 2 || !i.Readable || len(i.Members) != 2 || i.Members[1].Value != 7 || i.Members[1].PID != os.Getpid() {
		t.Fatalf("StatName: %+v; want 2 members, the second 7 set by %d", i, os.Getpid())
	}
	if i.Orphaned() {
		t.Error("a set this live process operated on is orphaned")
	}
	all, err := List()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range all {
		found = found || !l.POSIX && l.ID == id && l.Members[1].Value == 7 && l.Otime.IsZero() && !l.Ctime.IsZero()
	}
	if !found {
		t.Errorf("List has no set %d with value 7, no semop and a change time", id)
	}
	if err := Remove(ipcname.Name{Kind: ipcname.ID, ID: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := StatName(ipcname.Name{Kind: ipcname.ID, ID: id}); !errors.Is(err, ErrNotExist) {
		t.Errorf("StatName after Remove: %v; want ErrNotExist", err)
	}
}

// A POSIX semaphore's file, laid out as glibc's sem_t, gives its value and
// waiters; held open it is not orphaned; Remove unlinks it.
func TestPOSIX(t *testing.T) {
	name := fmt.Sprintf("/ipcats-semtest-%d", os.Getpid())
	b := make([]byte, semSize)
	binary.NativeEndian.PutUint64(b, 2<<32|5) // value 5, 2 waiters
	if err := os.WriteFile(Path(name), b, 0o600); err != nil {
		t.Skipf("no %s: %v", Path(name), err)
	}
	defer os.Remove(Path(name))
	i, err := StatName(ipcname.Name{Kind: ipcname.POSIX, Path: name})
	if err != nil {
		t.Fatal(err)
	}
	if i.Value != 5 || i.Waiters != 2 || len(i.Holders) != 0 || !i.Orphaned() {
		t.Fatalf("StatName: %+v; want value 5, 2 waiters, orphaned", i)
	}
	f, err := os.Open(Path(name))
	if err != nil {
		t.Fatal(err)
	}
	i, err = StatName(ipcname.Name{Kind: ipcname.POSIX, Path: name})
	f.Close()
	if err != nil || len(i.Holders) != 1 || i.Holders[0].PID != os.Getpid() || i.Orphaned() {
		t.Fatalf("StatName held: %+v, %v; want held by %d", i, err, os.Getpid())
	}
	if err := Remove(ipcname.Name{Kind: ipcname.POSIX, Path: name}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(Path(name)); !os.IsNotExist(err) {
		t.Errorf("after Remove: %v; want it gone", err)
	}
}
