package main

import (
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/sock"
)

func TestListenErrHint(t *testing.T) {
	for _, tc := range []struct {
		a    sock.Addr
		want string
	}{
		{sock.Addr{Family: sock.Unix, Type: sock.Stream, Path: "dir/x.sock"}, "write and search permission on dir"},
		{sock.Addr{Family: sock.IPv4, Type: sock.Stream, Port: 80}, "ports below 1024 need root"},
	} {
		got := listenErr(tc.a, sock.ErrAccess).Error()
		if !strings.Contains(got, tc.want) {
			t.Errorf("listenErr(%v, EACCES) = %q; want it to contain %q", tc.a, got, tc.want)
		}
	}
}

func TestConnectHintEACCES(t *testing.T) {
	dir := t.TempDir()
	a := sock.Addr{Family: sock.Unix, Type: sock.Stream, Path: dir + "/x.sock"}
	if got, want := connectHint(a, sock.ErrAccess), "write permission on the socket file"; !strings.Contains(got, want) {
		t.Errorf("connectHint(%q, EACCES) = %q; want it to contain %q", a.Path, got, want)
	}
}
