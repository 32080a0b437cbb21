package scripttest

import (
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/sockdiag"
)

// sockcat's script commands: ports are picked free at test time, never
// fixed, and listeners are awaited through /proc/net (not by connecting,
// which would use up a listener that serves one peer).
func init() {
	Register("freeport", freePort)
	Register("waitport", waitPort)
	Register("waitsock", waitSock)
	RegisterCondition("ipv6", func() bool {
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return false
		}
		defer unix.Close(fd)
		return unix.Bind(fd, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}) == nil
	})
}

// FreePort returns a loopback port that is free for both TCP and UDP now.
func FreePort() (int, error) {
	for {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return 0, err
		}
		err = unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		sa, _ := unix.Getsockname(fd)
		unix.Close(fd)
		if err != nil {
			return 0, err
		}
		port := sa.(*unix.SockaddrInet4).Port
		ufd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return 0, err
		}
		err = unix.Bind(ufd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port})
		unix.Close(ufd)
		if err == nil {
			return port, nil
		}
	}
}

// freeport VAR...: set each VAR to a distinct free loopback port.
func freePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: freeport VAR...")
	}
	seen := map[int]bool{}
	for _, v := range args {
		p, err := FreePort()
		ts.Check(err)
		for seen[p] {
			p, err = FreePort()
			ts.Check(err)
		}
		seen[p] = true
		ts.Setenv(v, strconv.Itoa(p))
	}
}

// waitport [-u] PORT [DURATION]: wait until something listens on PORT
// (TCP) or is bound to it (UDP with -u), on any local address.
func waitPort(ts *testscript.TestScript, neg bool, args []string) {
	udp := len(args) > 0 && args[0] == "-u"
	if udp {
		args = args[1:]
	}
	poll(ts, neg, args, "waitport", func(p string) bool {
		socks, err := procfs.Sockets()
		ts.Check(err)
		for _, s := range socks {
			want := s.State == "LISTEN" && strings.HasPrefix(s.Proto, "tcp")
			if udp {
				want = strings.HasPrefix(s.Proto, "udp")
			}
			if want && strings.HasSuffix(s.Local, ":"+p) {
				return true
			}
		}
		return false
	})
}

// waitsock NAME [DURATION]: wait until a Unix socket named NAME (a path,
// as given to bind or made absolute, or an @abstract name) is bound, and
// for stream and seqpacket sockets, listening. A path is matched by the
// inode of its file, not by name: scripts running side by side bind the
// same relative names (s.sock) in their own directories.
func waitSock(ts *testscript.TestScript, neg bool, args []string) {
	poll(ts, neg, args, "waitsock", func(n string) bool {
		var file uint64
		if !strings.HasPrefix(n, "@") {
			var st unix.Stat_t
			if unix.Stat(ts.MkAbs(n), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
				return false
			}
			file = st.Ino
		}
		// A stream or seqpacket socket counts once it listens: between
		// bind and listen a connect is refused.
		if socks, err := sockdiag.Unix(); err == nil {
			for _, s := range socks {
				if (file != 0 && s.FileIno == file || file == 0 && s.Local == n) &&
					(s.Proto == "unixgram" || s.State == "LISTEN") {
					return true
				}
			}
			return false
		}
		socks, err := procfs.Sockets() // no sock_diag: /proc/net/unix, by name
		ts.Check(err)
		for _, s := range socks {
			if strings.HasPrefix(s.Proto, "unix") && (s.Local == n || s.Local == ts.MkAbs(n)) &&
				(s.Proto == "unixgram" || s.State == "LISTEN") {
				return true
			}
		}
		return false
	})
}
