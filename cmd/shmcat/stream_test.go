package main

import (
	"errors"
	"testing"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/ring"
)

func TestState(t *testing.T) {
	tests := []struct {
		h    ring.Header
		want string
	}{
		{ring.Header{}, "idle"},
		{ring.Header{ReaderPID: 7}, "waiting for a writer"},
		{ring.Header{WriterPID: 7}, "waiting for a reader"},
		{ring.Header{WriterPID: 7, ReaderPID: 8}, "streaming"},
		{ring.Header{Flags: ring.FlagEOF}, "ended; waiting for a reader to drain it"},
		{ring.Header{Flags: ring.FlagEOF, ReaderPID: 8}, "ended; the reader is draining it"},
		{ring.Header{Flags: ring.FlagWriterAbort}, "writer stopped early; waiting for a reader to drain it"},
		{ring.Header{Flags: ring.FlagEOF | ring.FlagDone}, "finished"},
		{ring.Header{Flags: ring.FlagEOF | ring.FlagDone, WriterPID: 7}, "waiting for a reader"},
		{ring.Header{Flags: ring.FlagReaderClosed, WriterPID: 7}, "closed by its reader"},
	}
	for _, tt := range tests {
		if got := state(tt.h); got != tt.want {
			t.Errorf("state(%+v) = %q; want %q", tt.h, got, tt.want)
		}
	}
}

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
		{cli.ActRead, options{Stream: true, Wait: cli.Wait{Nonblock: true}}, false},
		{cli.ActWrite, options{Stream: true, Wait: cli.Wait{Nonblock: true}}, true},
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
