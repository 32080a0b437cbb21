package window

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
)

// A Look returns the window's content now: a copy the caller owns, taken
// under fault.Guard if it comes from a mapping. again asks for another
// look at once (the object changed size between two calls).
type Look func() (cur []byte, again bool, err error)

// Follow prints the content look returns, now and each time it changes,
// like tail -f, looking every interval; once (-n) stops after the first
// look. An empty version prints nothing, as tail -f prints nothing for an
// empty file; a version not ending in a newline gets one. It returns nil
// when once or ctx's deadline (-t) ends the run; the caller tells
// "printed nothing" by m. ctx should come from cli.WatchOutput, so that a
// reader of standard output that goes ends the run at once (exit 141),
// not at the next change.
func Follow(ctx context.Context, out int, every time.Duration, once bool, m *meter.Meter, look Look) error {
	var prev []byte
	for first := true; ; {
		cur, again, err := look()
		if err != nil {
			return err
		}
		if again {
			continue
		}
		// (A stop signal may have cut the look or the comparison short:
		// then nothing is printed, and the wait below ends the run.)
		if (first || !equalBy(ctx, cur, prev)) && len(cur) > 0 && ctx.Err() == nil {
			n, err := emitLine(ctx, out, cur)
			m.Add(n)
			switch {
			case err == nil:
			case errors.Is(err, context.DeadlineExceeded):
				return nil // -t ran out while the output was blocked
			case errors.Is(err, context.Canceled):
				return cli.OutputGone(ctx, err)
			default:
				return cli.Output(err)
			}
		}
		prev, first = cur, false
		if once {
			return nil
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil
			}
			return cli.OutputGone(ctx, ctx.Err())
		case <-t.C:
		}
	}
}

// emitLine writes a version, with a newline after it if it has none.
// A version up to lineMax goes out with its newline in one write, so that
// a stop signal never falls between the two (a reader would see the
// version without its end); a larger one takes two.
func emitLine(ctx context.Context, out int, cur []byte) (int, error) {
	if cur[len(cur)-1] == '\n' {
		return relay.Write(ctx, out, cur)
	}
	if len(cur) < lineMax {
		return relay.Write(ctx, out, append(cur[:len(cur):len(cur)], '\n'))
	}
	n, err := relay.Write(ctx, out, cur)
	if err == nil {
		var k int
		k, err = relay.Write(ctx, out, []byte{'\n'})
		n += k
	}
	return n, err
}

// lineMax is the largest version emitLine copies to add its newline.
const lineMax = 64 << 10

// by is the step in which a window is compared and copied, checking for
// a stop signal in between: one memmove of a 50 MB window, faulting its
// pages in, held a SIGTERM for seconds.
const by = 1 << 20

// equalBy is bytes.Equal by steps; it gives up (true) once ctx is done.
func equalBy(ctx context.Context, a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a) && ctx.Err() == nil; i += by {
		j := min(i+by, len(a))
		if !bytes.Equal(a[i:j], b[i:j]) {
			return false
		}
	}
	return true
}

// CopyBy copies src into buf (reused when large enough) by steps, and
// stops early once ctx is done: a Look's copy of a large mapping.
func CopyBy(ctx context.Context, buf, src []byte) []byte {
	if cap(buf) < len(src) {
		buf = make([]byte, 0, len(src))
	}
	buf = buf[:0]
	for i := 0; i < len(src) && ctx.Err() == nil; i += by {
		buf = append(buf, src[i:min(i+by, len(src))]...)
	}
	return buf
}
