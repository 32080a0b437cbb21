package cli

import (
	"context"
	"errors"
	"testing"
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
