package procfs

import (
	"net"
	"os"
	"testing"
)

func TestParseInet(t *testing.T) {
	tests := []struct {
		proto, line string
		want        Socket
		ok          bool
	}{
		{"tcp", "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0",
			Socket{Proto: "tcp", State: "LISTEN", Local: "127.0.0.1:8080", UID: 1000, Inode: 12345}, true},
		{"tcp", "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 777 1",
			Socket{Proto: "tcp", State: "ESTABLISHED", Local: "127.0.0.1:8080", Remote: "127.0.0.1:40000", Inode: 777}, true},
		{"tcp6", "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1",
			Socket{Proto: "tcp6", State: "LISTEN", Local: "[::1]:22", Inode: 99}, true},
		{"udp", "  5: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 55 2",
			Socket{Proto: "udp", State: "UNCONN", Local: "0.0.0.0:68", Inode: 55}, true},
		{"tcp", "garbage", Socket{}, false},
		{"tcp", "   0: 0100007F:ZZZZ 00000000:0000 0A 0:0 00:0 0 0 0 1", Socket{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseInet(tt.proto, tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseInet(%q, %q) = %+v, %v; want %+v, %v", tt.proto, tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseUnix(t *testing.T) {
	tests := []struct {
		line string
		want Socket
		ok   bool
	}{
		{"0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/my app.sock",
			Socket{Proto: "unix", State: "LISTEN", Local: "/run/my app.sock", UID: -1, Inode: 4242}, true},
		{"0000000000000000: 00000003 00000000 00000000 0001 03 31 @abstract",
			Socket{Proto: "unix", State: "ESTABLISHED", Local: "@abstract", UID: -1, Inode: 31}, true},
		{"0000000000000000: 00000002 00000000 00000000 0002 01 7",
			Socket{Proto: "unixgram", State: "UNCONN", UID: -1, Inode: 7}, true},
		{"0000000000000000: 00000002 00000000 00000000 0005 01 8 /s",
			Socket{Proto: "unixpacket", State: "UNCONN", Local: "/s", UID: -1, Inode: 8}, true},
		{"short line", Socket{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseUnix(tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseUnix(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseNet(f *testing.F) {
	f.Add("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1")
	f.Add("0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/x")
	f.Fuzz(func(t *testing.T, line string) {
		ParseInet("tcp", line)
		ParseUnix(line)
	})
}

// A listener this test opens is in the table, owned by this process.
func TestSocketsLive(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	socks, err := Sockets()
	if err != nil {
		t.Fatal(err)
	}
	owners, _ := SocketOwners()
	for _, s := range socks {
		if s.Proto == "tcp" && s.State == "LISTEN" && s.Local == l.Addr().String() {
			for _, pid := range owners[s.Inode] {
				if pid == os.Getpid() {
					return
				}
			}
			t.Fatalf("Sockets() found %s but SocketOwners() = %v; want pid %d", s.Local, owners[s.Inode], os.Getpid())
		}
	}
	t.Errorf("Sockets() has no tcp LISTEN %s", l.Addr())
}
