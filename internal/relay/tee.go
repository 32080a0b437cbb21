package relay

import (
	"context"
	"io"

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

// TeeCopy is Copy through one buffer, each chunk given to tee in
// direction d once written (a write that failed half-way gives the part
// written). It counts in m (which may be nil) exactly the bytes dst took.
// Errors are a *ReadError or *WriteError, as Copy's; ctx stops a wait for
// input or for room.
func TeeCopy(ctx context.Context, dst, src int, m *meter.Meter, tee Tee, d dump.Dir) (int64, error) {
	buf := make([]byte, teeBufSize)
	r := &fdReader{ctx: ctx, fd: src, waitFirst: KindOf(src) != Regular}
	defer r.Close()
	var n int64
	for {
		k, err := r.Read(buf)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, &ReadError{err}
		}
		w, err := Write(ctx, dst, buf[:k])
		tee.record(d, nil, buf[:w])
		n += int64(w)
		if m != nil {
			m.Add(w)
		}
		if err != nil {
			return n, &WriteError{err}
		}
	}
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
