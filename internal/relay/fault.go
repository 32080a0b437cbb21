package relay

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
)

// Fault is a Duplex's failed direction, divided the way a tool words it.
type Fault struct {
	Send  bool  // input to the socket; else the socket to output
	Write bool  // the destination's write failed; else the source's read
	Wait  bool  // neither: the relay's own wait failed (poll, no eventfd)
	Err   error // the error underneath
}

// FaultOf divides a Duplex's *PumpError; ok is false for any other error.
func FaultOf(err error) (f Fault, ok bool) {
	var pe *PumpError
	if !errors.As(err, &pe) {
		return Fault{}, false
	}
	f.Send = pe.Send
	var re *ReadError
	var we *WriteError
	switch {
	case errors.As(pe.Err, &we):
		f.Write = true
	case errors.As(pe.Err, &re):
	default:
		f.Wait, f.Err = true, pe.Err
		return f, true
	}
	f.Err = errors.Unwrap(pe.Err)
	if f.Err == nil {
		// A read that ended where it could not (the bounce pipe).
		f.Err = io.ErrUnexpectedEOF
	}
	if f.Send && !f.Write && (errors.Is(f.Err, unix.ECONNRESET) || errors.Is(f.Err, unix.EPIPE)) {
		// sendfile and splice cannot say which side failed: a reset is
		// the socket's, never a file's or a pipe's read.
		f.Write = true
	}
	return f, true
}
