package sock

import (
	"context"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseLocal(t *testing.T) {
	tests := []struct {
		addr, port string
		want       Local
		ok         bool
	}{
		{"", "", Local{}, true},
		{"127.0.0.2", "", Local{IP: netip.MustParseAddr("127.0.0.2")}, true},
		{"[::1]", "4000", Local{IP: netip.MustParseAddr("::1"), Port: 4000}, true},
		{"", "4000", Local{Port: 4000}, true},
		{"localhost", "", Local{}, false},
		{"", "0", Local{}, false},
		{"", "70000", Local{}, false},
	}
	for _, tt := range tests {
		got, err := ParseLocal(tt.addr, tt.port, false)
		if (err == nil) != tt.ok || err == nil && got != tt.want {
			t.Errorf("ParseLocal(%q, %q) = %+v, %v; want %+v, ok=%v", tt.addr, tt.port, got, err, tt.want, tt.ok)
		}
	}
}

// A client with a Local connects from that address and port, with the
// buffer sizes asked for; a listener gives its sizes to what it accepts.
func TestConnectFromLocal(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	l, err := Listen(Addr{Family: unix.AF_INET, Type: unix.SOCK_STREAM, IP: lo}, ListenOptions{RcvBuf: 8192})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(false)
	src := Local{IP: netip.MustParseAddr("127.0.0.2"), SndBuf: 10000}
	fd, a, err := Connect(context.Background(), []Addr{l.Addr}, Patience{Local: src})
	if err != nil {
		t.Fatalf("Connect from %v: %v", src, err)
	}
	defer unix.Close(fd)
	me, err := LocalAddr(fd, a.Type)
	if err != nil || me.IP != src.IP || me.Port == 0 {
		t.Errorf("connected from %v, %v; want 127.0.0.2 and some port", me, err)
	}
	if _, snd := Buffers(fd); snd != 20000 {
		t.Errorf("SO_SNDBUF = %d; want 20000 (the kernel doubles 10000)", snd)
	}
	cfd, peer, err := l.Accept(context.Background(), Patience{})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(cfd)
	if peer.IP != src.IP || peer.Port != me.Port {
		t.Errorf("the listener saw %v; want %v", peer, me)
	}
	if rcv, _ := Buffers(cfd); rcv != 16384 {
		t.Errorf("accepted SO_RCVBUF = %d; want 16384 (the kernel doubles 8192)", rcv)
	}
	if _, _, err := Connect(context.Background(), []Addr{l.Addr}, Patience{Local: Local{IP: netip.MustParseAddr("::1")}}); err != ErrSourceFamily {
		t.Errorf("Connect to IPv4 from ::1 = %v; want ErrSourceFamily", err)
	}
}
