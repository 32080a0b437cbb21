package sock

import (
	"context"
	"io"
	"testing"

	"golang.org/x/sys/unix"
)

// ExecCounted relays both ways between the connection and the command,
// and counts what went each way: bytes on a stream, messages too on
// seqpacket; the peer sees end of file when the command is done.
func TestExecCounted(t *testing.T) {
	for _, typ := range []int{unix.SOCK_STREAM, unix.SOCK_SEQPACKET} {
		p, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		peer, conn := p[0], p[1]
		unix.Write(peer, []byte("abc\n"))
		unix.Shutdown(peer, unix.SHUT_WR)
		c, err := ExecCounted(conn, `cat; echo end; exit 3`, io.Discard)
		unix.Close(conn) // ExecCounted keeps its own copy
		if err != nil {
			t.Fatal(err)
		}
		code, res, err := c.Wait(context.Background())
		if err != nil || code != 3 {
			t.Errorf("type %d: Wait = %d, %v; want 3", typ, code, err)
		}
		var got []byte
		b := make([]byte, 64)
		for {
			// Ends at end of file: the command's end reached the peer.
			n, err := unix.Read(peer, b)
			if n <= 0 || err != nil {
				break
			}
			got = append(got, b[:n]...)
		}
		if string(got) != "abc\nend\n" {
			t.Errorf("type %d: the peer read %q", typ, got)
		}
		if res.Sent != 8 || res.Received != 4 {
			t.Errorf("type %d: counted %d sent, %d received; want 8, 4", typ, res.Sent, res.Received)
		}
		if typ == unix.SOCK_SEQPACKET && (res.SentMsgs != 2 || res.ReceivedMsgs != 1) {
			t.Errorf("seqpacket: %d messages sent, %d received; want 2, 1", res.SentMsgs, res.ReceivedMsgs)
		}
		unix.Close(peer)
	}
}
