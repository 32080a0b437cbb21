// Package cli is what the six tools share at the command line: go-flags
// parsing, the common options of SPEC section 1, the one-line error form
// "tool: object: message; hint", and the exit statuses 0/1/2/3/128+N.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jessevdk/go-flags"
)

// Version is the suite's version, printed by --version.
const Version = "0.1.0"

// Common holds the options every tool accepts.
type Common struct {
	Verbose  bool `short:"v" long:"verbose" description:"Print a summary of each transfer on standard error"`
	Progress bool `long:"progress" description:"Show a live byte count and rate on standard error"`
	JSON     bool `long:"json" description:"Print --stat and --list output as JSON"`
	Version  bool `long:"version" description:"Print the version and exit"`
}

// Wait holds the bounded-wait options of the tools that block on an object
// (sockcat spells them nc's way and declares its own).
type Wait struct {
	Timeout  Duration `short:"t" long:"timeout" value-name:"DURATION" description:"Give up waiting after DURATION (2, 1.5s, 500ms): exit 3 if nothing moved"`
	Nonblock bool     `short:"n" long:"nonblock" description:"Never wait: exit 3 if nothing is available"`
}

// Deadline returns the context bounded by -t as a length of the whole
// run, for shmcat's and mmapcat's -f ("follow for DURATION", as their
// man pages say; a follower whose window changes every second would
// never end under Bound) and for their single wait for an object to
// appear. Every other -t is Bound.
func (w *Wait) Deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if w.Timeout.Set {
		return context.WithTimeout(ctx, w.Timeout.D)
	}
	return context.WithCancel(ctx)
}

// Helper is implemented by a tool's options that word a shared option
// (of Common, Wait, Actions...) for that tool: Help maps the option's
// long name to the tool's description. The struct stays the shared one.
type Helper interface{ Help() map[string]string }

// Parser builds the go-flags parser of tool over opts. Tools and tests
// (the man-page check, completion) share it so they see the same flags.
func Parser(tool, usage string, opts any) *flags.Parser {
	p := flags.NewNamedParser(tool, flags.HelpFlag|flags.PassDoubleDash)
	p.Usage = usage
	if _, err := p.AddGroup("Options", "", opts); err != nil {
		panic(err) // a malformed options struct is a programming error
	}
	if h, ok := opts.(Helper); ok {
		for long, text := range h.Help() {
			o := p.FindOptionByLongName(long)
			if o == nil {
				panic(tool + ": Help() words --" + long + ", which it does not have")
			}
			o.Description = text
		}
	}
	return p
}

// Env is what a tool's run function works with, so that tests and main
// agree on where input, output and diagnostics go.
type Env struct {
	Tool   string
	Args   []string // arguments left after the options
	Stdin  *os.File
	Stdout *os.File
	Stderr io.Writer

	mu       sync.Mutex
	cleanups []*cleanup
}

type cleanup struct {
	once sync.Once
	f    func()
}

// Cleanup registers f, a removal that --rm asked for, and returns the
// function that runs it. f runs at most once: when the tool calls the
// returned function (usually deferred), or when a second SIGINT/SIGTERM
// makes the tool exit at once, before it exits. So an insistent signal
// never skips --rm.
func (e *Env) Cleanup(f func()) (run func()) {
	c := &cleanup{f: f}
	e.mu.Lock()
	e.cleanups = append(e.cleanups, c)
	e.mu.Unlock()
	return func() { c.once.Do(c.f) }
}

// runCleanups runs every registered cleanup not yet run, newest first.
func (e *Env) runCleanups() {
	e.mu.Lock()
	cs := append([]*cleanup(nil), e.cleanups...)
	e.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i].once.Do(cs[i].f)
	}
}

// Warnf prints a one-line diagnostic "tool: message" on standard error.
func (e *Env) Warnf(format string, args ...any) {
	fmt.Fprintf(e.Stderr, "%s: %s\n", e.Tool, fmt.Sprintf(format, args...))
}

// StopGrace is how long a run has, after SIGINT or SIGTERM, to finish
// its current unit, deliver what it holds and clean up, before Main runs
// the registered cleanups and exits with 128+N itself. SPEC wants every
// tool gone within half a second of one signal.
const StopGrace = 400 * time.Millisecond

// Base gives Run the Common options of a tool's options struct, which
// embeds Common and so has this method.
func (c *Common) Base() *Common { return c }

// Run is a tool's whole main: Main over a zero O, handing run the parsed
// options. func main() { os.Exit(cli.Run("tool", usage, run)) }
func Run[O any, P interface {
	*O
	Base() *Common
}](tool, usage string, run func(context.Context, *Env, P) error) int {
	o := P(new(O))
	return Main(tool, usage, o, o.Base(), func(ctx context.Context, env *Env) error { return run(ctx, env, o) })
}

// Main parses the command line into opts, runs run with a context that
// SIGINT and SIGTERM cancel, prints any error as one line and returns the
// exit status. A second signal exits at once, after the cleanups the run
// registered with Env.Cleanup.
func Main(tool, usage string, opts any, common *Common, run func(ctx context.Context, env *Env) error) int {
	env := &Env{Tool: tool, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	p := Parser(tool, usage, opts)
	if completeShort(os.Stdout, p, os.Args[1:]) {
		return ExitOK
	}
	args, err := p.ParseArgs(os.Args[1:])
	if err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			fmt.Fprintln(os.Stdout, strings.TrimRight(fe.Message, "\n"))
			return ExitOK
		}
		return usage2(env, flagMessage(err))
	}
	if common != nil && common.Version {
		fmt.Fprintf(os.Stdout, "%s (ipcats) %s\n", tool, Version)
		return ExitOK
	}
	env.Args = args
	if err := startPoller(); err != nil {
		code, msg := Status(context.Background(), err)
		fmt.Fprintf(env.Stderr, "%s: %s\n", tool, msg)
		return code
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := (<-sigs).(syscall.Signal)
		first := time.Now()
		cancel(&SignalError{Sig: s})
		// A run stuck where no context reaches (a write(2) to a pipe
		// that nobody reads, a page fault on a remote mapping) must not
		// hold the user's stop: after StopGrace, clean up and go.
		time.AfterFunc(StopGrace, func() {
			env.runCleanups()
			os.Exit(128 + int(s))
		})
		for again := range sigs {
			// The same signal again at once is one event sent twice
			// (timeout(1) signals its child, then its process group),
			// not the user insisting: let cleanup run.
			if again == s && time.Since(first) < 250*time.Millisecond {
				continue
			}
			env.runCleanups() // the user insists: --rm still happens
			os.Exit(128 + int(again.(syscall.Signal)))
		}
	}()

	code, msg := Status(ctx, run(ctx, env))
	if code == ExitUsage {
		return usage2(env, msg)
	}
	if msg != "" {
		fmt.Fprintf(env.Stderr, "%s: %s\n", tool, msg)
	}
	return code
}

func usage2(env *Env, msg string) int {
	fmt.Fprintf(env.Stderr, "%s: %s\nTry '%s --help'.\n", env.Tool, msg, env.Tool)
	return ExitUsage
}

// flagMessage turns go-flags' messages into ours: straight quotes, no
// Go type names.
func flagMessage(err error) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, "`", "'")
	if i := strings.Index(msg, " (expected "); i >= 0 {
		if j := strings.Index(msg[i:], ")"); j >= 0 {
			msg = msg[:i] + msg[i+j+1:]
		}
	}
	return msg
}

// OneOf returns a usage error when more than one of the named flags is set.
// Each pair is a flag's name as the user types it and whether it was given.
func OneOf(flagsGiven ...any) error {
	var on []string
	for i := 0; i+1 < len(flagsGiven); i += 2 {
		if flagsGiven[i+1].(bool) {
			on = append(on, flagsGiven[i].(string))
		}
	}
	if len(on) > 1 {
		return Usagef("%s cannot be combined", strings.Join(on, " and "))
	}
	return nil
}

// Missing is what shmcat and mmapcat do when the object a read names is
// not there (after -c had its chance): -n ends the run, exit 3 ("no such
// THING"); without -t it is not found (exit 1, hinting at -c and -t);
// with -t it pauses (Appear) before the caller looks again.
func Missing(ctx context.Context, object, thing string, nonblock, wait bool, notExist error) error {
	switch {
	case nonblock:
		return Nothing(object, "no such "+thing)
	case !wait:
		return Fail(object, notExist, "use -c to create it, or -t to wait for it")
	}
	return Appear(ctx, object, thing)
}

// Appear pauses before a tool looks again for an object that does not
// exist yet (-t waiting for it to appear): nil after a short interval, a
// timeout (exit 3) "waiting for the THING to appear" once -t has expired,
// or ctx's error when a signal cancelled the run.
func Appear(ctx context.Context, object, thing string) error {
	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Timeout(object, "waiting for the "+thing+" to appear")
		}
		return ctx.Err()
	case <-time.After(20 * time.Millisecond):
		return nil
	}
}

// CheckReport is the rule of -v and --progress for the object tools:
// --progress shows a transfer as it runs; -v sums up a transfer or says
// what --rm removed (--rm --stale prints each removal anyway), and has
// nothing to add to --list or --stat.
func (c *Common) CheckReport(act Action) error {
	switch transfer := act == ActRead || act == ActWrite; {
	case c.Progress && !transfer:
		return Usagef("--progress goes with -r or -w")
	case c.Verbose && (act == ActList || act == ActStat):
		return Usagef("-v goes with -r, -w or --rm")
	}
	return nil
}
