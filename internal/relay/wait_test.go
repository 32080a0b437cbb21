package relay

import (
	"context"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A Waiter returns when the descriptor is ready, and at once when its
// context ends, also when no descriptor is left for its eventfd (it then
// polls in slices).
func TestWaiter(t *testing.T) {
	for _, starved := range []bool{false, true} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if starved {
			// The lowest free descriptor becomes the limit: nothing
			// more can be opened, an eventfd included.
			var old unix.Rlimit
			unix.Getrlimit(unix.RLIMIT_NOFILE, &old)
			free, err := unix.Dup(0)
			if err != nil {
				t.Fatal(err)
			}
			unix.Close(free)
			lim := old
			lim.Cur = uint64(free)
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
				t.Skip("cannot lower RLIMIT_NOFILE:", err)
			}
			defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
		}
		ctx, cancel := context.WithCancel(context.Background())
		wt := NewWaiter(ctx)
		time.AfterFunc(20*time.Millisecond, func() { w.Write([]byte{1}) })
		if err := wt.Wait(int(r.Fd()), unix.POLLIN); err != nil {
			t.Errorf("starved %v: Wait on a pipe written to = %v", starved, err)
		}
		var b [1]byte
		r.Read(b[:])
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		if err := wt.Wait(int(r.Fd()), unix.POLLIN); err != context.Canceled {
			t.Errorf("starved %v: Wait after cancel = %v, want Canceled", starved, err)
		}
		if d := time.Since(start); d > 20*time.Millisecond+2*sliceWait {
			t.Errorf("starved %v: the cancel took %v to be seen", starved, d)
		}
		if wt.sliced != starved {
			t.Errorf("starved %v: sliced = %v", starved, wt.sliced)
		}
		wt.Close()
		r.Close()
		w.Close()
	}
}
