// Command mmapcat copies standard input into a regular file through a
// shared mapping (MAP_SHARED), or a mapped file or window of it to standard
// output; it follows a region another program updates, and reports page
// cache residency and the processes mapping a file. See man/mmapcat.1.
package main

import (
	"context"
	"errors"
	"math"
	"os"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/report"
)

const usage = "[OPTIONS]"

type options struct {
	cli.Common
	cli.Actions
	cli.Creation
	cli.Wait
	Mode           ipcname.Mode `short:"m" long:"mode" value-name:"OCTAL" description:"Permissions of a created file (default 0600)"`
	Offset         ipcname.Size `short:"o" long:"offset" value-name:"BYTES" description:"Start the window at BYTES into the file"`
	Length         ipcname.Size `short:"L" long:"length" value-name:"BYTES" description:"Make the window BYTES long; with -w, a fixed window zero-filled after the data"`
	InPlace        bool         `long:"in-place" description:"With -w, never change the file's size: input that does not fit is refused"`
	NoClear        bool         `long:"no-clear" description:"With -w -L, leave the bytes of the window after the data as they were"`
	Force          bool         `long:"force" description:"With -w, shrink the file even though other processes map it"`
	FollowSymlinks bool         `long:"follow-symlinks" description:"With -w, write through a symbolic link at FILE (refused by default)"`
	Sync           bool         `long:"sync" description:"With -w, write the pages to the disk (msync) before exiting"`
	CString        bool         `short:"z" long:"cstring" description:"With -r, print up to the first NUL byte"`
	Trim           bool         `long:"trim" description:"With -r, drop trailing NUL bytes"`
	Follow         bool         `short:"f" long:"follow" description:"Print the window now and again each time it changes"`
	Interval       cli.Duration `short:"i" long:"interval" value-name:"DURATION" description:"With -f, look for changes every DURATION (default 100ms)"`
	Args           struct {
		File string `positional-arg-name:"FILE"`
	} `positional-args:"yes"`
}

// Help words the shared actions and creation options for files (mmapcat
// has no stale objects, so no cli.Sweeping).
func (*options) Help() map[string]string {
	return map[string]string{
		"read":   "Copy the file (or the window) to standard output (the default action)",
		"write":  "Copy standard input into the file, creating it if it is absent",
		"stat":   "Print the file's attributes, page-cache residency and mappers, and exit",
		"list":   "List every file some process maps shared, with the processes",
		"rm":     "Remove the file; with -r or -w, after a successful transfer",
		"ns":     "With --stat or --rm, take the file as process PID (a container) sees it; with --list, list the files its mount namespace maps",
		"create": "With -r, create the file if it is absent",
		"excl":   "With -w, fail if the file already exists",
	}
}

func main() { os.Exit(cli.Run("mmapcat", usage, run)) }

func run(ctx context.Context, env *cli.Env, o *options) (err error) {
	act, rmAfter, done, err := env.Start(cli.Start{
		Actions: &o.Actions,
		Rides:   o.Follow || o.CString || o.Trim || o.Create || o.Interval.Set,
		Check: func(act cli.Action) error {
			if err := checkFlags(act, o); err != nil {
				return err
			}
			if act == cli.ActList && o.Args.File != "" {
				return cli.Usagef("%q: --list takes no file", o.Args.File)
			}
			return nil
		},
		Arg: o.Args.File, Form: "FILE: the file to map",
		List: func() error { return list(env, o) },
	})
	if done {
		return err
	}
	path := o.Args.File
	switch act {
	case cli.ActStat:
		return o.NS.InFiles(func() error { return stat(env, o, ns.Path(path)) })
	case cli.ActRemove:
		return o.NS.InFiles(env.Remover(o.Verbose, "file", report.Escape(path), func() error { return remove(ns.Path(path)) }))
	}
	if rmAfter {
		defer env.RemoveAfter(ctx, env.Remover(o.Verbose, "file", report.Escape(path), func() error { return remove(path) }))(&err)
	}
	if act == cli.ActWrite {
		return write(ctx, env, o, path)
	}
	return read(ctx, env, o, path)
}

// checkFlags refuses options that mean nothing with the chosen action.
func checkFlags(act cli.Action, o *options) error {
	if err := cli.OneOf("-z", o.CString, "--trim", o.Trim); err != nil {
		return err
	}
	if err := o.CheckReport(act); err != nil {
		return err
	}
	if err := cli.OneOf("-t", o.Timeout.Set, "-n", o.Nonblock); err != nil {
		return err
	}
	reading, writing := act == cli.ActRead, act == cli.ActWrite
	switch {
	case o.Offset.N > math.MaxInt64-o.Length.N:
		return cli.Usagef("-o %d and -L %d end past the largest file offset (%d)", o.Offset.N, o.Length.N, int64(math.MaxInt64))
	case !reading && (o.CString || o.Trim || o.Follow || o.Interval.Set):
		return cli.Usagef("-z, --trim, -f and -i go with -r")
	case !writing && (o.Excl || o.InPlace || o.NoClear || o.Sync || o.Force || o.FollowSymlinks):
		return cli.Usagef("-x, --in-place, --no-clear, --sync, --force and --follow-symlinks go with -w")
	case o.Create && !reading:
		return cli.Usagef("-c goes with -r (-w always creates an absent file)")
	case o.InPlace && o.Excl:
		return cli.Usagef("--in-place writes into an existing file; -x refuses one")
	case o.NoClear && !o.InPlace && !o.Length.Set:
		return cli.Usagef("--no-clear goes with -L or --in-place (otherwise the file ends where the data does)")
	case (o.Timeout.Set || o.Nonblock) && !reading:
		return cli.Usagef("-t and -n go with -r")
	case o.Interval.Set && !o.Follow:
		return cli.Usagef("-i goes with -f")
	case o.Interval.Set && o.Interval.D <= 0:
		return cli.Usagef("-i needs a positive interval")
	case o.JSON && act != cli.ActStat && act != cli.ActList:
		return cli.Usagef("--json goes with --stat or --list")
	case (o.Offset.Set || o.Length.Set) && !reading && !writing:
		return cli.Usagef("-o and -L go with -r or -w")
	case o.Mode.Set && !writing && !o.Create:
		return cli.Usagef("-m goes with -w or -r -c, which create files")
	}
	return nil
}

// openErr wraps a failure to open or create with the hint that applies.
func openErr(path string, err error) error {
	switch {
	case errors.Is(err, mapfile.ErrNotExist):
		return cli.Fail(path, err, "")
	case errors.Is(err, mapfile.ErrExist):
		return cli.Fail(path, err, "-x refuses an existing file")
	case errors.Is(err, mapfile.ErrNotRegular):
		return cli.Fail(path, err, "mmapcat maps regular files only")
	case errors.Is(err, mapfile.ErrSymlink):
		return cli.Fail(path, err, "name its target, or give --follow-symlinks")
	case errors.Is(err, os.ErrPermission):
		return cli.Fail(path, errors.New("permission denied"), "mmapcat --stat shows its owner and mode")
	}
	return cli.Fail(path, err, "")
}
