package relay

import (
	"context"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// Tee is told each chunk a relay moved, when the tool records its traffic
// (-x, --dump): d is the direction, peer the datagram's sender or
// addressee (nil on a connection or a pipe), b the bytes, which Tee must
// not keep. A relay with a Tee copies through read(2) and write(2), so
// that every byte passes through this process: no splice(2), no
// sendfile(2). A nil Tee is a relay's fast path, unchanged.
type Tee func(d dump.Dir, peer Sockaddr, b []byte)

// record calls t, if there is one.
func (t Tee) record(d dump.Dir, peer Sockaddr, b []byte) {
	if t != nil && len(b) > 0 {
		t(d, peer, b)
	}
}

// teeBufSize is the largest chunk TeeCopy moves (and records) at once.
const teeBufSize = 64 << 10

// TeeCopy is Copy through the read/write loop, never splice, each chunk
// given to tee in direction d once written (a write that failed half-way
// gives the part written). It counts in m (which may be nil) exactly the
// bytes dst took. Errors are a *ReadError or *WriteError, as Copy's; ctx
// stops a wait for input or for room.
func TeeCopy(ctx context.Context, dst, src int, m *meter.Meter, tee Tee, d dump.Dir) (int64, error) {
	return readWrite(ctx, dst, src, make([]byte, teeBufSize), KindOf(src) != Regular, m, tee, d)
}

// Recorded is the Tee that records each chunk in r as connection conn of
// peer who (see dump.Recorder.Record), or nil, the fast path, when r is
// nil (the dump is off). A failed record is the recorder's writer's
// business (cli keeps its first error): it never stops the relay.
func Recorded(r *dump.Recorder, conn int, who string) Tee {
	if r == nil {
		return nil
	}
	return func(d dump.Dir, _ Sockaddr, b []byte) { r.Record(conn, d, who, b) }
}

// TeeLines is WriteLines telling tee each write it makes (a batch of
// whole lines of at most PipeBuf bytes), as sent (>).
func TeeLines(ctx context.Context, dst, src int, m *meter.Meter, tee Tee) (lines int64, err error) {
	return writeLines(ctx, dst, src, m, tee)
}

// TeeThrough gives a Tee to a copy loop that takes none: fill writes
// into a new pipe, and TeeCopy drains the pipe into out, recording each
// chunk in direction d. It returns when both are done: the drain's
// *WriteError (out failed; fill's writes then failed too), else fill's
// error, else the drain's.
func TeeThrough(ctx context.Context, out int, tee Tee, d dump.Dir, fill func(w int) error) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	drained := make(chan error, 1)
	go func() {
		_, err := TeeCopy(ctx, out, p[0], nil, tee, d)
		unix.Close(p[0]) // fill's next write fails rather than waits
		drained <- err
	}()
	err := fill(p[1])
	unix.Close(p[1])
	derr := <-drained
	if _, ok := derr.(*WriteError); ok || err == nil {
		return derr
	}
	return err
}
