package window

import (
	"context"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/relay"

	"golang.org/x/sys/unix"
)

// ReadAt reads n bytes of the file open at fd (named path in errors) at
// off, fewer if the file is shorter now.
func ReadAt(fd int, path string, off, n int64) ([]byte, error) {
	buf := make([]byte, n)
	got := int64(0)
	for got < n {
		k, err := unix.Pread(fd, buf[got:], off+got)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, cli.Fail(path, err, "")
		case k == 0:
			return buf[:got], nil
		}
		got += int64(k)
	}
	return buf, nil
}

// SlurpMax bounds what Slurp reads of a file that says it is empty.
const SlurpMax = 64 << 20

// Slurp reads a file that reports size 0 (a /proc or /sys file) from its
// start to its end with pread(2).
func Slurp(fd int, path string) ([]byte, error) {
	buf := make([]byte, 0, 64<<10)
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= SlurpMax {
				return nil, cli.Failf(path, "", "says it is empty but holds more than %d bytes", SlurpMax)
			}
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		n, err := unix.Pread(fd, buf[len(buf):cap(buf)], int64(len(buf)))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, cli.Fail(path, err, "")
		case n == 0:
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// ReadSome reads what is available from fd into b, waiting for input in a
// way that a signal (ctx) can interrupt. Zero bytes and no error is the
// end of input.
func ReadSome(ctx context.Context, fd int, b []byte) (int, error) {
	w := relay.NewWaiter(ctx)
	defer w.Close()
	for {
		if err := w.Wait(fd, unix.POLLIN); err != nil {
			return 0, err
		}
		n, err := unix.Read(fd, b)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return 0, err
		}
		return n, nil
	}
}
