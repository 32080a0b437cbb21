package shm

import (
	"errors"
	"testing"
)

func TestSpaceError(t *testing.T) {
	tests := []struct {
		e    SpaceError
		want string
	}{
		{SpaceError{}, "no space left in /dev/shm"},
		{SpaceError{What: "2.0 MiB", Size: 1 << 20, Free: 4096}, "no space left in /dev/shm for 2.0 MiB (a 1.0 MiB tmpfs, 4.0 KiB free)"},
		{SpaceError{What: "a 4.0 MiB ring", Size: 1 << 30}, "no space left in /dev/shm for a 4.0 MiB ring (a 1.0 GiB tmpfs, 0 B free)"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("SpaceError%+v.Error() = %q; want %q", tt.e, got, tt.want)
		}
		if !errors.Is(&tt.e, ErrNoSpace) {
			t.Errorf("errors.Is(SpaceError%+v, ErrNoSpace) = false", tt.e)
		}
	}
}
