// Command pipecat copies standard input to standard output through the
// fastest path the kernel offers, runs a command as a coprocess joined by
// two pipes, and shows who holds which end of the pipes on the system.
// See man/pipecat.1.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/watch"
)

const usage = "[OPTIONS] [-- CMD [ARGS...]]\n  pipecat --stat [OPTIONS] [FD]\n  pipecat --list [OPTIONS]"

type options struct {
	cli.Common
	Stat bool         `long:"stat" description:"Print what descriptor FD (default 0) is and who holds the other end, and exit"`
	List bool         `long:"list" description:"List every pipe on the system as writers -> readers, and exit"`
	Size ipcname.Size `short:"s" long:"size" value-name:"SIZE" description:"Set the buffer of every pipe pipecat makes or is handed (F_SETPIPE_SZ)"`
	In   FD           `long:"in" value-name:"FD" description:"Read from inherited descriptor FD instead of standard input"`
	Out  FD           `long:"out" value-name:"FD" description:"Write to inherited descriptor FD instead of standard output"`
	cli.Dump
	watch.Option
	PID  int    `long:"pid" value-name:"PID" description:"With --list --watch, only the pipeline(s) that process PID is joined to"`
	PGID int    `long:"pgid" value-name:"PGID" description:"With --list --watch, only the pipes that processes of group PGID hold"`
	NS   cli.NS `long:"ns" value-name:"PID" description:"With --list, only the pipes held by processes of the pid namespace of PID (a container)"`
}

// FD is a descriptor number given on the command line.
type FD struct {
	N   int
	Set bool
}

// ParseFD parses a descriptor number: a decimal integer 0..1<<20.
func ParseFD(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || n > 1<<20 || s == "" || s[0] == '+' {
		return 0, fmt.Errorf("bad descriptor %q: want a number such as 0 or 3", s)
	}
	return int(n), nil
}

// UnmarshalFlag implements go-flags' Unmarshaler.
func (f *FD) UnmarshalFlag(s string) error {
	n, err := ParseFD(s)
	if err != nil {
		return err
	}
	f.N, f.Set = n, true
	return nil
}

func main() { os.Exit(cli.Run("pipecat", usage, run)) }

func run(ctx context.Context, env *cli.Env, o *options) error {
	args, err := o.TakeInterval(env.Args, 0)
	if err != nil {
		return err
	}
	env.Args = args
	if err := checkFlags(env, o); err != nil {
		return err
	}
	switch {
	case o.List && o.Watch.Set:
		if err := env.Need(false, true); err != nil {
			return err
		}
		return watchList(ctx, env, o)
	case o.List:
		if err := env.Need(false, true); err != nil {
			return err
		}
		return list(env, o)
	case o.Stat:
		fd := 0
		if len(env.Args) == 1 {
			n, err := ParseFD(env.Args[0])
			if err != nil {
				return cli.Usagef("%v", err)
			}
			fd = n
		}
		// A closed standard input is not a /dev/null to describe.
		if err := env.Need(fd == 0, true); err != nil {
			return err
		}
		return stat(env, o, fd)
	}
	// A transfer uses standard input and output unless --in and --out
	// name other descriptors.
	if err := env.Need(!o.In.Set, !o.Out.Set); err != nil {
		return err
	}
	if len(env.Args) > 0 {
		return coprocess(ctx, env, o, env.Args)
	}
	return passThrough(ctx, env, o)
}

// checkFlags refuses options that mean nothing together.
func checkFlags(env *cli.Env, o *options) error {
	if err := cli.OneOf("--stat", o.Stat, "--list", o.List); err != nil {
		return err
	}
	inspect := o.Stat || o.List
	switch {
	case inspect && (o.Size.Set || o.In.Set || o.Out.Set || o.Verbose || o.Progress):
		return cli.Usagef("-s, --in, --out, -v and --progress go with a transfer, not --stat or --list")
	case inspect && o.DumpTo.On(o.Hexdump):
		return cli.Usagef("-x, --dump and --dump-format go with a transfer, not --stat or --list")
	case o.JSON && !inspect:
		return cli.Usagef("--json goes with --stat or --list")
	case o.List && len(env.Args) > 0:
		return cli.Usagef("%q: --list takes no argument", env.Args[0])
	case o.Stat && len(env.Args) > 1:
		return cli.Usagef("unexpected argument %q: --stat takes one descriptor", env.Args[1])
	case o.Size.Set && o.Size.N == 0:
		return cli.Usagef("-s needs a positive size")
	case o.NS.Set && (!o.List || o.Watch.Set):
		return cli.Usagef("--ns goes with --list (not --watch, --stat or a transfer)")
	}
	return checkWatch(o)
}

// checkWatch refuses --watch, --pid and --pgid where they mean nothing.
func checkWatch(o *options) error {
	if err := cli.OneOf("--pid", o.PID != 0, "--pgid", o.PGID != 0); err != nil {
		return err
	}
	switch {
	case o.Watch.Set && !o.List:
		return cli.Usagef("--watch goes with --list")
	case (o.PID != 0 || o.PGID != 0) && !o.Watch.Set:
		return cli.Usagef("--pid and --pgid go with --list --watch")
	case o.PID < 0 || o.PGID < 0:
		return cli.Usagef("--pid and --pgid need a positive number")
	}
	return nil
}
