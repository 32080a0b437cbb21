package cli

import "time"

// Idle holds --idle, the second half of SPEC's stale rule: an orphaned
// object is stale only when nothing has touched it (attach, detach, send,
// receive, change, by the kernel's own times) for this long. --idle 0
// drops the test.
type Idle struct {
	Idle Duration `long:"idle" value-name:"DURATION" default:"1h" description:"With --stale, an orphaned object is stale only after DURATION with no use (0: at once)"`
}

// IdleFor is how long ago the latest of the given times was (zero times
// are ignored; none at all counts as idle forever).
func IdleFor(now time.Time, times ...time.Time) time.Duration {
	var last time.Time
	for _, t := range times {
		if t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	if d := now.Sub(last); d > 0 {
		return d
	}
	return 0
}

// Stale tells whether an object last used at the given times has been
// idle for at least --idle.
func (i *Idle) Stale(now time.Time, times ...time.Time) bool {
	return IdleFor(now, times...) >= i.Idle.D
}
