package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Exit statuses shared by every tool (SPEC section 1).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitTimeout = 3
)

// ErrTimeout ends a run that a -t deadline stopped before any data moved.
var ErrTimeout = errors.New("timed out")

// ErrNothing ends a --nonblock run that found nothing to move.
var ErrNothing = errors.New("nothing available")

// Error is the one error shape the tools report: "OBJECT: ERR; HINT".
// Code is the exit status; zero means 1 (or 3 when Err is a timeout).
type Error struct {
	Code   int
	Object string
	Err    error
	Hint   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(Message(e.Err))
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Fail is an operational failure (exit 1) about object, with an optional hint.
func Fail(object string, err error, hint string) error {
	return &Error{Code: ExitFailure, Object: object, Err: err, Hint: hint}
}

// Failf is Fail with a formatted message.
func Failf(object, hint, format string, args ...any) error {
	return Fail(object, fmt.Errorf(format, args...), hint)
}

// Timeout reports that a bounded wait on object expired (exit 3).
func Timeout(object, what string) error {
	return &Error{Code: ExitTimeout, Object: object, Err: fmt.Errorf("%w %s", ErrTimeout, what)}
}

// Nothing reports that --nonblock found nothing to move (exit 3).
func Nothing(object, what string) error {
	return &Error{Code: ExitTimeout, Object: object, Err: fmt.Errorf("%s (%w)", what, ErrNothing)}
}

// UsageError is a command line the tool cannot act on (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a usage error (exit 2).
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitStatus is a status the run chose itself and that nothing overrides,
// not even the signal that ended the run (pipecat exits with its command's
// status, even when the command caught the signal pipecat passed on). It
// prints no message.
type ExitStatus int

func (e ExitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// SignalError is the cause of a context cancelled by SIGINT or SIGTERM.
type SignalError struct{ Sig syscall.Signal }

func (e *SignalError) Error() string { return "killed by " + e.Sig.String() }

// errStdoutClosed marks a write to a standard output whose reader has gone.
var errStdoutClosed = errors.New("standard output closed")

// Output wraps an error from writing standard output: EPIPE becomes a quiet
// exit 141, as cat's death by SIGPIPE would be; anything else is a failure.
func Output(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EPIPE) {
		return errStdoutClosed
	}
	return Fail("standard output", err, "")
}

// Status maps an error returned by a tool's run function to its exit status.
// Quiet statuses (signals, a closed stdout) carry no message.
func Status(ctx context.Context, err error) (code int, msg string) {
	var es ExitStatus
	if errors.As(err, &es) {
		return int(es), ""
	}
	var sig *SignalError
	if errors.As(context.Cause(ctx), &sig) && (err == nil || errors.Is(err, context.Canceled) || errors.As(err, &sig)) {
		return 128 + int(sig.Sig), ""
	}
	if err == nil {
		return ExitOK, ""
	}
	if errors.As(err, &sig) {
		return 128 + int(sig.Sig), ""
	}
	if errors.Is(err, errStdoutClosed) {
		return 128 + int(syscall.SIGPIPE), ""
	}
	var u *UsageError
	if errors.As(err, &u) {
		return ExitUsage, u.Msg
	}
	var e *Error
	if errors.As(err, &e) && e.Code != 0 {
		return e.Code, limitHint(err, err.Error())
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrNothing) {
		return ExitTimeout, Message(err)
	}
	return ExitFailure, limitHint(err, Message(err))
}

// limitHint adds to msg where the limit behind a descriptor shortage is
// raised, whichever tool and syscall ran into it (SPEC: a kernel limit
// names itself).
func limitHint(err error, msg string) string {
	switch {
	case strings.Contains(msg, "ulimit -n") || strings.Contains(msg, "fs.file-max"):
		return msg
	case errors.Is(err, syscall.EMFILE):
		return msg + "; the per-process limit RLIMIT_NOFILE is reached: raise it with ulimit -n"
	case errors.Is(err, syscall.ENFILE):
		return msg + "; the system-wide limit fs.file-max is reached: see /proc/sys/fs/file-max"
	}
	return msg
}

// Message renders an error for a person: errno texts lose Go's decoration
// ("open /x: no such file or directory" stays, a bare errno is lower-cased).
func Message(err error) string {
	if err == nil {
		return ""
	}
	var pe *os.PathError
	if errors.As(err, &pe) && err == error(pe) {
		return pe.Op + " " + pe.Path + ": " + Message(pe.Err)
	}
	var se *os.SyscallError
	if errors.As(err, &se) && err == error(se) {
		return se.Syscall + ": " + Message(se.Err)
	}
	return err.Error()
}
