package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/ring"
	"github.com/ipcats/ipcats/internal/shm"
)

// checkStream refuses options that mean nothing with --stream.
func checkStream(act cli.Action, o *options) error {
	switch {
	case !o.Stream:
		return nil
	case act != cli.ActRead && act != cli.ActWrite && act != cli.ActStat:
		return cli.Usagef("--stream goes with -r, -w or --stat")
	case o.Offset.Set || o.Length.Set || o.All || o.CString || o.Follow || o.Interval.Set || o.NoClear:
		return cli.Usagef("-o, -L, -a, -z, -f, -i and --no-clear do not go with --stream")
	case o.Nonblock && act == cli.ActWrite:
		return cli.Usagef("-n goes with -r --stream (a writer waits for room; use -t to bound it)")
	case o.Size.Set && !ring.ValidCapacity(o.Size.N):
		return cli.Usagef("-s with --stream is the ring's data size: a power of two from 4K to 1T, such as 4M")
	}
	return nil
}

// stream runs -r or -w with --stream: standard input into the ring, or
// the ring to standard output, until the end of the stream. A POSIX
// object truncated under it (SIGBUS on the mapping) ends it with exit 1.
func stream(ctx context.Context, env *cli.Env, o *options, act cli.Action, rmAfter bool, name ipcname.Name, obj string) error {
	err := fault.Guard(func() error { return streamRing(ctx, env, o, act, rmAfter, name, obj) })
	var ce *cli.Error
	if errors.Is(err, fault.ErrFault) && !errors.As(err, &ce) {
		return cli.Fail(obj, err, "")
	}
	return err
}

func streamRing(ctx context.Context, env *cli.Env, o *options, act cli.Action, rmAfter bool, name ipcname.Name, obj string) (err error) {
	seg, r, err := openRing(ctx, o, act, name, obj)
	if err != nil {
		return err
	}
	defer seg.Close()
	role := ring.Reader
	if act == cli.ActWrite {
		role = ring.Writer
	}
	if err := r.Claim(role, int32(os.Getpid()), rmAfter); err != nil {
		return cli.Fail(obj, err, "a ring has one writer and one reader at a time")
	}
	// Leaving the ring (and removing it, when --rm asked and this side is
	// the last) is a cleanup cli runs itself if a signal finds this run
	// stuck: the ring is never left claimed by a process that is gone.
	var outcome atomic.Int32
	outcome.Store(int32(ring.Abort))
	var rmErr error
	leave := env.Cleanup(func() {
		fault.Guard(func() error {
			if r.Leave(ring.Outcome(outcome.Load())) {
				rmErr = shm.Remove(name)
			}
			return nil
		})
	})
	defer func() {
		leave()
		if rmErr != nil && !errors.Is(rmErr, shm.ErrNotExist) && err == nil {
			err = openErr(obj, rmErr)
		}
	}()

	m := meter.New(env.Tool, env.Stderr, o.Progress)
	defer m.Stop()
	opt := ring.Options{Nonblock: o.Nonblock, Moved: m.Add}
	if o.Timeout.Set {
		opt.Idle = max(o.Timeout.D, time.Nanosecond)
	}
	if role == ring.Writer {
		start := r.Header().Head
		n, err := r.Send(ctx, int(env.Stdin.Fd()), opt)
		if shm.IsFault(err) {
			err = seg.Fault() // truncated, or /dev/shm is full
		}
		// taken is how much of this run's input the reader has consumed.
		taken := min(max(int64(r.Header().Tail-start), 0), n)
		if errors.Is(err, ring.ErrIdle) && taken > 0 {
			// SPEC: -t stopping a run that moved data exits 0; say what was left.
			env.Warnf("%s: no room for %v; stopped with %d bytes written into the ring, %d of them read; the rest of the input was not read", obj, o.Timeout.D, n, taken)
			return nil
		}
		out, err := sendResult(err, obj, n, taken)
		outcome.Store(int32(out))
		if err == nil && o.Verbose {
			env.Warnf("%s", m.Summary("wrote", "into the ring "+where(seg, obj)))
		}
		return err
	}
	n, err := r.Receive(ctx, int(env.Stdout.Fd()), opt)
	if shm.IsFault(err) {
		err = seg.Fault()
	}
	out, err := receiveResult(err, obj, n)
	outcome.Store(int32(out))
	if err == nil && o.Verbose {
		env.Warnf("%s", m.Summary("read", "from the ring "+where(seg, obj)))
	}
	return err
}

// sendResult maps how a Send ended to the way the writer leaves the ring
// and the run's error. n bytes went into the ring; the reader took taken.
func sendResult(err error, obj string, n, taken int64) (ring.Outcome, error) {
	delivered := fmt.Sprintf("%d bytes written into the ring, %d of them read", n, taken)
	var died *ring.PeerDiedError
	var rerr *ring.ReadError
	var cerr *ring.CorruptError
	switch {
	case err == nil:
		return ring.Done, nil
	case errors.Is(err, ring.ErrIdle):
		return ring.Abort, cli.Timeout(obj, "waiting for a reader ("+delivered+")")
	case errors.Is(err, ring.ErrReaderClosed):
		return ring.Abort, cli.Failf(obj, "", "the reader closed the stream; %s", delivered)
	case errors.As(err, &died):
		return ring.Abort, cli.Failf(obj, "", "%v; %s", died, delivered)
	case errors.As(err, &rerr):
		return ring.Abort, cli.Failf("standard input", "", "%v; %s", cli.Message(rerr.Err), delivered)
	case errors.As(err, &cerr):
		return ring.Abort, cli.Failf(obj, "remove it with shmcat --rm", "%v; %s", cerr, delivered)
	case errors.Is(err, fault.ErrFault), errors.Is(err, shm.ErrNoSpace):
		return ring.Abort, spaceErr(obj, err, delivered)
	}
	return ring.Abort, err // a signal: cli exits 128+N
}

// receiveResult maps how a Receive ended to the way the reader leaves the
// ring and the run's error; n bytes went to standard output.
func receiveResult(err error, obj string, n int64) (ring.Outcome, error) {
	var died *ring.PeerDiedError
	var werr *ring.WriteError
	var cerr *ring.CorruptError
	switch {
	case err == nil:
		return ring.Done, nil
	case errors.Is(err, ring.ErrWriterStopped):
		return ring.Done, cli.Failf(obj, "", "%v; %d bytes received", err, n)
	case errors.As(err, &died):
		return ring.Done, cli.Failf(obj, "", "%v; %d bytes received", died, n)
	case errors.Is(err, ring.ErrIdle) && n == 0:
		return ring.Detach, cli.Timeout(obj, "waiting for the writer")
	case errors.Is(err, ring.ErrWouldBlock) && n == 0:
		return ring.Detach, cli.Nothing(obj, "the ring is empty")
	case errors.Is(err, ring.ErrIdle), errors.Is(err, ring.ErrWouldBlock):
		return ring.Detach, nil
	case errors.As(err, &werr):
		return ring.Abort, cli.Output(werr.Err)
	case errors.As(err, &cerr):
		return ring.Abort, cli.Failf(obj, "remove it with shmcat --rm", "%v; %d bytes received", cerr, n)
	case errors.Is(err, fault.ErrFault), errors.Is(err, shm.ErrNoSpace):
		return ring.Abort, spaceErr(obj, err, fmt.Sprintf("%d bytes received", n))
	}
	return ring.Abort, err
}

// openRing opens the ring, creating it when absent (ring.Join), and says
// what went wrong in shmcat's words.
func openRing(ctx context.Context, o *options, act cli.Action, name ipcname.Name, obj string) (*shm.Segment, *ring.Ring, error) {
	capacity := int64(ring.DefaultCapacity)
	if o.Size.Set {
		capacity = o.Size.N
	}
	seg, r, err := ring.Join(ctx, name, capacity, o.Mode.Or(0o600), act == cli.ActWrite && o.Excl)
	var oe *ring.OpenError
	var ie *ring.InitError
	var se *shm.SpaceError
	switch {
	case err == nil:
	case errors.Is(err, ring.ErrNoHeader):
		return nil, nil, cli.Failf(obj, "it is not a ring; remove it with shmcat --rm, or read it without --stream", "%v", err)
	case errors.As(err, &oe):
		return nil, nil, openErr(obj, oe.Err)
	case errors.As(err, &ie) && ie.Reserve && errors.As(ie.Err, &se):
		se.What = "a " + meter.Bytes(capacity) + " ring"
		return nil, nil, cli.Fail(obj, se, shm.SpaceHint+", or use a smaller -s")
	case errors.As(err, &ie) && ie.Reserve:
		return nil, nil, cli.Fail(obj, ie.Err, "")
	case errors.As(err, &ie):
		return nil, nil, spaceErr(obj, ie.Err, "")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, nil, err
	default:
		return nil, nil, ringErr(obj, err)
	}
	if o.Size.Set && o.Size.N != r.Capacity() {
		seg.Close()
		return nil, nil, cli.Failf(obj, "leave out -s to join it", "ring holds %d bytes, not %d (-s)", r.Capacity(), o.Size.N)
	}
	return seg, r, nil
}

// spaceErr makes err, from a write into the segment, the run's error,
// with the hint for a full /dev/shm when that was the cause and what
// was done before it (when not empty) after the message.
func spaceErr(obj string, err error, done string) error {
	if err == nil {
		return nil
	}
	if done != "" {
		done = "; " + done
	}
	var se *shm.SpaceError
	if errors.As(err, &se) {
		return cli.Failf(obj, shm.SpaceHint, "%v%s", se, done)
	}
	return cli.Failf(obj, "", "%v%s", err, done)
}

// ringErr explains a segment that is not a usable ring.
func ringErr(obj string, err error) error {
	var ce *ring.CorruptError
	switch {
	case errors.Is(err, ring.ErrNotRing):
		return cli.Fail(obj, err, "read it without --stream, or use another key or name")
	case errors.As(err, &ce):
		return cli.Fail(obj, err, "remove it with shmcat --rm")
	}
	return cli.Fail(obj, err, "")
}

// statRing is --stat: the segment's attributes, and the ring's when it
// holds one. With --stream, a segment that is not a ring is an error.
func statRing(env *cli.Env, o *options, name ipcname.Name, obj string) error {
	i, err := shm.StatName(name)
	if err != nil {
		return openErr(obj, err)
	}
	rec := withIdle(o, time.Now(), i)
	extra := ring.StatFields(name, i.Size)
	if extra == nil && o.Stream {
		return cli.Fail(obj, ring.ErrNotRing, "leave out --stream to see the segment")
	}
	return cli.Output(report.Stat(env.Stdout, o.JSON, append(rec, extra...)))
}
