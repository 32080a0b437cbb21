package cli

import "context"

// RemoveAfter is --rm riding along -r or -w: the object goes once the
// transfer is done, also when a signal ended it (SPEC: clean up, then
// exit 128+N), and also when a second signal or the stop watchdog ends
// the process before the run returns (it is an env cleanup). A run that
// failed keeps the object, so that nothing is destroyed unread. Use:
//
//	defer env.RemoveAfter(ctx, remove)(&err)
//
// where err is the run's named result; a failed removal becomes the
// run's error when the run itself succeeded.
func (e *Env) RemoveAfter(ctx context.Context, remove func() error) func(*error) {
	var rmErr error
	rm := e.Cleanup(func() { rmErr = remove() })
	return func(err *error) {
		if *err == nil || ctx.Err() != nil {
			rm()
			if *err == nil {
				*err = rmErr
			}
		}
	}
}
