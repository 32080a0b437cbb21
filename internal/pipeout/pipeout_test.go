package pipeout

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// TestWriteGivesWay fills a pipe, lets its reader take 5000 bytes (one
// page slot freed, one partly read), and checks that a Write of more
// than fits returns the context's error soon after it is cancelled,
// having written what fitted.
func TestWriteGivesWay(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pw := New(ctx, int(w.Fd()))
	defer pw.Close()
	if n, err := pw.Write(make([]byte, 64<<10)); n != 64<<10 || err != nil {
		t.Fatalf("Write(64 KiB) into an empty pipe = %d, %v; want 65536, nil", n, err)
	}
	if _, err := r.Read(make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	n, err := pw.Write(make([]byte, 1<<20))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write into a stalled pipe = %d, %v; want context.Canceled", n, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Write took %v to give way", d)
	}
	if n > 5000 {
		t.Errorf("Write reports %d bytes written; at most 5000 fitted", n)
	}
}
