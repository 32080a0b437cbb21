package main

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/sock"
)

func TestListenErrHint(t *testing.T) {
	for _, tc := range []struct {
		a    sock.Addr
		want string
	}{
		{sock.Addr{Family: unix.AF_UNIX, Type: unix.SOCK_STREAM, Path: "dir/x.sock"}, "write and search permission on dir"},
		{sock.Addr{Family: unix.AF_INET, Type: unix.SOCK_STREAM, Port: 80}, "ports below 1024 need root"},
	} {
		got := listenErr(tc.a, unix.EACCES).Error()
		if !strings.Contains(got, tc.want) {
			t.Errorf("listenErr(%v, EACCES) = %q; want it to contain %q", tc.a, got, tc.want)
		}
	}
}

func TestConnectHintEACCES(t *testing.T) {
	dir := t.TempDir()
	a := sock.Addr{Family: unix.AF_UNIX, Type: unix.SOCK_STREAM, Path: dir + "/x.sock"}
	if got, want := connectHint(a, unix.EACCES), "write permission on the socket file"; !strings.Contains(got, want) {
		t.Errorf("connectHint(%q, EACCES) = %q; want it to contain %q", a.Path, got, want)
	}
}
