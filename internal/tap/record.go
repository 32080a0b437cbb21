package tap

import (
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"
)

// A stand-in for package dump's Recorder until it lands: the same
// signatures, a plainer record.

// Dir is the direction of a record: > client to server, < server to client.
type Dir byte

const (
	Sent     Dir = '>'
	Received Dir = '<'
)

// Recorder writes records of what passes.
type Recorder struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

// NewRecorder returns a recorder writing to w.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: w, start: time.Now()} }

func (r *Recorder) stamp() string {
	us := time.Since(r.start).Microseconds()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// Event records what happened to connection conn.
func (r *Recorder) Event(conn int, who, what string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := fmt.Fprintf(r.w, "%s #%d %s %s\n", r.stamp(), conn, who, what)
	return err
}

// Record records b, moved in direction d on connection conn.
func (r *Recorder) Record(conn int, d Dir, who string, b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := fmt.Fprintf(r.w, "%s %c #%d %s %d bytes\n%s", r.stamp(), d, conn, who, len(b), hex.Dump(b))
	return err
}
