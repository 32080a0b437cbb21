// Package sock holds sockcat's sockets and everything it asks the kernel
// about them: parsing "HOST PORT", Unix paths and @abstract names and
// resolving them; binding, listening, accepting and connecting with the
// raw socket calls (so that relay can splice and half-close), bounded by
// a Patience; SO_PEERCRED; running a command on a connection (Exec); the
// stale-socket-file probe and search (Stale, FindStale); and the socket
// table with its holders (List).
package sock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The families and socket types an Addr holds.
const (
	Unix      = unix.AF_UNIX
	IPv4      = unix.AF_INET
	IPv6      = unix.AF_INET6
	Stream    = unix.SOCK_STREAM
	Datagram  = unix.SOCK_DGRAM
	Seqpacket = unix.SOCK_SEQPACKET
)

// The socket calls' errors a caller words a hint for.
var (
	ErrRefused      error = unix.ECONNREFUSED
	ErrAddrInUse    error = unix.EADDRINUSE
	ErrAddrNotAvail error = unix.EADDRNOTAVAIL
	ErrAccess       error = unix.EACCES
	ErrNoEnt        error = unix.ENOENT
	ErrMsgSize      error = unix.EMSGSIZE
)

// Addr is one socket address with the socket type it is used with.
type Addr struct {
	Family int // unix.AF_INET, unix.AF_INET6 or unix.AF_UNIX
	Type   int // unix.SOCK_STREAM, unix.SOCK_DGRAM or unix.SOCK_SEQPACKET
	IP     netip.Addr
	Port   int
	Path   string // Unix: a file path, or "@name" in the abstract namespace
}

// maxPath is the room in sockaddr_un's sun_path, less the NUL a path needs.
const maxPath = 107

// Abstract reports whether a Unix address is in the abstract namespace.
func (a Addr) Abstract() bool { return a.Family == unix.AF_UNIX && strings.HasPrefix(a.Path, "@") }

// Proto names the protocol as ss(8) and /proc/net do: tcp, udp, unix,
// unixgram, unixpacket.
func (a Addr) Proto() string {
	switch {
	case a.Family == unix.AF_UNIX && a.Type == unix.SOCK_DGRAM:
		return "unixgram"
	case a.Family == unix.AF_UNIX && a.Type == unix.SOCK_SEQPACKET:
		return "unixpacket"
	case a.Family == unix.AF_UNIX:
		return "unix"
	case a.Type == unix.SOCK_DGRAM:
		return "udp"
	}
	return "tcp"
}

// String renders the address for messages: "127.0.0.1:5555",
// "[::1]:5555", "/run/app.sock", "@name".
func (a Addr) String() string {
	if a.Family == unix.AF_UNIX {
		if a.Path == "" {
			return "unnamed socket"
		}
		return a.Path
	}
	return netip.AddrPortFrom(a.IP, uint16(a.Port)).String()
}

// MaxMsg is the largest message one send carries: 64 KiB on a Unix
// socket (sockcat's own limit), and what a UDP datagram holds.
func (a Addr) MaxMsg() int {
	switch a.Family {
	case unix.AF_UNIX:
		return 64 << 10
	case unix.AF_INET6:
		return 65527
	}
	return 65507
}

// Sockaddr converts the address for the socket calls. x/sys/unix maps a
// leading '@' to the abstract namespace's leading NUL.
func (a Addr) Sockaddr() unix.Sockaddr {
	switch a.Family {
	case unix.AF_UNIX:
		return &unix.SockaddrUnix{Name: a.Path}
	case unix.AF_INET:
		return &unix.SockaddrInet4{Addr: a.IP.As4(), Port: a.Port}
	}
	return &unix.SockaddrInet6{Addr: a.IP.As16(), Port: a.Port}
}

// FromSockaddr converts what accept(2) and recvfrom(2) return.
func FromSockaddr(sa unix.Sockaddr, typ int) Addr {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return Addr{Family: unix.AF_INET, Type: typ, IP: netip.AddrFrom4(s.Addr), Port: s.Port}
	case *unix.SockaddrInet6:
		return Addr{Family: unix.AF_INET6, Type: typ, IP: netip.AddrFrom16(s.Addr).Unmap(), Port: s.Port}
	case *unix.SockaddrUnix:
		if s.Name == "@" {
			// x/sys/unix spells an unnamed socket (no sun_path) "@".
			return Addr{Family: unix.AF_UNIX, Type: typ}
		}
		return Addr{Family: unix.AF_UNIX, Type: typ, Path: s.Name}
	}
	return Addr{Family: unix.AF_UNIX, Type: typ}
}

// ParsePort parses a port: a number 1..65535, or (unless numeric) a service
// name from /etc/services.
func ParsePort(s string, udp, numeric bool) (int, error) {
	if n, err := strconv.ParseUint(s, 10, 16); err == nil && n > 0 && !strings.HasPrefix(s, "+") {
		return int(n), nil
	}
	if s == "" || numeric || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return 0, fmt.Errorf("bad port %q: want a number 1..65535", s)
	}
	proto := "tcp"
	if udp {
		proto = "udp"
	}
	n, err := net.LookupPort(proto, s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad port %q: not a number 1..65535 nor a %s service in /etc/services", s, proto)
	}
	return n, nil
}

// ParseUnix checks a Unix socket path or @abstract name.
func ParseUnix(path string, typ int) (Addr, error) {
	switch {
	case path == "":
		return Addr{}, errors.New("empty Unix socket path")
	case path == "@":
		return Addr{}, errors.New("bad abstract name \"@\": give a name after the @")
	case path[0] == '@' && len(path)-1 > maxPath:
		// An abstract name takes all 108 bytes of sun_path: the leading
		// NUL that marks it (our @), and 107 of name with no NUL after.
		return Addr{}, fmt.Errorf("abstract name %.20q... is %d bytes after the @; the limit is %d (sun_path in unix(7), less its leading NUL)", path, len(path)-1, maxPath)
	case path[0] != '@' && len(path) > maxPath:
		return Addr{}, fmt.Errorf("socket path %.20q... is %d bytes; a Unix socket's limit is %d (sun_path in unix(7))", path, len(path), maxPath)
	case strings.IndexByte(path, 0) >= 0:
		return Addr{}, fmt.Errorf("bad Unix socket path %q: it holds a NUL byte", path)
	}
	return Addr{Family: unix.AF_UNIX, Type: typ, Path: path}, nil
}

// ErrNumeric says a host name was given where -n allows only addresses.
var ErrNumeric = errors.New("not a numeric address")

// Resolve turns HOST PORT into the addresses to try, in resolver order.
// family is 4, 6 or 0 (either). An empty host is the wildcard address a
// listener binds: 0.0.0.0 with 4, else :: (which Listen makes take IPv4
// clients too, unless ListenOptions.V6Only). numeric forbids DNS.
func Resolve(ctx context.Context, host string, port, typ, family int, numeric bool) ([]Addr, error) {
	mk := func(ip netip.Addr) Addr {
		f := unix.AF_INET6
		if ip.Is4() {
			f = unix.AF_INET
		}
		return Addr{Family: f, Type: typ, IP: ip, Port: port}
	}
	if host == "" {
		if family == 4 {
			return []Addr{mk(netip.IPv4Unspecified())}, nil
		}
		return []Addr{mk(netip.IPv6Unspecified())}, nil
	}
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		ip = ip.Unmap()
		if family == 4 && !ip.Is4() || family == 6 && ip.Is4() {
			return nil, fmt.Errorf("%s is not an IPv%d address", host, family)
		}
		return []Addr{mk(ip)}, nil
	}
	if numeric {
		return nil, fmt.Errorf("%q: %w", host, ErrNumeric)
	}
	nw := map[int]string{0: "ip", 4: "ip4", 6: "ip6"}[family]
	ips, err := net.DefaultResolver.LookupNetIP(ctx, nw, host)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, fmt.Errorf("%s: no such host", host)
		}
		return nil, fmt.Errorf("%s: cannot resolve: %v", host, err)
	}
	var out []Addr
	for _, ip := range ips {
		out = append(out, mk(ip.Unmap()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	return out, nil
}
