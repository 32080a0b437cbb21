package sock

import (
	"context"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// A listener on :: takes IPv4 clients unless V6Only; with V6Only it
// refuses them.
func TestListenDualStack(t *testing.T) {
	probe, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Skip("no IPv6:", err)
	}
	unix.Close(probe)
	for _, v6only := range []bool{false, true} {
		a := Addr{Family: unix.AF_INET6, Type: unix.SOCK_STREAM, IP: netip.IPv6Unspecified()}
		l, err := Listen(a, ListenOptions{V6Only: v6only})
		if err != nil {
			t.Fatalf("Listen(%v, V6Only=%v): %v", a, v6only, err)
		}
		if l.Addr.Port == 0 {
			t.Errorf("Listen on port 0: Addr.Port is still 0, want the kernel's pick")
		}
		to := Addr{Family: unix.AF_INET, Type: unix.SOCK_STREAM, IP: netip.MustParseAddr("127.0.0.1"), Port: l.Addr.Port}
		fd, _, err := Connect(context.Background(), []Addr{to}, Patience{})
		if err == nil {
			unix.Close(fd)
		}
		if v6only && err == nil || !v6only && err != nil {
			t.Errorf("V6Only=%v: an IPv4 connect to %v: %v", v6only, to, err)
		}
		l.Close(false)
	}
}
