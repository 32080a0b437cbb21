package cli

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipcats/ipcats/internal/meter"
)

// -t bounds each wait: a run that keeps moving outlives it, and a stall
// ends it about d after the last move, with DeadlineExceeded.
func TestBoundIdle(t *testing.T) {
	m := meter.New("t", nil, false)
	d := Duration{D: 150 * time.Millisecond, Set: true}
	ctx, cancel := Bound(context.Background(), d, m)
	defer cancel()
	start := time.Now()
	for time.Since(start) < 600*time.Millisecond {
		time.Sleep(40 * time.Millisecond)
		m.AddMsg(0) // an empty message is progress too
		if ctx.Err() != nil {
			t.Fatalf("ended after %v although something moved every 40ms", time.Since(start))
		}
	}
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > d.D {
		t.Errorf("Deadline = %v, %v; want within %v from now", dl, ok, d.D)
	}
	moved := time.Now()
	<-ctx.Done()
	if got := time.Since(moved); got < 100*time.Millisecond || got > time.Second {
		t.Errorf("ended %v after the last move; want about %v", got, d.D)
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v, want DeadlineExceeded", ctx.Err())
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	if !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Errorf("a derived context's Err = %v, want DeadlineExceeded", child.Err())
	}
	if err := Ended(ctx, context.DeadlineExceeded, m, "q", "waiting for a message"); err != nil {
		t.Errorf("Ended after moving something = %v, want nil (exit 0)", err)
	}
}

func TestBoundNothingMoved(t *testing.T) {
	m := meter.New("t", nil, false)
	ctx, cancel := Bound(context.Background(), Duration{D: 20 * time.Millisecond, Set: true}, m)
	defer cancel()
	<-ctx.Done()
	err := Ended(ctx, ctx.Err(), m, "q", "waiting for a message")
	var e *Error
	if !errors.As(err, &e) || e.Code != ExitTimeout || err.Error() != "q: timed out waiting for a message" {
		t.Errorf("Ended = %v, want exit 3 'q: timed out waiting for a message'", err)
	}
}

// Without -t the context ends only by its cancel or its parent, with
// their error: a signal is never mistaken for -t.
func TestBoundUnset(t *testing.T) {
	m := meter.New("t", nil, false)
	parent, stopParent := context.WithCancel(context.Background())
	ctx, cancel := Bound(parent, Duration{}, m)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a deadline without -t")
	}
	stopParent()
	<-ctx.Done()
	if err := Ended(ctx, ctx.Err(), m, "q", "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Ended = %v, want the cancel passed through", err)
	}
	ctx2, cancel2 := Bound(context.Background(), Duration{D: time.Hour, Set: true}, m)
	cancel2()
	if !errors.Is(ctx2.Err(), context.Canceled) {
		t.Errorf("cancelled bound: Err = %v, want Canceled", ctx2.Err())
	}
}
