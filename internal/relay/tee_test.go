package relay

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// tape is a Tee that notes "DIR bytes" per chunk.
type tape struct {
	mu  sync.Mutex
	got []string
}

func (tp *tape) tee(d dump.Dir, peer Sockaddr, b []byte) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	to := ""
	if peer != nil {
		to = "@"
	}
	tp.got = append(tp.got, fmt.Sprintf("%c%s%s", d, to, b))
}

func (tp *tape) String() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return strings.Join(tp.got, "|")
}

func TestTeeCopy(t *testing.T) {
	fds := newFDs(t)
	inR, inW := fds.pipe(t)
	outR, outW := fds.pipe(t)
	var tp tape
	m := &meter.Meter{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err := TeeCopy(context.Background(), outW, inR, m, tp.tee, dump.Sent)
		if n != 7 || err != nil || m.Bytes() != 7 {
			t.Errorf("TeeCopy = %d, %v (meter %d); want 7, nil (7)", n, err, m.Bytes())
		}
	}()
	unix.Write(inW, []byte("abc"))
	for tp.String() == "" { // one chunk at a time
		unix.Poll(nil, 1)
	}
	unix.Write(inW, []byte("defg"))
	fds.close(inW)
	<-done
	fds.close(outW)
	if got := readAll(outR); got != "abcdefg" {
		t.Errorf("TeeCopy moved %q; want abcdefg", got)
	}
	if got := tp.String(); got != ">abc|>defg" {
		t.Errorf("TeeCopy recorded %q; want >abc|>defg", got)
	}
}

func TestTeeCopyWriteFails(t *testing.T) {
	fds := newFDs(t)
	inR, inW := fds.pipe(t)
	outR, outW := fds.pipe(t)
	fds.close(outR)
	unix.Write(inW, []byte("lost"))
	fds.close(inW)
	var tp tape
	_, err := TeeCopy(context.Background(), outW, inR, nil, tp.tee, dump.Sent)
	if _, ok := err.(*WriteError); !ok || tp.String() != "" {
		t.Errorf("TeeCopy to a closed pipe = %v, recorded %q; want a *WriteError, nothing", err, tp.String())
	}
}

// TestDuplexTee: both directions of a stream and of a seqpacket
// connection are told to the Tee, what was moved unchanged.
func TestDuplexTee(t *testing.T) {
	for _, tt := range []struct {
		name string
		typ  int
		d    Duplex
		want string
	}{
		{"stream", unix.SOCK_STREAM, Duplex{Linger: -1}, ">a\nbb\n|<got: a\nbb\n"},
		{"seqpacket lines", unix.SOCK_SEQPACKET, Duplex{Linger: -1, Messages: true, Lines: true}, ">a\n|>bb\n|<got: a\nbb\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fds := newFDs(t)
			ours, theirs := fds.socketpair(t, tt.typ)
			inR, inW := fds.pipe(t)
			outR, outW := fds.pipe(t)
			unix.Write(inW, []byte("a\nbb\n"))
			fds.close(inW)
			done := make(chan struct{})
			go func() { replyAfterEOF(theirs); close(done) }()
			var tp tape
			d := tt.d
			d.Sock, d.In, d.Out, d.Tee = ours, inR, outW, tp.tee
			_, err := d.Run(context.Background())
			fds.close(outW)
			got := readAll(outR)
			<-done
			if err != nil || got != "got: a\nbb\n" || tp.String() != tt.want {
				t.Errorf("Duplex = %q, %v, recorded %q; want %q, nil, recorded %q", got, err, tp.String(), "got: a\nbb\n", tt.want)
			}
		})
	}
}
