package cli

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// --rm after a transfer: removed after success and after a signal, kept
// after a failure, once only (the cleanup a second signal runs and the
// deferred call do not both remove), and a failed removal is the run's
// error only when the run succeeded.
func TestRemoveAfter(t *testing.T) {
	failed, gone := errors.New("transfer failed"), errors.New("removal failed")
	for _, c := range []struct {
		name      string
		runErr    error
		signalled bool
		rmErr     error
		removes   int
		want      error
	}{
		{"success", nil, false, nil, 1, nil},
		{"success, removal fails", nil, false, gone, 1, gone},
		{"failure keeps the object", failed, false, nil, 0, failed},
		{"signal removes", context.Canceled, true, nil, 1, context.Canceled},
		{"signal with another error removes", failed, true, gone, 1, failed},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := &Env{Tool: "t"}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			removes := 0
			done := env.RemoveAfter(ctx, func() error { removes++; return c.rmErr })
			if c.signalled {
				cancel()
				env.runCleanups() // a second signal got there first
			}
			err := c.runErr
			done(&err)
			if removes != c.removes || err != c.want {
				t.Errorf("removed %d times, err %v; want %d, %v", removes, err, c.removes, c.want)
			}
		})
	}
}

// WatchOutput cancels when the reader of the output pipe leaves, and
// not before; stop ends the watch without a cancel of its cause.
func TestWatchOutput(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, stop := WatchOutput(context.Background(), int(w.Fd()))
	defer stop()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled while the reader is there")
	case <-time.After(50 * time.Millisecond):
	}
	r.Close()
	select {
	case <-ctx.Done():
		if err := OutputGone(ctx, ctx.Err()); err != errStdoutClosed {
			t.Errorf("OutputGone = %v; want the quiet exit of a closed output", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no cancel 2 s after the reader left")
	}
	r2, w2, _ := os.Pipe()
	defer r2.Close()
	defer w2.Close()
	ctx2, stop2 := WatchOutput(context.Background(), int(w2.Fd()))
	stop2()
	if errors.Is(context.Cause(ctx2), errOutputGone) {
		t.Error("stop reported the output gone")
	}
}
