package sysvipc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestMsqidDSSize(t *testing.T) {
	if got := unsafe.Sizeof(MsqidDS{}); got != 120 {
		t.Errorf("unsafe.Sizeof(MsqidDS{}) = %d; want 120 (struct msqid64_ds on amd64)", got)
	}
}

func private(t *testing.T) int {
	id, err := MsgGet(0, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Skipf("no System V message queues: %v", err)
	}
	t.Cleanup(func() { MsgRemove(id) })
	return id
}

func TestSendReceiveStat(t *testing.T) {
	id := private(t)
	buf := make([]byte, 8+5)
	SetType(buf, 7)
	copy(buf[8:], "hello")
	if err := MsgSnd(id, buf, 0); err != nil {
		t.Fatalf("MsgSnd = %v; want nil", err)
	}
	ds, err := MsgStat(id)
	if err != nil || ds.Qnum != 1 || ds.Cbytes != 5 || ds.Lspid != int32(unix.Getpid()) || ds.Perm.Mode&0o777 != 0o600 {
		t.Fatalf("MsgStat = %+v, %v; want 1 message of 5 bytes from us, mode 0600", ds, err)
	}
	out := make([]byte, 8+64)
	if _, err := MsgRcv(id, out, 3, unix.IPC_NOWAIT); err != unix.ENOMSG {
		t.Errorf("MsgRcv(type 3) = %v; want ENOMSG", err)
	}
	n, err := MsgRcv(id, out, 3, unix.IPC_NOWAIT|MsgExcept)
	if err != nil || n != 5 || Type(out) != 7 || string(out[8:8+n]) != "hello" {
		t.Errorf("MsgRcv(except 3) = %d %q type %d, %v; want 5 \"hello\" type 7", n, out[8:8+n], Type(out), err)
	}
}

// TestInterrupt runs a blocked MsgRcv under Interrupt with one P (the
// call hands its P off) and with two (it keeps it: RawSyscall), and wants
// it ended soon after the context is.
func TestInterrupt(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			id := private(t)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			stop := Interrupt(ctx)
			defer stop()
			if got, want := holding.Load() > 0, procs > 1; got != want {
				t.Errorf("blocking calls keep their P: %v; want %v", got, want)
			}
			buf := make([]byte, 8+16)
			start := time.Now()
			var err error
			for ctx.Err() == nil {
				_, err = MsgRcv(id, buf, 0, 0)
				if !errors.Is(err, unix.EINTR) {
					break
				}
			}
			if took := time.Since(start); ctx.Err() == nil || took > 500*time.Millisecond {
				t.Errorf("blocked MsgRcv under Interrupt = %v after %v; want EINTR soon after 50ms", err, took)
			}
		})
	}
}
