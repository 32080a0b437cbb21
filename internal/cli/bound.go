package cli

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/ipcats/ipcats/internal/meter"
)

// Bound is -t as SPEC words it: it bounds every wait, not the run. The
// context it returns ends once m has counted nothing new (bytes or
// messages) for d: while waiting for an object or a peer, for data, or
// for room. Its Err is then context.DeadlineExceeded, as for a deadline,
// and its Deadline is the end of the current wait, so code below it
// needs no notion of idleness. A run that keeps moving is never cut.
// Without d set, the context only adds a cancel.
func Bound(ctx context.Context, d Duration, m *meter.Meter) (context.Context, context.CancelFunc) {
	if !d.Set {
		return context.WithCancel(ctx)
	}
	inner, cancel := context.WithCancelCause(ctx)
	b := &bound{Context: inner, d: d.D}
	b.last.Store(time.Now().UnixNano())
	go b.watch(m, cancel)
	return b, func() { cancel(context.Canceled) }
}

// Bound is the package Bound for the tools that spell -t as cli.Wait.
func (w *Wait) Bound(ctx context.Context, m *meter.Meter) (context.Context, context.CancelFunc) {
	return Bound(ctx, w.Timeout, m)
}

type bound struct {
	context.Context
	d       time.Duration
	last    atomic.Int64 // when progress was last seen, Unix ns
	expired atomic.Bool
}

func (b *bound) Err() error {
	err := b.Context.Err()
	if err != nil && b.expired.Load() {
		return context.DeadlineExceeded
	}
	return err
}

func (b *bound) Deadline() (time.Time, bool) {
	return time.Unix(0, b.last.Load()).Add(b.d), true
}

// watch looks at m a few times per d (at most every 100 ms) and ends
// the context once nothing moved for d.
func (b *bound) watch(m *meter.Meter, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(min(max(b.d/10, time.Millisecond), 100*time.Millisecond))
	defer tick.Stop()
	moved := m.Bytes() + m.Msgs()
	for {
		select {
		case <-b.Context.Done():
			return
		case now := <-tick.C:
			if n := m.Bytes() + m.Msgs(); n != moved {
				moved = n
				b.last.Store(now.UnixNano())
			} else if now.UnixNano()-b.last.Load() >= int64(b.d) {
				b.expired.Store(true)
				cancel(context.DeadlineExceeded)
				return
			}
		}
	}
}

// Ended applies SPEC's rule to a run under a Bound context that ended
// with err: stopped by -t, it exits 0 if m moved anything and 3 if not
// (Timeout: "timed out WHAT"). Any other end passes through.
func Ended(ctx context.Context, err error, m *meter.Meter, object, what string) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if m.Moved() {
			return nil
		}
		return Timeout(object, what)
	}
	return err
}
