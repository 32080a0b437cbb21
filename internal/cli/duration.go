package cli

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Duration is a -t value: a plain number of seconds ("2", "1.5") or a Go
// duration ("500ms", "1m30s"). Set tells whether the flag was given.
type Duration struct {
	D   time.Duration
	Set bool
}

// ParseDuration parses the -t grammar.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || math.IsNaN(f) || f > float64(math.MaxInt64)/float64(time.Second) {
			return 0, fmt.Errorf("bad duration %q: want a non-negative number of seconds", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want seconds (2, 1.5) or a unit (500ms, 1m)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("bad duration %q: negative", s)
	}
	return d, nil
}

// UnmarshalFlag implements go-flags' Unmarshaler.
func (d *Duration) UnmarshalFlag(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	d.D, d.Set = v, true
	return nil
}

// String renders the duration as the user would type it.
func (d Duration) String() string { return d.D.String() }
