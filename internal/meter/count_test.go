package meter

import "testing"

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		unit string
		want string
	}{
		{1, "message", "1 message"},
		{0, "message", "0 messages"},
		{2, "byte", "2 bytes"},
		{1, "process", "1 process"},
		{3, "process", "3 processes"},
	} {
		if got := Count(tt.n, tt.unit); got != tt.want {
			t.Errorf("Count(%d, %q) = %q; want %q", tt.n, tt.unit, got, tt.want)
		}
	}
}
