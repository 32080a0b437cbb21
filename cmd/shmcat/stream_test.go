package main

import (
	"errors"
	"testing"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
)

func TestCheckStream(t *testing.T) {
	size := func(n int64) ipcname.Size { return ipcname.Size{N: n, Set: true} }
	tests := []struct {
		act  cli.Action
		o    options
		fail bool
	}{
		{cli.ActRead, options{}, false},
		{cli.ActRead, options{Stream: true}, false},
		{cli.ActWrite, options{Stream: true, Size: size(64 << 10)}, false},
		{cli.ActStat, options{Stream: true}, false},
		{cli.ActRead, options{Stream: true, Object: cli.Object{Wait: cli.Wait{Nonblock: true}}}, false},
		{cli.ActWrite, options{Stream: true, Object: cli.Object{Wait: cli.Wait{Nonblock: true}}}, true},
		{cli.ActWrite, options{Stream: true, Size: size(5000)}, true},
		{cli.ActWrite, options{Stream: true, Size: size(2048)}, true},
		{cli.ActRead, options{Stream: true, Follow: true}, true},
		{cli.ActRead, options{Stream: true, All: true}, true},
		{cli.ActWrite, options{Stream: true, Offset: size(1)}, true},
		{cli.ActList, options{Stream: true}, true},
		{cli.ActRemove, options{Stream: true}, true},
	}
	for _, tt := range tests {
		err := checkStream(tt.act, &tt.o)
		var u *cli.UsageError
		if got := errors.As(err, &u); got != tt.fail || (err != nil && !got) {
			t.Errorf("checkStream(%v, %+v) = %v; want a usage error: %v", tt.act, tt.o, err, tt.fail)
		}
	}
}
