package cli

import (
	"testing"
	"time"
)

func TestIdleStale(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	hour := Idle{Idle: Duration{D: time.Hour}}
	zero := Idle{}
	tests := []struct {
		idle  Idle
		times []time.Time
		want  bool
	}{
		{hour, []time.Time{now.Add(-2 * time.Hour)}, true},
		{hour, []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Minute)}, false},
		{hour, []time.Time{now.Add(-time.Hour)}, true},
		{hour, nil, true},
		{hour, []time.Time{{}, now.Add(-time.Second)}, false},
		{zero, []time.Time{now}, true},
		{zero, []time.Time{now.Add(time.Minute)}, true}, // a clock step ahead is not negative idleness
	}
	for _, tt := range tests {
		if got := tt.idle.Stale(now, tt.times...); got != tt.want {
			t.Errorf("Idle{%v}.Stale(%v) = %v; want %v", tt.idle.Idle.D, tt.times, got, tt.want)
		}
	}
}
