// Command fifocat copies standard input into a named pipe, or a named pipe
// to standard output, and inspects and removes FIFOs. See man/fifocat.1.
package main

import (
	"context"
	"os"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/fifo"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/report"
)

const usage = "[OPTIONS]"

type options struct {
	cli.Common
	cli.Idle
	cli.Actions
	cli.Sweeping
	cli.Wait
	Excl         bool         `short:"x" long:"excl" description:"Fail if PATH already exists (both directions create it)"`
	Mode         ipcname.Mode `short:"m" long:"mode" value-name:"OCTAL" description:"Permissions of a created FIFO (default 0600)"`
	Size         ipcname.Size `short:"s" long:"size" value-name:"SIZE" description:"Set the pipe buffer to SIZE bytes (F_SETPIPE_SZ)"`
	Keep         bool         `short:"k" long:"keep-open" description:"With -r, keep reading as writers come and go"`
	Lines        bool         `long:"lines" description:"With -w, write each line whole with one write(2), so concurrent writers never interleave"`
	cli.DumpLong              // --hexdump only: -x is --excl
	Args         struct {
		Path string `positional-arg-name:"PATH"`
	} `positional-args:"yes"`
}

// Help words the shared actions and waits for FIFOs and their peers.
func (*options) Help() map[string]string {
	return map[string]string{
		"read":     "Copy the FIFO to standard output until the last writer closes it (the default action)",
		"write":    "Copy standard input into the FIFO",
		"stat":     "Print the FIFO's mode, owner, capacity, bytes queued and holders, and exit",
		"list":     "List the FIFOs held open anywhere, and the stale ones found in PATH (default: /tmp and the like)",
		"rm":       "Remove the FIFO; with -r or -w, after a successful transfer",
		"ns":       "With --stat, --rm, or --list/--rm --stale DIR, take the path as process PID (a container) sees it",
		"stale":    "With --rm, remove every FIFO nobody holds; with --list, list only those",
		"timeout":  "Give up when nothing has moved for DURATION (2, 1.5s, 500ms), waiting for the peer or mid-transfer: exit 3 if nothing moved",
		"nonblock": "Never wait for a peer: exit 3 at once if none has the FIFO open",
	}
}

func main() { os.Exit(cli.Run("fifocat", usage, run)) }

func run(ctx context.Context, env *cli.Env, o *options) (err error) {
	path := o.Args.Path
	// (PATH is checked below: --list and --rm --stale take a directory.)
	act, rmAfter, done, err := env.Start(cli.Start{
		Actions:     &o.Actions,
		Sweeping:    &o.Sweeping,
		Check:       func(act cli.Action) error { return checkNS(act, o, checkFlags(act, o)) },
		List:        func() error { return o.NS.InFiles(func() error { return list(env, o, ns.Path(path)) }) },
		RemoveStale: func() error { return o.NS.InFiles(func() error { return removeStale(env, o, ns.Path(path)) }) },
	})
	if done {
		return err
	}
	if path == "" {
		return cli.Usagef("missing PATH: the FIFO to use")
	}
	switch act {
	case cli.ActStat:
		return o.NS.InFiles(func() error { return stat(env, o, ns.Path(path)) })
	case cli.ActRemove:
		return o.NS.InFiles(env.Remover(o.Verbose, "FIFO", report.Escape(path), func() error { return fifo.Remove(ns.Path(path)) }))
	}
	f, created, err := fifo.Ensure(path, o.Mode.Or(0o600), o.Excl)
	if err != nil {
		return err
	}
	if rmAfter {
		defer env.RemoveAfter(ctx, env.Remover(o.Verbose, "FIFO", report.Escape(path), f.RemoveAfter))(&err)
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
	if err := o.CheckReport(act); err != nil {
		return err
	}
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
	case o.JSON && act != cli.ActStat && act != cli.ActList:
		return cli.Usagef("--json goes with --stat or --list")
	case o.DumpTo.On(o.Hexdump) && !transfer:
		return cli.Usagef("--hexdump, --dump and --dump-format go with -r or -w")
	case o.Size.Set && o.Size.N == 0:
		return cli.Usagef("-s needs a positive size")
	}
	return nil
}
