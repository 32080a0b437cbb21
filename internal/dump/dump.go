// Package dump records the bytes a tool moves, as they pass: one record
// per chunk, headed by a monotonic timestamp (seconds since the recorder
// was made, in microseconds), the direction, the connection and the byte
// count, then the bytes as hexdump -C style lines or as text. It is what
// -x, --hexdump and --dump of sockcat, pipecat and fifocat print.
//
// A record looks like this (Hex):
//
//	0.001234 > #1 pid 42 (curl) 6 bytes
//	00000000  68 65 6c 6c 6f 0a                                 |hello.|
//
// and an event (a connection made or closed) like this:
//
//	0.000017 #1 pid 42 (curl) connected
package dump

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ipcats/ipcats/internal/meter"
)

// Format is how a record shows its bytes.
type Format int

const (
	// Hex shows the bytes as hexdump -C does: the offset in the stream,
	// sixteen bytes in hex, and the printable ones between bars.
	Hex Format = iota
	// Text shows the bytes as they are, with \\ for a backslash and \xHH
	// for a byte that is neither printable ASCII, a tab nor a newline; a
	// record that does not end in a newline is ended by one.
	Text
)

// Dir is the direction of a record: its first mark in the header.
type Dir byte

const (
	Sent     Dir = '>' // bytes the tool sent (to the socket, FIFO, command)
	Received Dir = '<' // bytes the tool received
)

// Recorder writes records to one writer. It is safe for concurrent use,
// and writes each record (header and bytes) in one Write, so records of
// two directions or connections never interleave.
type Recorder struct {
	w      io.Writer
	format Format
	start  time.Time
	since  func(time.Time) time.Duration // time.Since; tests fix it

	mu      sync.Mutex
	offsets map[stream]int64
	buf     []byte
}

// stream is one direction of one connection: offsets count per stream.
type stream struct {
	conn int
	d    Dir
}

// New returns a recorder writing records in format f to w; timestamps
// count from now.
func New(w io.Writer, f Format) *Recorder {
	return &Recorder{w: w, format: f, start: time.Now(), since: time.Since, offsets: map[stream]int64{}}
}

// Event records what happened to connection conn of peer who ("connected",
// "closed"): one line with the timestamp. conn 0 and an empty who are left
// out.
func (r *Recorder) Event(conn int, who, what string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.header(r.buf[:0], 0, conn, who)
	b = append(b, what...)
	b = append(b, '\n')
	r.buf = b
	_, err := r.w.Write(b)
	return err
}

// Record records b, moved in direction d on connection conn of peer who:
// a header line, then the bytes. Offsets in Hex count from the first byte
// of that connection in that direction. conn 0 and an empty who are left
// out of the header. An empty b records nothing.
func (r *Recorder) Record(conn int, d Dir, who string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := stream{conn, d}
	off := r.offsets[s]
	r.offsets[s] = off + int64(len(b))
	out := r.header(r.buf[:0], d, conn, who)
	out = append(out, meter.Count(int64(len(b)), "byte")...)
	out = append(out, '\n')
	if r.format == Text {
		out = appendText(out, b)
	} else {
		out = appendHex(out, off, b)
	}
	r.buf = out
	_, err := r.w.Write(out)
	return err
}

// header appends "SECONDS [DIR] [#CONN] [WHO] " to b.
func (r *Recorder) header(b []byte, d Dir, conn int, who string) []byte {
	us := r.since(r.start).Microseconds()
	b = fmt.Appendf(b, "%d.%06d ", us/1e6, us%1e6)
	if d != 0 {
		b = append(b, byte(d), ' ')
	}
	if conn != 0 {
		b = append(b, '#')
		b = strconv.AppendInt(b, int64(conn), 10)
		b = append(b, ' ')
	}
	if who != "" {
		b = append(b, who...)
		b = append(b, ' ')
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendHex appends p as hexdump -C lines, the first at stream offset off.
func appendHex(b []byte, off int64, p []byte) []byte {
	for len(p) > 0 {
		n := min(len(p), 16)
		line := p[:n]
		b = fmt.Appendf(b, "%08x  ", off)
		for i := range 16 {
			if i < n {
				b = append(b, hexDigits[line[i]>>4], hexDigits[line[i]&15], ' ')
			} else {
				b = append(b, "   "...)
			}
			if i == 7 {
				b = append(b, ' ')
			}
		}
		b = append(b, " |"...)
		for _, c := range line {
			if c < ' ' || c > '~' {
				c = '.'
			}
			b = append(b, c)
		}
		b = append(b, "|\n"...)
		off += int64(n)
		p = p[n:]
	}
	return b
}

// appendText appends p as text: printable ASCII, tabs and newlines as they
// are, a backslash doubled, any other byte as \xHH; then a newline if p
// did not end in one.
func appendText(b []byte, p []byte) []byte {
	for _, c := range p {
		switch {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n' || c == '\t' || (c >= ' ' && c <= '~'):
			b = append(b, c)
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	if p[len(p)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}
