package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/coproc"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
)

// end is one side of a transfer: a descriptor and how messages name it.
type end struct {
	fd   int
	name string
}

// ends resolves --in and --out, checking that each descriptor is open in
// the direction it will be used.
func ends(env *cli.Env, o *options) (in, out end, err error) {
	in = end{int(env.Stdin.Fd()), "standard input"}
	out = end{int(env.Stdout.Fd()), "standard output"}
	if o.In.Set {
		in = end{o.In.N, fmt.Sprintf("fd %d", o.In.N)}
	}
	if o.Out.Set {
		out = end{o.Out.N, fmt.Sprintf("fd %d", o.Out.N)}
	}
	if err := check(in, true); err != nil {
		return in, out, err
	}
	return in, out, check(out, false)
}

func check(e end, read bool) error {
	fl, err := unix.FcntlInt(uintptr(e.fd), unix.F_GETFL, 0)
	if err == unix.EBADF || !cli.Inherited(e.fd) {
		redir := fmt.Sprintf("%d>file", e.fd)
		if read {
			redir = fmt.Sprintf("%d<file", e.fd)
		}
		return cli.Failf(e.name, "open it in the shell, e.g. "+redir, "not an open descriptor")
	}
	if err != nil {
		return cli.Fail(e.name, err, "")
	}
	switch acc := fl & unix.O_ACCMODE; {
	case read && acc == unix.O_WRONLY:
		return cli.Failf(e.name, "", "open for writing only; cannot read from it")
	case !read && acc == unix.O_RDONLY:
		return cli.Failf(e.name, "", "open for reading only; cannot write to it")
	}
	return nil
}

// growTo is the capacity pipecat gives the pipes it copies between when
// -s is not given: 1 MiB (or fs.pipe-max-size, if lower) instead of the
// default 64 KiB, so that each stage wakes up 16 times less often.
const growTo = 1 << 20

// resize applies -s to each descriptor that is a pipe, or without -s
// grows it to growTo.
func resize(o *options, es ...end) error {
	for _, e := range es {
		if relay.KindOf(e.fd) != relay.Pipe {
			continue
		}
		if !o.Size.Set {
			relay.Grow(e.fd, growTo)
			continue
		}
		if _, err := relay.SetPipeSize(e.fd, o.Size.N); err != nil {
			return cli.Fail(e.name, err, "")
		}
	}
	return nil
}

// copyErr names the side of a failed copy; a closed standard output is a
// quiet exit 141, as for cat.
func copyErr(err error, in, out end) error {
	var we *relay.WriteError
	var re *relay.ReadError
	switch {
	case errors.As(err, &we) && out.name == "standard output":
		return cli.Output(we.Err)
	case errors.As(err, &we):
		return cli.Fail(out.name, we.Err, "")
	case errors.As(err, &re):
		return cli.Fail(in.name, re.Err, "")
	}
	return err
}

// passThrough copies input to output: splice(2) when either is a pipe,
// so that between two pipes no byte is copied through this process.
func passThrough(ctx context.Context, env *cli.Env, o *options) error {
	in, out, err := ends(env, o)
	if err != nil {
		return err
	}
	if err := resize(o, in, out); err != nil {
		return err
	}
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	_, err = relay.Copy(ctx, out.fd, in.fd, m)
	m.Stop()
	if err != nil {
		return copyErr(err, in, out)
	}
	if o.Verbose {
		env.Warnf("%s", m.Summary("copied", "from "+in.name+" to "+out.name))
	}
	return nil
}

// stopGrace is how long the command has, after pipecat passed it SIGINT
// or SIGTERM, to end and have its output delivered. It is shorter than
// cli.StopGrace, so that pipecat ends the command and exits with 128+N
// by itself, within SPEC's half second.
const stopGrace = 250 * time.Millisecond

// coprocess runs argv joined by two pipes: our input -> its standard
// input, its standard output -> our output. The exit status is the
// command's; SIGINT and SIGTERM are passed on to it.
func coprocess(ctx context.Context, env *cli.Env, o *options, argv []string) error {
	in, out, err := ends(env, o)
	if err != nil {
		return err
	}
	if err := resize(o, in, out); err != nil {
		return err
	}
	toR, toW, err := os.Pipe()
	if err != nil {
		return cli.Fail("pipe", err, "")
	}
	fromR, fromW, err := os.Pipe()
	if err != nil {
		toR.Close()
		toW.Close()
		return cli.Fail("pipe", err, "")
	}
	mine := []end{{int(toW.Fd()), "pipe"}, {int(fromR.Fd()), "pipe"}}
	if err := resize(o, mine...); err != nil {
		toR.Close()
		toW.Close()
		fromR.Close()
		fromW.Close()
		return err
	}
	p, err := coproc.Start(argv, toR, fromW, os.Stderr)
	toR.Close()
	fromW.Close()
	if err != nil {
		toW.Close()
		fromR.Close()
		var se *coproc.StartError
		if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
			// pipecat's own descriptor limit, not the command's fault.
			var errno unix.Errno
			errors.As(err, &errno)
			return cli.Fail(argv[0], fmt.Errorf("cannot start it: %w", errno), "")
		}
		if errors.As(err, &se) {
			return &cli.Error{Code: se.Status, Object: se.Name, Err: errors.New(se.Msg())}
		}
		return cli.Fail(argv[0], err, "")
	}
	name := argv[0]
	// However the run ends, the command does not outlive it: a second
	// signal, or cli.Main's watchdog, kills it before pipecat exits.
	defer env.Cleanup(p.Kill)()
	// Pass SIGINT and SIGTERM on; the command decides how to end, and its
	// output keeps flowing until it does, for stopGrace. Then pipecat
	// stops waiting: it abandons the output it could not deliver and
	// kills the command if it is still there.
	drainCtx, stopDrain := context.WithCancel(context.Background())
	defer stopDrain()
	var abandoned atomic.Bool
	var giveUp *time.Timer
	var giveUpMu sync.Mutex
	stopFwd := context.AfterFunc(ctx, func() {
		var sig *cli.SignalError
		if errors.As(context.Cause(ctx), &sig) {
			p.Signal(sig.Sig)
		}
		giveUpMu.Lock()
		giveUp = time.AfterFunc(stopGrace, func() {
			abandoned.Store(true)
			stopDrain()
			p.Kill()
		})
		giveUpMu.Unlock()
	})
	defer func() {
		stopFwd()
		giveUpMu.Lock()
		if giveUp != nil {
			giveUp.Stop()
		}
		giveUpMu.Unlock()
	}()

	mIn := meter.New(env.Tool, nil, false)
	mOut := meter.New(env.Tool, env.Stderr, o.Progress)
	// Our input -> the command. Its end of file closes the command's
	// standard input; EPIPE means the command stopped reading, which is
	// its business (as for `yes | head -1`).
	feedCtx, stopFeed := context.WithCancel(context.Background())
	defer stopFeed()
	var feedErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := relay.Copy(feedCtx, int(toW.Fd()), in.fd, mIn)
		toW.Close()
		var we *relay.WriteError
		if err != nil && !errors.As(err, &we) && !errors.Is(err, context.Canceled) {
			feedErr = copyErr(err, in, out)
		}
	}()
	// The command -> our output, until every holder of its standard
	// output has closed it. If our output is gone, closing the pipe makes
	// the command's next write fail as it would in a shell pipeline.
	_, drainErr := relay.Copy(drainCtx, out.fd, int(fromR.Fd()), mOut)
	fromR.Close()
	status, sig, werr := p.Wait()
	mOut.Stop()
	// The command is gone: stop waiting for input it will never read.
	stopFeed()
	wg.Wait()
	if abandoned.Load() {
		// Stopped by a signal with output undelivered, or the command
		// outstayed it: 128+N of the signal.
		return context.Cause(ctx)
	}
	if werr != nil {
		return cli.Fail(name, werr, "")
	}
	if o.Verbose {
		env.Warnf("%s", mIn.Summary("sent", "to "+name))
		env.Warnf("%s", mOut.Summary("received", "from "+name))
	}
	var re *relay.ReadError
	if drainErr != nil && errors.As(drainErr, &re) {
		return cli.Fail(name, re.Err, "reading its output")
	}
	if drainErr != nil && out.name != "standard output" {
		return copyErr(drainErr, in, out)
	}
	if feedErr != nil {
		return feedErr
	}
	switch {
	case sig != 0:
		return &cli.SignalError{Sig: sig}
	case drainErr != nil && status == 0:
		// Our standard output failed but the command did not notice.
		return copyErr(drainErr, in, out)
	}
	// The command's status is ours, also when it caught a signal we passed on.
	return cli.ExitStatus(status)
}
