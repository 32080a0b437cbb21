package mq

import (
	"context"
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/ipcname"
)

func TestRising(t *testing.T) {
	for _, c := range []struct {
		h    []int64
		want bool
	}{
		{[]int64{1}, false},
		{[]int64{1, 2}, true},
		{[]int64{1, 3, 2}, false}, // fell since the last sample
		{[]int64{1, 3, 3}, true},  // higher than the oldest, held
		{[]int64{3, 3, 3}, false},
		{[]int64{-1, 2}, false}, // unknown depth
	} {
		if got := rising(c.h); got != c.want {
			t.Errorf("rising(%v) = %v", c.h, got)
		}
	}
}

func TestFlow(t *testing.T) {
	p := depth{msgs: 4, stime: 10, rtime: 10}
	in, out := flow(depth{msgs: 6, stime: 11, rtime: 10}, p, true, 0.5)
	if in.Value != 4.0 || out.Value != 0.0 || in.Text != "4.0/s" {
		t.Errorf("rise: in %+v out %+v", in, out)
	}
	in, out = flow(depth{msgs: 3, stime: 11, rtime: 11}, p, true, 1)
	if in.Value != 0.0 || out.Value != 1.0 || !strings.HasPrefix(out.Text, ">=") {
		t.Errorf("both ways: in %+v out %+v", in, out)
	}
	if in, _ = flow(depth{msgs: 3}, p, false, 1); in.Value != nil {
		t.Errorf("first sample: in %+v", in)
	}
}

// TestWatcherFlags samples a queue of each family twice, a message sent
// in between and nobody else to receive it: flagged at the second sample.
func TestWatcherFlags(t *testing.T) {
	families(t, func(t *testing.T, n ipcname.Name) {
		q, _ := mustOpen(t, &Params{}, n, true, false, true)
		w := &Watcher{}
		if _, err := w.Stat(n, "queue"); err != nil {
			t.Fatal(err)
		}
		if err := q.Send(Wait{Ctx: context.Background(), Nonblock: true}, []byte("x"), 1, 1); err != nil {
			t.Fatal(err)
		}
		r, err := w.Stat(n, "queue")
		if err != nil {
			t.Fatal(err)
		}
		if r.Get("messages") != int64(1) || r.Get("flag") != Filling || r.Get("receiver") != nil {
			t.Errorf("second sample: %v", r)
		}
	})
}
