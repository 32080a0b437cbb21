package relay

import (
	"context"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/meter"
)

// Spool gathers src into an anonymous memory file (memfd_create) and
// returns it rewound, with the number of bytes gathered. It stops after
// limit bytes when limit >= 0: a caller that must know whether input fits
// its object before touching the object passes room+1. From a pipe the
// bytes are spliced, never copied through this process, so memory stays
// flat however much is gathered.
func Spool(ctx context.Context, src int, limit int64, m *meter.Meter) (*os.File, int64, error) {
	fd, err := unix.MemfdCreate("ipcats-spool", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, 0, err
	}
	f := os.NewFile(uintptr(fd), "spool")
	c := &copier{ctx: ctx, dst: fd, src: src, m: m}
	defer c.close()
	want := func() int {
		if limit < 0 {
			return BufSize
		}
		return int(min(int64(BufSize), limit-c.n))
	}
	spliced := KindOf(src) == Pipe
	var buf []byte
	for limit < 0 || c.n < limit {
		var n int
		if spliced {
			var n64 int64
			n64, err = unix.Splice(src, nil, fd, nil, want(), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			n = int(n64)
			if err == unix.EINVAL && c.n == 0 {
				spliced = false
				continue
			}
		} else {
			if buf == nil {
				buf = make([]byte, BufSize)
			}
			n, err = unix.Read(src, buf[:want()])
			if n > 0 {
				if werr := WriteAll(ctx, fd, buf[:n]); werr != nil {
					f.Close()
					return nil, c.n, &WriteError{werr}
				}
			}
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := c.wait(src, unix.POLLIN); err != nil {
				f.Close()
				return nil, c.n, err
			}
			continue
		case err != nil:
			f.Close()
			return nil, c.n, c.sideError(err)
		case n == 0:
			limit = c.n // end of input
			continue
		}
		c.moved(n)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, c.n, nil
}
