package coproc

import (
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcats/ipcats/internal/meter"
)

// pump runs argv between an input pipe carrying in and an output pipe,
// and returns what came out and how it ended.
func pump(t *testing.T, ctx context.Context, argv []string, in string, grace time.Duration, stop func(*Proc)) (string, Outcome) {
	t.Helper()
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	toR, toW, _ := os.Pipe()
	fromR, fromW, _ := os.Pipe()
	defer inR.Close()
	defer outR.Close()
	p, err := Start(argv, toR, fromW, nil)
	toR.Close()
	fromW.Close()
	if err != nil {
		t.Fatal(err)
	}
	go func() { io.WriteString(inW, in); inW.Close() }()
	got := make(chan string)
	go func() { b, _ := io.ReadAll(outR); got <- string(b) }()
	sent, recv := meter.New("t", nil, false), meter.New("t", nil, false)
	o := p.Pump(ctx, Join{In: int(inR.Fd()), Out: int(outW.Fd()), ToW: toW, FromR: fromR, Sent: sent, Received: recv, Grace: grace}, stop)
	outW.Close()
	out := <-got
	if recv.Bytes() != int64(len(out)) {
		t.Errorf("received meter %d, output %d bytes", recv.Bytes(), len(out))
	}
	return out, o
}

func TestPump(t *testing.T) {
	in := strings.Repeat("line\n", 50000)
	out, o := pump(t, context.Background(), []string{"tr", "a-z", "A-Z"}, in, time.Second, func(*Proc) {})
	if out != strings.ToUpper(in) || o.Status != 0 || o.Abandoned || o.FeedErr != nil || o.DrainErr != nil || o.WaitErr != nil {
		t.Errorf("tr: %d bytes out, outcome %+v", len(out), o)
	}
	// A command that stops reading early ends the feed quietly, as in
	// `yes | head -1`; its status is its own.
	out, o = pump(t, context.Background(), []string{"sh", "-c", "head -c 3; exit 5"}, in, time.Second, func(*Proc) {})
	if out != "lin" || o.Status != 5 || o.FeedErr != nil {
		t.Errorf("head: %q, outcome %+v", out, o)
	}
}

// A stop passes the signal on; a command that ignores it is killed after
// the grace and its output abandoned.
func TestPumpStop(t *testing.T) {
	for _, c := range []struct {
		name      string
		argv      []string
		abandoned bool
	}{
		{"ends on the signal", []string{"sh", "-c", "echo up; exec sleep 30"}, false},
		{"ignores it", []string{"sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.1; done"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			start := time.Now()
			out, o := pump(t, ctx, c.argv, "", 200*time.Millisecond, func(p *Proc) { p.Signal(syscall.SIGTERM) })
			if out != "up\n" || o.Abandoned != c.abandoned {
				t.Errorf("out %q, outcome %+v; want abandoned %v", out, o, c.abandoned)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v after the stop", d)
			}
			if !c.abandoned && o.Sig != syscall.SIGTERM {
				t.Errorf("signal %v, want SIGTERM", o.Sig)
			}
		})
	}
}
