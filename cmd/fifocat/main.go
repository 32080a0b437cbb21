// Command fifocat copies standard input into a named pipe, or a named pipe
// to standard output, and inspects and removes FIFOs. See man/fifocat.1.
package main

import (
	"context"
	"os"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fifo"
	"github.com/ipcats/ipcats/internal/ipcname"
)

const usage = "[OPTIONS]"

// options declares fifocat's own actions and waits rather than embedding
// cli.Actions and cli.Wait, so that --help speaks of FIFOs and peers.
type options struct {
	cli.Common
	cli.Idle
	Read     bool         `short:"r" long:"read" description:"Copy the FIFO to standard output until the last writer closes it (the default action)"`
	Write    bool         `short:"w" long:"write" description:"Copy standard input into the FIFO"`
	Stat     bool         `long:"stat" description:"Print the FIFO's mode, owner, capacity, bytes queued and holders, and exit"`
	List     bool         `long:"list" description:"List the FIFOs held open anywhere, and the stale ones found in PATH (default: /tmp and the like)"`
	Rm       bool         `long:"rm" description:"Remove the FIFO; with -r or -w, after a successful transfer"`
	Stale    bool         `long:"stale" description:"With --rm, remove every FIFO nobody holds; with --list, list only those"`
	DryRun   bool         `long:"dry-run" description:"With --rm --stale, print what would be removed and remove nothing"`
	Timeout  cli.Duration `short:"t" long:"timeout" value-name:"DURATION" description:"Give up when nothing has moved for DURATION (2, 1.5s, 500ms), waiting for the peer or mid-transfer: exit 3 if nothing moved"`
	Nonblock bool         `short:"n" long:"nonblock" description:"Never wait for a peer: exit 3 at once if none has the FIFO open"`
	Excl     bool         `short:"x" long:"excl" description:"Fail if PATH already exists (both directions create it)"`
	Mode     ipcname.Mode `short:"m" long:"mode" value-name:"OCTAL" description:"Permissions of a created FIFO (default 0600)"`
	Size     ipcname.Size `short:"s" long:"size" value-name:"SIZE" description:"Set the pipe buffer to SIZE bytes (F_SETPIPE_SZ)"`
	Keep     bool         `short:"k" long:"keep-open" description:"With -r, keep reading as writers come and go"`
	Lines    bool         `long:"lines" description:"With -w, write each line whole with one write(2), so concurrent writers never interleave"`
	Args     struct {
		Path string `positional-arg-name:"PATH"`
	} `positional-args:"yes"`
}

func main() {
	var o options
	os.Exit(cli.Main("fifocat", usage, &o, &o.Common, func(ctx context.Context, env *cli.Env) error {
		return run(ctx, env, &o)
	}))
}

func run(ctx context.Context, env *cli.Env, o *options) (err error) {
	path := o.Args.Path
	// (PATH is checked below: --list and --rm --stale take a directory.)
	act, rmAfter, done, err := env.Start(cli.Start{
		Actions:     &cli.Actions{Read: o.Read, Write: o.Write, Stat: o.Stat, List: o.List, Rm: o.Rm, Stale: o.Stale, DryRun: o.DryRun},
		Check:       func(act cli.Action) error { return checkFlags(act, o) },
		List:        func() error { return list(env, o, path) },
		RemoveStale: func() error { return removeStale(env, o, path) },
	})
	if done {
		return err
	}
	if path == "" {
		return cli.Usagef("missing PATH: the FIFO to use")
	}
	switch act {
	case cli.ActStat:
		return stat(env, o, path)
	case cli.ActRemove:
		return fifo.Remove(path)
	}
	f, created, err := fifo.Ensure(path, o.Mode.Or(0o600), o.Excl)
	if err != nil {
		return err
	}
	if rmAfter {
		defer env.RemoveAfter(ctx, func() error { return f.RemoveAfter() })(&err)
	}
	if created {
		// What a failed run created, it removes: after -n or -t found
		// no peer, and after any failure (a descriptor limit, a peer
		// gone mid-transfer), unless another process holds the FIFO or
		// is opening it. A run stopped by a signal leaves it, as --rm
		// did not ask for its removal.
		defer func() {
			if err != nil && ctx.Err() == nil {
				f.Forget()
			}
		}()
	}
	if act == cli.ActWrite {
		return write(ctx, env, o, path)
	}
	return read(ctx, env, o, path)
}

// checkFlags refuses options that mean nothing with the chosen action.
func checkFlags(act cli.Action, o *options) error {
	if err := cli.OneOf("-t", o.Timeout.Set, "-n", o.Nonblock); err != nil {
		return err
	}
	if o.Keep && act != cli.ActRead {
		return cli.Usagef("-k goes with -r")
	}
	if err := cli.OneOf("-k", o.Keep, "-n", o.Nonblock); err != nil {
		return err
	}
	transfer := act == cli.ActRead || act == cli.ActWrite
	switch {
	case o.Lines && act != cli.ActWrite:
		return cli.Usagef("--lines goes with -w")
	case !transfer && (o.Excl || o.Mode.Set || o.Size.Set || o.Timeout.Set || o.Nonblock):
		return cli.Usagef("-x, -m, -s, -t and -n go with -r or -w")
	case !transfer && (o.Verbose || o.Progress):
		return cli.Usagef("-v and --progress go with -r or -w")
	case o.JSON && act != cli.ActStat && act != cli.ActList:
		return cli.Usagef("--json goes with --stat or --list")
	case o.Size.Set && o.Size.N == 0:
		return cli.Usagef("-s needs a positive size")
	}
	return nil
}
