package sock

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in         string
		lo, hi     int
		ok, failed bool
	}{
		{"20-30", 20, 30, true, false}, {"7-7", 7, 7, true, false},
		{"80", 0, 0, false, false}, {"x-y", 0, 0, false, false},
		{"30-20", 0, 0, true, true}, {"0-5", 0, 0, true, true},
		{"1-65536", 0, 0, true, true}, {"1-", 0, 0, true, true},
	}
	for _, tt := range tests {
		lo, hi, ok, err := ParsePortRange(tt.in)
		if lo != tt.lo || hi != tt.hi || ok != tt.ok || (err != nil) != tt.failed {
			t.Errorf("ParsePortRange(%q) = %d, %d, %v, %v; want %d, %d, %v, failed=%v", tt.in, lo, hi, ok, err, tt.lo, tt.hi, tt.ok, tt.failed)
		}
	}
}

// A bound UDP port does not refuse the probe's empty datagram (and the
// socket there receives it); a closed one does.
func TestProbeUDP(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	a := Addr{Family: unix.AF_INET, Type: unix.SOCK_DGRAM, IP: netip.MustParseAddr("127.0.0.1"), Port: port}
	if _, answered, err := ProbeUDP(context.Background(), []Addr{a}, 0, Local{}); err != nil || answered {
		t.Errorf("ProbeUDP(bound %v) = answered %v, %v; want no answer, no error", a, answered, err)
	}
	var b [1]byte
	if n, _, err := unix.Recvfrom(fd, b[:], unix.MSG_DONTWAIT); n != 0 || err != nil {
		t.Errorf("the bound socket got %d bytes, %v; want the empty datagram", n, err)
	}
	unix.Close(fd)
	_, _, err = ProbeUDP(context.Background(), []Addr{a}, 0, Local{})
	if !errors.Is(err, ErrRefused) || !Closed(err) {
		t.Errorf("ProbeUDP(closed %v) = %v; want ErrRefused", a, err)
	}
}
