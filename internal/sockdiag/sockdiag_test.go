package sockdiag

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// inode is the socket inode of fd.
func inode(t *testing.T, fd int) uint64 {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func find(socks []Socket, ino uint64) (Socket, bool) {
	for _, s := range socks {
		if s.Inode == ino {
			return s, true
		}
	}
	return Socket{}, false
}

// A socket pair is two connected Unix sockets, each the other's peer, with
// the bytes written to one queued on the other, owned by this user.
func TestUnixPair(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if _, err := unix.Write(fds[0], []byte("hello")); err != nil {
		t.Fatal(err)
	}
	a, b := inode(t, fds[0]), inode(t, fds[1])
	socks, err := Unix()
	if err != nil {
		t.Skip("netlink sock_diag refused:", err)
	}
	sa, ok1 := find(socks, a)
	sb, ok2 := find(socks, b)
	if !ok1 || !ok2 {
		t.Fatalf("Unix() lacks the pair %d, %d", a, b)
	}
	if sa.Peer != b || sb.Peer != a || sa.Proto != "unix" || sa.State != "ESTABLISHED" {
		t.Errorf("pair: %+v, %+v; want each the other's peer, unix ESTABLISHED", sa, sb)
	}
	if sb.RecvQ != 5 {
		t.Errorf("reader's RecvQ = %d; want 5", sb.RecvQ)
	}
	if sa.UID != os.Geteuid() && sa.UID != -1 {
		t.Errorf("UID = %d; want %d (or -1 before Linux 5.3)", sa.UID, os.Geteuid())
	}
}

// A listener shows its abstract name, backlog and the client waiting.
func TestUnixListener(t *testing.T) {
	name := "@ipcats-sockdiag-" + strconv.Itoa(os.Getpid())
	l, err := net.Listen("unix", name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("unix", name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	socks, err := Unix()
	if err != nil {
		t.Skip("netlink sock_diag refused:", err)
	}
	for _, s := range socks {
		if s.Local == name && s.Listening() {
			if s.RecvQ != 1 || s.SendQ == 0 {
				t.Errorf("listener %+v; want RecvQ 1 (one pending), SendQ the backlog", s)
			}
			return
		}
	}
	t.Errorf("Unix() lacks the listener %s", name)
}

// Two listeners bound to the same relative name in two directories are
// told apart by the inode of their files.
func TestUnixFileIno(t *testing.T) {
	var want [2]uint64
	for i := range want {
		path := filepath.Join(t.TempDir(), "s.sock")
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		want[i] = st.Ino
	}
	socks, err := Unix()
	if err != nil {
		t.Skip("netlink sock_diag refused:", err)
	}
	for i, ino := range want {
		n := 0
		for _, s := range socks {
			if s.FileIno == ino && strings.HasSuffix(s.Local, "/s.sock") && s.Listening() {
				n++
			}
		}
		if n != 1 {
			t.Errorf("listener %d (file inode %d) found %d times; want 1", i, ino, n)
		}
	}
}

// A TCP connection over loopback shows both ends, each the other's remote.
func TestInetTCP(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	socks, err := Inet(unix.IPPROTO_TCP, unix.AF_INET)
	if err != nil {
		t.Skip("netlink sock_diag refused:", err)
	}
	var listening, client bool
	for _, s := range socks {
		switch {
		case s.Local == l.Addr().String() && s.Listening():
			listening = s.Remote == "" && s.Proto == "tcp"
		case s.Local == c.LocalAddr().String():
			client = s.Remote == l.Addr().String() && s.State == "ESTABLISHED" && s.UID == os.Geteuid()
		}
	}
	if !listening || !client {
		t.Errorf("Inet(TCP, v4): listener ok %v, client ok %v in %+v", listening, client, socks)
	}
}

// A UDP socket bound over IPv6 loopback is UNCONN, its address in brackets.
func TestInetUDP6(t *testing.T) {
	p, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6:", err)
	}
	defer p.Close()
	socks, err := Inet(unix.IPPROTO_UDP, unix.AF_INET6)
	if err != nil {
		t.Skip("netlink sock_diag refused:", err)
	}
	for _, s := range socks {
		if s.Local == p.LocalAddr().String() {
			if s.Proto != "udp6" || s.State != "UNCONN" || s.Remote != "" {
				t.Errorf("%+v; want udp6 UNCONN, no remote", s)
			}
			return
		}
	}
	t.Errorf("Inet(UDP, v6) lacks %s", p.LocalAddr())
}

// A reply the kernel cut short, or an error it returned, ends the dump.
func TestAnswers(t *testing.T) {
	msg := func(typ uint16, payload []byte) []byte {
		b := make([]byte, unix.SizeofNlMsghdr+len(payload))
		ne.PutUint32(b, uint32(len(b)))
		ne.PutUint16(b[4:], typ)
		copy(b[unix.SizeofNlMsghdr:], payload)
		return b
	}
	errno := make([]byte, 4)
	e := -int32(unix.EACCES)
	ne.PutUint32(errno, uint32(e))
	n := 0
	count := func([]byte) error { n++; return nil }
	for _, tc := range []struct {
		b        []byte
		done, ok bool
		calls    int
	}{
		{append(msg(unix.SOCK_DIAG_BY_FAMILY, nil), msg(unix.NLMSG_DONE, nil)...), true, true, 1},
		{msg(unix.SOCK_DIAG_BY_FAMILY, nil), false, true, 1},
		{msg(unix.NLMSG_ERROR, errno), true, false, 0},
		{msg(unix.SOCK_DIAG_BY_FAMILY, nil)[:unix.SizeofNlMsghdr-1], false, true, 0},
		{append(msg(unix.SOCK_DIAG_BY_FAMILY, nil), 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), true, false, 1},
	} {
		n = 0
		done, err := answers(tc.b, count)
		if done != tc.done || (err == nil) != tc.ok || n != tc.calls {
			t.Errorf("answers(% x) = %v, %v after %d calls; want %v, ok %v, %d calls", tc.b, done, err, n, tc.done, tc.ok, tc.calls)
		}
	}
}
