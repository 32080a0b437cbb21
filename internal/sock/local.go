package sock

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Local is what a socket is given before it connects or listens: a
// client's own address (nc's -s ADDR and -p PORT, bound before connect)
// and the buffer sizes (nc's -I and -O: SO_RCVBUF, SO_SNDBUF; 0 leaves
// the kernel's default).
type Local struct {
	IP             netip.Addr // the zero Addr: any
	Port           int        // 0: any
	RcvBuf, SndBuf int
}

// ParseLocal reads -s ADDR (a numeric address, as a source must be one
// of this host's) and -p PORT; either may be "".
func ParseLocal(addr, port string, udp bool) (Local, error) {
	var l Local
	if addr != "" {
		ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"))
		if err != nil {
			return l, fmt.Errorf("-s %q: want a numeric address of this host (127.0.0.2, ::1)", addr)
		}
		l.IP = ip.Unmap()
	}
	if port != "" {
		p, err := ParsePort(port, udp, false)
		if err != nil {
			return l, fmt.Errorf("-p: %w", err)
		}
		l.Port = p
	}
	return l, nil
}

// binds reports whether a client socket is bound before it connects.
func (l Local) binds() bool { return l.IP.IsValid() || l.Port != 0 }

// Fits reports whether a, an address to connect to, is of the source
// address's family (any address fits a source without one).
func (l Local) Fits(a Addr) bool {
	return !l.IP.IsValid() || l.IP.Is4() == (a.Family == unix.AF_INET)
}

// ErrSourceFamily says that no address to connect to is of the family of
// the source address.
var ErrSourceFamily = fmt.Errorf("the source address is of another family")

// setBuffers applies -I and -O to fd.
func (l Local) setBuffers(fd int) error {
	if l.RcvBuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, l.RcvBuf); err != nil {
			return os.NewSyscallError("setsockopt SO_RCVBUF", err)
		}
	}
	if l.SndBuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, l.SndBuf); err != nil {
			return os.NewSyscallError("setsockopt SO_SNDBUF", err)
		}
	}
	return nil
}

// prepare gives a new client socket for a its buffers and, with -s or
// -p, its own address (SO_REUSEADDR, so that a port of a connection in
// TIME_WAIT can be had again, as nc does).
func (l Local) prepare(fd int, a Addr) error {
	if err := l.setBuffers(fd); err != nil {
		return err
	}
	if !l.binds() || a.Family == unix.AF_UNIX {
		return nil
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	src := Addr{Family: a.Family, Type: a.Type, IP: l.IP, Port: l.Port}
	if !src.IP.IsValid() && a.Family == unix.AF_INET {
		src.IP = netip.IPv4Unspecified()
	} else if !src.IP.IsValid() {
		src.IP = netip.IPv6Unspecified()
	}
	if err := unix.Bind(fd, src.Sockaddr()); err != nil {
		return &SourceError{Addr: src, Err: os.NewSyscallError("bind", err)}
	}
	return nil
}

// SourceError is a source address (-s, -p) that could not be bound.
type SourceError struct {
	Addr Addr
	Err  error
}

func (e *SourceError) Error() string { return "source " + e.Addr.String() + ": " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// Buffers returns fd's receive and send buffer sizes, as the kernel has
// them (it doubles what SO_RCVBUF and SO_SNDBUF are given, within
// net.core.rmem_max and wmem_max).
func Buffers(fd int) (rcv, snd int) {
	rcv, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	snd, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	return rcv, snd
}

// LocalAddr is the address fd is bound to (getsockname(2)).
func LocalAddr(fd, typ int) (Addr, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return Addr{}, os.NewSyscallError("getsockname", err)
	}
	return FromSockaddr(sa, typ), nil
}
