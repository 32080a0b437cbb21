package sock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// UDPProbeWait is how long ProbeUDP waits for a refusal when the caller
// gives no time.
const UDPProbeWait = 200 * time.Millisecond

// ParsePortRange parses "LO-HI", a range of numeric ports for a scan
// (-z). ok is false when s is no range at all (one port, or a service
// name with a dash).
func ParsePortRange(s string) (lo, hi int, ok bool, err error) {
	l, h, found := strings.Cut(s, "-")
	if !found || l == "" || l[0] < '0' || l[0] > '9' {
		return 0, 0, false, nil
	}
	bad := fmt.Errorf("bad port range %q: want LO-HI, two numbers 1..65535 with LO <= HI", s)
	a, err1 := strconv.ParseUint(l, 10, 16)
	b, err2 := strconv.ParseUint(h, 10, 16)
	if err1 != nil || err2 != nil || a == 0 || a > b {
		return 0, 0, true, bad
	}
	return int(a), int(b), true, nil
}

// Closed reports whether a probe's error means only that nothing answers
// on the port: refused, reset, unreachable, no socket file, or no answer
// in time. -z says nothing of those without -v.
func Closed(err error) bool {
	return notYet(err) || errors.Is(err, unix.EHOSTUNREACH) || errors.Is(err, unix.ENETUNREACH) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrWouldBlock)
}

// ProbeUDP is -u -z for UDP: for each address in turn it sends one empty
// datagram from a connected socket and waits up to wait (0:
// UDPProbeWait) for the ICMP port unreachable that a closed port answers
// with (the kernel reports it as a refusal). Nothing refused: the port is
// taken as open (answered says whether a datagram came back; silence
// may also be a firewall dropping the probe). ErrRefused when every
// address refused.
func ProbeUDP(ctx context.Context, addrs []Addr, wait time.Duration, local Local) (a Addr, answered bool, err error) {
	if wait <= 0 {
		wait = UDPProbeWait
	}
	err = ErrSourceFamily
	for _, a = range addrs {
		if !local.Fits(a) {
			continue
		}
		answered, err = probeUDP(ctx, a, wait, local)
		if err == nil || !errors.Is(err, ErrRefused) || ctx.Err() != nil {
			return a, answered, err
		}
	}
	return a, false, err
}

// errUDPRefused is a closed UDP port's answer to a probe: ErrRefused,
// named for what came back.
var errUDPRefused error = udpRefused{}

type udpRefused struct{}

func (udpRefused) Error() string        { return "refused: ICMP port unreachable" }
func (udpRefused) Is(target error) bool { return target == ErrRefused }

func probeUDP(ctx context.Context, a Addr, wait time.Duration, local Local) (bool, error) {
	fd, err := unix.Socket(a.Family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return false, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	if err := local.prepare(fd, a); err != nil {
		return false, err
	}
	if err := unix.Connect(fd, a.Sockaddr()); err != nil {
		return false, os.NewSyscallError("connect", err)
	}
	if err := unix.Send(fd, nil, unix.MSG_NOSIGNAL); err != nil {
		return false, os.NewSyscallError("send", err)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := Wait(wctx, fd, unix.POLLIN); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return false, err
		}
		// No refusal in time: open, or filtered.
	}
	var b [1]byte
	_, _, err = unix.Recvfrom(fd, b[:], unix.MSG_DONTWAIT)
	switch err {
	case nil:
		return true, nil
	case unix.EAGAIN:
		return false, nil
	case unix.ECONNREFUSED:
		return false, errUDPRefused
	}
	return false, os.NewSyscallError("recv", err)
}
