package fifo

import (
	"context"
	"errors"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
)

// ErrIdle is the cause of a run that -t stopped.
var ErrIdle = errors.New("idle")

// Watch bounds a run by -t, if given: the context ends when m has
// counted nothing new for the -t duration, while waiting for a peer or in the middle of
// a transfer, with ErrIdle as its cause. Nothing here is FIFO-specific:
// it is the "-t of idle time" rule, waiting for one home in cli or meter.
func Watch(ctx context.Context, t cli.Duration, m *meter.Meter) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	if t.Set {
		go idle(ctx, cancel, t.D, m)
	}
	return ctx, func() { cancel(nil) }
}

// Idled tells whether -t stopped the run of ctx.
func Idled(ctx context.Context) bool { return errors.Is(context.Cause(ctx), ErrIdle) }

// idle cancels ctx with ErrIdle once m has counted nothing new for d.
func idle(ctx context.Context, cancel context.CancelCauseFunc, d time.Duration, m *meter.Meter) {
	last, at := m.Bytes(), time.Now()
	tick := time.NewTicker(min(max(d/10, time.Millisecond), 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if n := m.Bytes(); n != last {
				last, at = n, now
			} else if now.Sub(at) >= d {
				cancel(ErrIdle)
				return
			}
		}
	}
}
