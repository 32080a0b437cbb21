package relay

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSetPipeSize(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	tests := []struct {
		ask  int64
		want int // 0: an error
	}{
		{4096, 4096}, {100 << 10, 128 << 10}, {1, 4096}, {0, 0}, {-5, 0}, {1 << 40, 0},
	}
	for _, tt := range tests {
		got, err := SetPipeSize(p[1], tt.ask)
		if tt.want == 0 && err == nil || tt.want != 0 && got != tt.want {
			t.Errorf("SetPipeSize(%d) = %d, %v; want %d", tt.ask, got, err, tt.want)
		}
	}
	// Grow raises, never lowers.
	SetPipeSize(p[1], 4096)
	Grow(p[1], 256<<10)
	if got, _ := unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0); got != 256<<10 {
		t.Errorf("Grow(256K) left the pipe at %d; want %d", got, 256<<10)
	}
	Grow(p[1], 8192)
	if got, _ := unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0); got != 256<<10 {
		t.Errorf("Grow(8K) changed the pipe to %d; want it left at %d", got, 256<<10)
	}
}

func TestPipeSizeErrorText(t *testing.T) {
	tests := []struct {
		e    PipeSizeError
		want string
	}{
		{PipeSizeError{Size: 1 << 40, Err: unix.EPERM}, "over fs.pipe-max-size"},
		{PipeSizeError{Size: 4096, Err: unix.EPERM}, "fs.pipe-user-pages-hard"},
		{PipeSizeError{Size: 4096, Err: unix.EBUSY}, "smaller than the data the pipe holds now"},
		{PipeSizeError{Size: 4096, Err: unix.EBADF}, "not a pipe"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); !strings.Contains(got, tt.want) {
			t.Errorf("PipeSizeError{%d, %v}.Error() = %q; want it to contain %q", tt.e.Size, tt.e.Err, got, tt.want)
		}
	}
}
