package coproc

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
)

// Starved returns the errno if err is this process running out of
// descriptors (EMFILE, ENFILE) while starting a command: the caller's
// limit, not the command's fault, so not a shell's 126.
func Starved(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) && (errno == syscall.EMFILE || errno == syscall.ENFILE) {
		return errno
	}
	return nil
}

// Join is the data path around a started coprocess: In feeds its
// standard input through ToW, and its standard output, read from FromR,
// drains into Out. Pump closes ToW and FromR.
type Join struct {
	In, Out        int
	ToW, FromR     *os.File
	Sent, Received *meter.Meter
	// Grace is how long the command has, after a stop signal was passed
	// on to it, to end and have its output delivered.
	Grace time.Duration
	// Tee, if set, is told what goes to the command (dump.Sent) and what
	// comes from it (dump.Received): pipecat -x. Both copies then go
	// through read/write (relay.TeeCopy) instead of splice.
	Tee relay.Tee
}

// copy is relay.Copy, or with a Tee relay.TeeCopy in direction d.
func (j *Join) copy(ctx context.Context, dst, src int, m *meter.Meter, d dump.Dir) (int64, error) {
	if j.Tee != nil {
		return relay.TeeCopy(ctx, dst, src, m, j.Tee, d)
	}
	return relay.Copy(ctx, dst, src, m)
}

// Outcome is how a pumped coprocess ended.
type Outcome struct {
	Status int            // as a shell reports it: exit code or 128+N
	Sig    syscall.Signal // the signal that killed it, if one did
	// Abandoned: a stop signal came and the command did not end, with
	// its output delivered, within Grace; it was killed.
	Abandoned bool
	FeedErr   error // reading In failed (the command not reading is its business)
	DrainErr  error // copying its output to Out failed (a relay.ReadError or WriteError)
	WaitErr   error
}

// Pump moves data both ways until the command has ended and every holder
// of its standard output has closed it. When ctx is cancelled, stop(p)
// runs (to pass the signal on); the command decides how to end, and its
// output keeps flowing for Grace; then Pump abandons the output and kills
// the command.
func (p *Proc) Pump(ctx context.Context, j Join, stop func(*Proc)) Outcome {
	drainCtx, stopDrain := context.WithCancel(context.Background())
	defer stopDrain()
	var abandoned atomic.Bool
	var mu sync.Mutex
	var giveUp *time.Timer
	stopFwd := context.AfterFunc(ctx, func() {
		stop(p)
		mu.Lock()
		giveUp = time.AfterFunc(j.Grace, func() {
			abandoned.Store(true)
			stopDrain()
			p.Kill()
		})
		mu.Unlock()
	})
	defer func() {
		stopFwd()
		mu.Lock()
		if giveUp != nil {
			giveUp.Stop()
		}
		mu.Unlock()
	}()

	// In -> the command. Its end of file closes the command's standard
	// input; a failed write means the command stopped reading, which is
	// its business (as for `yes | head -1`).
	feedCtx, stopFeed := context.WithCancel(context.Background())
	defer stopFeed()
	var o Outcome
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := j.copy(feedCtx, int(j.ToW.Fd()), j.In, j.Sent, dump.Sent)
		j.ToW.Close()
		var we *relay.WriteError
		if err != nil && !errors.As(err, &we) && !errors.Is(err, context.Canceled) {
			o.FeedErr = err
		}
	}()
	// The command -> Out, until every holder of its standard output has
	// closed it. If Out is gone, closing the pipe makes the command's
	// next write fail as it would in a shell pipeline.
	_, o.DrainErr = j.copy(drainCtx, j.Out, int(j.FromR.Fd()), j.Received, dump.Received)
	j.FromR.Close()
	o.Status, o.Sig, o.WaitErr = p.Wait()
	// The command is gone: stop waiting for input it will never read.
	stopFeed()
	wg.Wait()
	o.Abandoned = abandoned.Load()
	return o
}
