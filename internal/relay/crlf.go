package relay

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// CRLF is nc -C's input: a pipe whose read end carries what in holds,
// each line feed not already after a carriage return sent as "\r\n".
// A goroutine converts as input comes; Close stops it.
type CRLF struct {
	FD     int // the read end, for the relay's In
	w      int
	cancel context.CancelFunc
	done   chan struct{}
	err    error // input's read error, once done
}

// NewCRLF starts converting in. Its end of file is in's; a read error of
// in ends it too, and Err reports it after Close.
func NewCRLF(ctx context.Context, in int) (*CRLF, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("pipe2", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &CRLF{FD: p[0], w: p[1], cancel: cancel, done: make(chan struct{})}
	go c.run(ctx, in)
	return c, nil
}

func (c *CRLF) run(ctx context.Context, in int) {
	defer close(c.done)
	defer unix.Close(c.w)
	r := &fdReader{ctx: ctx, fd: in, waitFirst: KindOf(in) != Regular}
	defer r.Close()
	buf := make([]byte, 64<<10)
	out := make([]byte, 0, 128<<10)
	var last byte
	for {
		n, err := r.Read(buf)
		if err == io.EOF {
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				c.err = err
			}
			return
		}
		out = AppendCRLF(out[:0], buf[:n], last)
		last = buf[n-1]
		if WriteAll(ctx, c.w, out) != nil {
			return // the relay stopped reading
		}
	}
}

// AppendCRLF appends b to dst with each "\n" that does not follow a "\r"
// as "\r\n"; prev is the byte before b (0 at the start).
func AppendCRLF(dst, b []byte, prev byte) []byte {
	for _, c := range b {
		if c == '\n' && prev != '\r' {
			dst = append(dst, '\r')
		}
		dst = append(dst, c)
		prev = c
	}
	return dst
}

// Close stops the conversion and closes the pipe.
func (c *CRLF) Close() {
	c.cancel()
	<-c.done
	unix.Close(c.FD)
}

// Err is standard input's read error, if one ended the conversion (valid
// after Close).
func (c *CRLF) Err() error { return c.err }
