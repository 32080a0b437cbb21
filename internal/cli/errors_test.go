package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestStatus(t *testing.T) {
	sigCtx, cancel := context.WithCancelCause(context.Background())
	cancel(&SignalError{Sig: syscall.SIGTERM})
	tests := []struct {
		ctx  context.Context
		err  error
		code int
		msg  string
	}{
		{context.Background(), nil, 0, ""},
		{context.Background(), Fail("key 0x00001e61", errors.New("no such segment"), "use -c to create it"), 1,
			"key 0x00001e61: no such segment; use -c to create it"},
		{context.Background(), Failf("/q", "", "message %d is %d bytes", 3, 9000), 1, "/q: message 3 is 9000 bytes"},
		{context.Background(), Usagef("-r and -w cannot be combined"), 2, "-r and -w cannot be combined"},
		{context.Background(), Timeout("/q", "waiting for a message"), 3, "/q: timed out waiting for a message"},
		{context.Background(), Nothing("/q", "queue is empty"), 3, "/q: queue is empty (nothing available)"},
		{context.Background(), fmt.Errorf("wrapped: %w", ErrTimeout), 3, "wrapped: timed out"},
		{context.Background(), Output(syscall.EPIPE), 141, ""},
		{context.Background(), Output(syscall.EIO), 1, "standard output: input/output error"},
		{context.Background(), errors.New("plain"), 1, "plain"},
		{sigCtx, context.Canceled, 143, ""},
		{sigCtx, nil, 143, ""},
		{sigCtx, ExitStatus(0), 0, ""},
		{context.Background(), ExitStatus(7), 7, ""},
		{sigCtx, Fail("x", errors.New("real failure"), ""), 1, "x: real failure"},
	}
	for _, tt := range tests {
		code, msg := Status(tt.ctx, tt.err)
		if code != tt.code || msg != tt.msg {
			t.Errorf("Status(%v) = %d, %q; want %d, %q", tt.err, code, msg, tt.code, tt.msg)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		a     acts
		act   Action
		rm    bool
		usage bool
	}{
		{acts{Actions{}, Sweeping{}}, ActRead, false, false},
		{acts{Actions{Read: true}, Sweeping{}}, ActRead, false, false},
		{acts{Actions{Write: true, Rm: true}, Sweeping{}}, ActWrite, true, false},
		{acts{Actions{Read: true, Rm: true}, Sweeping{}}, ActRead, true, false},
		{acts{Actions{Rm: true}, Sweeping{}}, ActRemove, false, false},
		{acts{Actions{Rm: true}, Sweeping{Stale: true}}, ActRemoveStale, false, false},
		{acts{Actions{Rm: true}, Sweeping{Stale: true, DryRun: true}}, ActRemoveStale, false, false},
		{acts{Actions{List: true}, Sweeping{Stale: true}}, ActList, false, false},
		{acts{Actions{Stat: true}, Sweeping{}}, ActStat, false, false},
		{acts{Actions{Read: true, Write: true}, Sweeping{}}, 0, false, true},
		{acts{Actions{Stat: true, List: true}, Sweeping{}}, 0, false, true},
		{acts{Actions{Stat: true, Rm: true}, Sweeping{}}, 0, false, true},
		{acts{Actions{}, Sweeping{Stale: true}}, 0, false, true},
		{acts{Actions{Rm: true}, Sweeping{DryRun: true}}, 0, false, true},
		{acts{Actions{Rm: true, Write: true}, Sweeping{Stale: true}}, 0, false, true},
	}
	for _, tt := range tests {
		act, rm, err := tt.a.Actions.Resolve(tt.a.Sweeping)
		var u *UsageError
		if errors.As(err, &u) != tt.usage || (!tt.usage && (act != tt.act || rm != tt.rm)) {
			t.Errorf("Resolve(%+v) = %v, %v, %v; want %v, %v, usage error %v", tt.a, act, rm, err, tt.act, tt.rm, tt.usage)
		}
	}
}

func TestFlagMessage(t *testing.T) {
	in := errors.New("invalid argument for flag `-s, --size' (expected ipcname.Size): bad size \"x\"")
	want := "invalid argument for flag '-s, --size': bad size \"x\""
	if got := flagMessage(in); got != want {
		t.Errorf("flagMessage(%q) = %q; want %q", in, got, want)
	}
}

func TestStatusNamesTheFileLimit(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{Fail("/q", &os.SyscallError{Syscall: "mq_open", Err: syscall.EMFILE}, ""), "/q: mq_open: too many open files; the per-process limit RLIMIT_NOFILE is reached: raise it with ulimit -n"},
		{fmt.Errorf("pipe: %w", syscall.ENFILE), "pipe: too many open files in system; the system-wide limit fs.file-max is reached: see /proc/sys/fs/file-max"},
	} {
		code, msg := Status(context.Background(), tt.err)
		if code != ExitFailure || msg != tt.want {
			t.Errorf("Status(%v) = %d, %q; want 1, %q", tt.err, code, msg, tt.want)
		}
	}
}
