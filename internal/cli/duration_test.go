package cli

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true}, {"1.5", 1500 * time.Millisecond, true}, {"0", 0, true},
		{"1.5s", 1500 * time.Millisecond, true}, {"500ms", 500 * time.Millisecond, true}, {"1m", time.Minute, true},
		{"", 0, false}, {"-1", 0, false}, {"-1s", 0, false}, {"soon", 0, false}, {"NaN", 0, false}, {"1e300", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"2", "1.5s", "500ms", "-1", "1e300", "inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v; want non-negative", s, d)
		}
	})
}
