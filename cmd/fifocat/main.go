// Command fifocat copies standard input into a named pipe, or a named pipe
// to standard output, and inspects and removes FIFOs. See man/fifocat.1.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
)

const usage = "[OPTIONS]"

type options struct {
	cli.Common
	cli.Actions
	cli.Wait
	Excl  bool         `short:"x" long:"excl" description:"Fail if PATH already exists (both directions create it)"`
	Mode  ipcname.Mode `short:"m" long:"mode" value-name:"OCTAL" description:"Permissions of a created FIFO (default 0600)"`
	Size  ipcname.Size `short:"s" long:"size" value-name:"SIZE" description:"Set the pipe buffer to SIZE bytes (F_SETPIPE_SZ)"`
	Keep  bool         `short:"k" long:"keep-open" description:"With -r, keep reading as writers come and go"`
	Lines bool         `long:"lines" description:"With -w, write each line whole with one write(2), so concurrent writers never interleave"`
	Args  struct {
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
	act, rmAfter, err := o.Actions.Resolve()
	if err != nil {
		return err
	}
	if err := checkFlags(act, o); err != nil {
		return err
	}
	if len(env.Args) > 0 {
		return cli.Usagef("unexpected argument %q", env.Args[0])
	}
	path := o.Args.Path
	switch act {
	case cli.ActList:
		return list(env, o, path)
	case cli.ActRemoveStale:
		return removeStale(env, o, path)
	}
	if path == "" {
		return cli.Usagef("missing PATH: the FIFO to use")
	}
	switch act {
	case cli.ActStat:
		return stat(env, o, path)
	case cli.ActRemove:
		return remove(path)
	}
	if rmAfter {
		// --rm with -r/-w: remove once the transfer is done, also when a
		// signal ended it (SPEC: clean up, then exit 128+N).
		defer func() {
			if err == nil || errors.Is(err, context.Canceled) {
				if rerr := remove(path); rerr != nil && err == nil {
					err = rerr
				}
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
	if err := cli.OneOf("-k", o.Keep, "-n", o.Nonblock); err != nil {
		return err
	}
	transfer := act == cli.ActRead || act == cli.ActWrite
	switch {
	case o.Keep && act != cli.ActRead:
		return cli.Usagef("-k goes with -r")
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
