package complete

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/jessevdk/go-flags"
	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/sysvipc"
)

func items(cs []flags.Completion) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Item)
	}
	return out
}

func has(cs []flags.Completion, want string) bool {
	for _, c := range cs {
		if c.Item == want {
			return true
		}
	}
	return false
}

// Live objects are offered by the prefix typed, as the tools print them.
func TestLiveObjects(t *testing.T) {
	key := 0x1c000000 | uint32(os.Getpid()&0xffff)<<4 | 0xc
	id, err := sysvipc.MsgGet(key, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sysvipc.MsgRemove(id) })
	k := fmt.Sprintf("0x%08x", key)
	if got := Queue("").Complete(k[:7]); !has(got, k) {
		t.Errorf("Queue.Complete(%q) = %v; want %s", k[:7], items(got), k)
	}
	if got := Queue("").Complete("0xz"); len(got) != 0 {
		t.Errorf("Queue.Complete(0xz) = %v; want none", items(got))
	}

	name := fmt.Sprintf("ipcats-complete-%d", os.Getpid())
	if err := os.WriteFile("/dev/shm/"+name, nil, 0o600); err != nil {
		t.Skip("no /dev/shm:", err)
	}
	t.Cleanup(func() { os.Remove("/dev/shm/" + name) })
	if got := Segment("").Complete("/ipcats-complete-"); !has(got, "/"+name) {
		t.Errorf("Segment.Complete = %v; want /%s", items(got), name)
	}

	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := UnixSocket("").Complete(filepath.Dir(path)); !has(got, path) {
		t.Errorf("UnixSocket.Complete = %v; want %s", items(got), path)
	}
}

func TestOffer(t *testing.T) {
	got := items(offer("/a", []string{"/b", "/ab", "/aa"}, []string{"/ab", "x"}))
	if fmt.Sprint(got) != "[/aa /ab]" {
		t.Errorf("offer = %v; want sorted, once, by prefix", got)
	}
}
