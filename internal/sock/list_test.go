package sock

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sockdiag"
)

func TestHolders(t *testing.T) {
	me := os.Geteuid()
	for _, tc := range []struct {
		uid      int
		hidden   bool
		wantText string
	}{
		{me, false, "none"},
		{me, true, "none"},
		{me + 1, false, "none"},
		{me + 1, true, "not visible"},
		{-1, true, "not visible"},
	} {
		f := holders(nil, tc.uid, tc.hidden)
		if f.Text != tc.wantText {
			t.Errorf("holders(nil, %d, %v).Text = %q; want %q", tc.uid, tc.hidden, f.Text, tc.wantText)
		}
		b, err := json.Marshal(f.Value)
		if err != nil || string(b) != "[]" {
			t.Errorf("holders(nil, %d, %v).Value as JSON = %s, %v; want []", tc.uid, tc.hidden, b, err)
		}
	}
}

// A long holder list is cut to the first few and "+N more"; JSON has all.
func TestHoldersMore(t *testing.T) {
	pids := []int{os.Getpid(), 1, 2, 3, 4, 5}
	f := holders(pids, os.Geteuid(), false)
	if !strings.HasSuffix(f.Text, ", +3 more") || strings.Count(f.Text, "(") != holderLimit {
		t.Errorf("holders(6 pids).Text = %q; want %d holders and +3 more", f.Text, holderLimit)
	}
	if n := len(f.Value.([]report.Record)); n != len(pids) {
		t.Errorf("holders(6 pids) has %d records; want all %d", n, len(pids))
	}
}

// The filters ask for the kinds ss would list.
func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		f    ListFilter
		want string
	}{
		{ListFilter{}, "unix tcp tcp6 udp udp6"},
		{ListFilter{Unix: true}, "unix"},
		{ListFilter{TCP: true, V4: true}, "tcp"},
		{ListFilter{V6: true}, "tcp6 udp6"},
		{ListFilter{Unix: true, UDP: true}, "unix udp udp6"},
	} {
		var got []string
		for _, k := range tc.f.kinds() {
			got = append(got, k.proto)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%+v.kinds() = %v; want %s", tc.f, got, tc.want)
		}
	}
}

// listening makes a Unix stream listener on the abstract name
// @ipcats-TAG-PID, closed when the test ends, and returns the name.
func listening(t *testing.T, tag string) string {
	t.Helper()
	name := "@ipcats-" + tag + "-" + strconv.Itoa(os.Getpid())
	a, _ := ParseUnix(name, unix.SOCK_STREAM)
	l, err := Listen(a, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(false) })
	return name
}

// When netlink is refused, /proc/net stands in: the same listener is
// found, with no queues, and the refusal is kept to be told.
func TestListFallback(t *testing.T) {
	name := listening(t, "list-fallback")
	refused := func(kind) ([]sockdiag.Socket, error) { return nil, unix.EACCES }
	socks, fallback, err := gather(ListFilter{Unix: true}, refused)
	if err != nil || fallback != unix.EACCES {
		t.Fatalf("gather(refused) = %v, %v; want the refusal kept and no error", fallback, err)
	}
	for _, s := range socks {
		if s.Local == name {
			if s.queues || s.State != "LISTEN" || s.Proto != "unix" {
				t.Errorf("from /proc/net: %+v; want a unix LISTEN row with no queues", s)
			}
			r := s.record(nil, holders(nil, s.UID, false))
			if r.Get("recv-q") != nil || r.Get("owner") != nil {
				t.Errorf("record %v; want null queues and owner", r)
			}
			return
		}
	}
	t.Errorf("gather(refused) lacks %s", name)
}
