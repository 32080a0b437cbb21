package mq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

var seq atomic.Int64

// posixName is a queue name no other test uses, unlinked on cleanup.
func posixName(t *testing.T) ipcname.Name {
	n := ipcname.Name{Kind: ipcname.POSIX, Path: fmt.Sprintf("/ipcats-mqtest-%d-%d", os.Getpid(), seq.Add(1))}
	t.Cleanup(func() { posixmq.Unlink(n.Path) })
	return n
}

// sysvName is a key no queue has, its queue removed on cleanup; the test
// is skipped when this kernel or sandbox refuses msgget.
func sysvName(t *testing.T) ipcname.Name {
	for i := 0; i < 100; i++ {
		key := uint32(0x7e000000 | (os.Getpid()&0xffff)<<8 | int(seq.Add(1)&0xff))
		_, err := sysvipc.MsgGet(key, 0)
		if err == nil {
			continue // taken
		}
		if err != unix.ENOENT {
			t.Skipf("no System V message queues: %v", err)
		}
		if probe, err := sysvipc.MsgGet(0, unix.IPC_CREAT|0o600); err != nil {
			t.Skipf("no System V message queues: %v", err)
		} else {
			sysvipc.MsgRemove(probe)
		}
		t.Cleanup(func() {
			if id, err := sysvipc.MsgGet(key, 0); err == nil {
				sysvipc.MsgRemove(id)
			}
		})
		return ipcname.Name{Kind: ipcname.Key, Key: key}
	}
	t.Fatal("no free System V key")
	return ipcname.Name{}
}

func mustOpen(t *testing.T, p *Params, n ipcname.Name, create, excl, writing bool) (*Queue, bool) {
	t.Helper()
	q, created, err := Open(p, n, n.String(), create, excl, writing)
	if err != nil {
		t.Fatalf("Open(%v, create %v, excl %v) = %v", n, create, excl, err)
	}
	t.Cleanup(q.Close)
	return q, created
}

// families runs f on a fresh name of each family.
func families(t *testing.T, f func(t *testing.T, n ipcname.Name)) {
	t.Run("posix", func(t *testing.T) { f(t, posixName(t)) })
	t.Run("sysv", func(t *testing.T) { f(t, sysvName(t)) })
}

func TestOpenCreateExclRemove(t *testing.T) {
	families(t, func(t *testing.T, n ipcname.Name) {
		p := &Params{}
		if _, _, err := Open(p, n, n.String(), false, false, false); !errors.Is(err, ErrNotExist) {
			t.Fatalf("Open of an absent queue = %v; want ErrNotExist", err)
		}
		_, created := mustOpen(t, p, n, true, false, true)
		if !created {
			t.Fatal("Open(create) of an absent queue: created = false")
		}
		if _, created := mustOpen(t, p, n, true, false, false); created {
			t.Fatal("second Open(create): created = true")
		}
		if _, _, err := Open(p, n, n.String(), true, true, true); !errors.Is(err, ErrExist) {
			t.Fatalf("Open(excl) of an existing queue = %v; want ErrExist", err)
		}
		rec, err := Stat(&cli.Idle{}, n, n.String())
		if err != nil || rec.Get("type") == nil {
			t.Fatalf("Stat = %v, %v; want a record", rec, err)
		}
		if err := Remove(n, n.String()); err != nil {
			t.Fatalf("Remove = %v", err)
		}
		if err := Remove(n, n.String()); !errors.Is(err, ErrNotExist) {
			t.Fatalf("second Remove = %v; want ErrNotExist", err)
		}
	})
}

func TestSendReceive(t *testing.T) {
	families(t, func(t *testing.T, n ipcname.Name) {
		q, _ := mustOpen(t, &Params{Mode: ipcname.Mode{Perm: 0o600, Set: true}}, n, true, false, true)
		w := Wait{Ctx: context.Background(), Nonblock: true}
		if err := q.Send(w, []byte("low"), 1, 1); err != nil {
			t.Fatalf("Send = %v", err)
		}
		if err := q.Send(w, []byte("high"), 2, 9); err != nil {
			t.Fatalf("Send = %v", err)
		}
		// POSIX takes the highest priority first; System V -T 2 that type.
		msg, typ, err := q.Recv(w, true, 2, 0)
		if err != nil || string(msg) != "high" || (typ != 9 && q.POSIX) || (typ != 2 && !q.POSIX) {
			t.Fatalf("Recv = %q, %d, %v; want high", msg, typ, err)
		}
		msg, _, err = q.Recv(w, true, 0, 0)
		if err != nil || string(msg) != "low" {
			t.Fatalf("Recv = %q, %v; want low", msg, err)
		}
		if _, _, err := q.Recv(w, true, 0, 0); err != ErrEmpty {
			t.Fatalf("Recv of an empty queue = %v; want ErrEmpty", err)
		}
		// A wait ends at the -t deadline with ErrEmpty.
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		defer q.Interrupt(ctx)()
		start := time.Now()
		if _, _, err := q.Recv(Wait{Ctx: ctx}, false, 0, 0); err != ErrEmpty {
			t.Fatalf("Recv with a deadline = %v; want ErrEmpty", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Recv with a 50ms deadline took %v", d)
		}
	})
}

func TestSysVExceptAndPeek(t *testing.T) {
	n := sysvName(t)
	q, _ := mustOpen(t, &Params{}, n, true, false, true)
	w := Wait{Ctx: context.Background(), Nonblock: true}
	for i, s := range []string{"a", "b"} {
		if err := q.Send(w, []byte(s), int64(i+1), 0); err != nil {
			t.Fatalf("Send = %v", err)
		}
	}
	msg, _, err := q.Recv(w, true, 0, Copy)
	switch {
	case err == ErrNoCopy:
		t.Log("no MSG_COPY on this kernel")
	case err != nil || string(msg) != "a":
		t.Fatalf("Recv(Copy, 0) = %q, %v; want a", msg, err)
	}
	msg, typ, err := q.Recv(w, true, 1, Except)
	if err != nil || string(msg) != "b" || typ != 2 {
		t.Fatalf("Recv(Except 1) = %q, %d, %v; want b of type 2", msg, typ, err)
	}
}

func TestRemoveUnused(t *testing.T) {
	families(t, func(t *testing.T, n ipcname.Name) {
		q, _ := mustOpen(t, &Params{}, n, true, false, true)
		if err := q.Send(Wait{Ctx: context.Background(), Nonblock: true}, []byte("x"), 1, 0); err != nil {
			t.Fatalf("Send = %v", err)
		}
		q.RemoveUnused() // holds a message: kept
		if _, _, err := Open(&Params{}, n, n.String(), false, false, false); err != nil {
			t.Fatalf("queue with a message was removed: %v", err)
		}
		if _, _, err := q.Recv(Wait{Ctx: context.Background()}, true, 0, 0); err != nil {
			t.Fatalf("Recv = %v", err)
		}
		q.RemoveUnused() // empty: removed
		if _, _, err := Open(&Params{}, n, n.String(), false, false, false); !errors.Is(err, ErrNotExist) {
			t.Fatalf("empty queue left: Open = %v", err)
		}
	})
}

func TestPOSIXAttributes(t *testing.T) {
	n := posixName(t)
	p := &Params{MaxMsg: ipcname.Size{N: 3, Set: true}, MsgSize: ipcname.Size{N: 100, Set: true}}
	q, _ := mustOpen(t, p, n, true, false, true)
	if q.Max != 100 {
		t.Fatalf("Max = %d; want 100", q.Max)
	}
	w := Wait{Ctx: context.Background(), Nonblock: true}
	for i := 0; i < 3; i++ {
		if err := q.Send(w, []byte("m"), 0, 0); err != nil {
			t.Fatalf("Send %d = %v", i, err)
		}
	}
	if err := q.Send(w, []byte("m"), 0, 0); err != ErrFull {
		t.Fatalf("Send to a full queue = %v; want ErrFull", err)
	}
	other := &Params{MsgSize: ipcname.Size{N: 200, Set: true}}
	if _, _, err := Open(other, n, n.String(), true, false, true); err == nil {
		t.Fatal("Open with another --msgsize of an existing queue = nil; want an error")
	}
}

func TestSysVQBytes(t *testing.T) {
	n := sysvName(t)
	q, _ := mustOpen(t, &Params{QBytes: ipcname.Size{N: 64, Set: true}}, n, true, false, true)
	if q.Max != 64 {
		t.Fatalf("Max = %d; want 64 (the qbytes)", q.Max)
	}
	es, _, err := List(&cli.Idle{})
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	for _, e := range es {
		if e.POSIX == "" && e.ID == q.ID {
			if e.Key != n.Key || e.Rec.Get("qbytes") != int64(64) {
				t.Fatalf("List entry = %+v; want key %#x, qbytes 64", e, n.Key)
			}
			return
		}
	}
	t.Fatalf("List has no queue id %d", q.ID)
}

// TestDeliver receives every message into a pipe, each followed by the
// terminator, and counts them.
func TestDeliver(t *testing.T) {
	families(t, func(t *testing.T, n ipcname.Name) {
		q, _ := mustOpen(t, &Params{}, n, true, false, true)
		for _, s := range []string{"one", "two", "three"} {
			if err := q.Send(Wait{Ctx: context.Background(), Nonblock: true}, []byte(s), 1, 0); err != nil {
				t.Fatalf("Send = %v", err)
			}
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		m := meter.New("mqtest", nil, false)
		ctx := context.Background()
		rd := Reading{Receiving: Receiving{Count: -1, Drain: true}, Term: []byte("\n")}
		noCleanup := func(f func()) func() { return f }
		ok, err := Deliver(ctx, ctx, ctx, q, rd, int(w.Fd()), m, func(s string) { t.Error(s) }, noCleanup)
		w.Close()
		if !ok || err != nil {
			t.Fatalf("Deliver = %v, %v; want true, nil", ok, err)
		}
		b := make([]byte, 100)
		k, _ := r.Read(b)
		if got := string(b[:k]); got != "one\ntwo\nthree\n" || m.Msgs() != 3 {
			t.Fatalf("delivered %q, %d messages; want three lines", got, m.Msgs())
		}
	})
}

// TestWaitGivesWay blocks a receive on an empty queue and a send on a
// full one, and checks that cancelling the context (a signal) ends each.
func TestWaitGivesWay(t *testing.T) {
	families(t, func(t *testing.T, n ipcname.Name) {
		p := &Params{MaxMsg: ipcname.Size{N: 1, Set: true}, QBytes: ipcname.Size{N: 8, Set: true}}
		if n.SysV() {
			p.MaxMsg = ipcname.Size{}
		} else {
			p.QBytes = ipcname.Size{}
		}
		q, _ := mustOpen(t, p, n, true, false, true)
		for _, call := range []string{"receive", "send"} {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				defer q.Interrupt(ctx)()
				if call == "receive" {
					_, _, err := q.Recv(Wait{Ctx: ctx}, false, 0, 0)
					done <- err
					return
				}
				err := q.Send(Wait{Ctx: ctx}, []byte("12345678"), 1, 0)
				for err == nil { // the first fills the queue
					err = q.Send(Wait{Ctx: ctx}, []byte("12345678"), 1, 0)
				}
				done <- err
			}()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s cancelled = %v; want context.Canceled", call, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s did not give way to its context", call)
			}
		}
	})
}

// TestSysVStaleWholeSeconds: the kernel's msg_rtime is in whole seconds,
// so a queue received from at 1000.9 s is not 1 s idle at 1001.05 s.
func TestSysVStaleWholeSeconds(t *testing.T) {
	idle := &cli.Idle{}
	idle.Idle.D = time.Second
	ds := &sysvipc.MsqidDS{Rtime: 1000}
	if sysvStale(idle, time.Unix(1001, 50e6), ds, nil) {
		t.Error("stale 1.05 s after a use in second 1000; want not stale before 1002")
	}
	if !sysvStale(idle, time.Unix(1002, 0), ds, nil) {
		t.Error("not stale at 1002 s after a use in second 1000; want stale")
	}
}
