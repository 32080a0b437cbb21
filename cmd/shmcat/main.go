// Command shmcat copies standard input into a shared memory segment, or a
// segment to standard output, and inspects and removes segments: System V
// (shmget) by key or id, POSIX (shm_open) by /name. See man/shmcat.1.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/complete"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/ring"
	"github.com/ipcats/ipcats/internal/shm"
)

const usage = "[OPTIONS]"

type options struct {
	cli.Object
	Size     ipcname.Size `short:"s" long:"size" value-name:"SIZE" description:"Size of a created segment; an existing one must have this size"`
	Offset   ipcname.Size `short:"o" long:"offset" value-name:"BYTES" description:"Start the window at BYTES into the segment"`
	Length   ipcname.Size `short:"L" long:"length" value-name:"BYTES" description:"Make the window BYTES long (default: to the end)"`
	NoClear  bool         `long:"no-clear" description:"With -w, leave the bytes after the data as they were"`
	All      bool         `short:"a" long:"all" description:"With -r, print every byte of the window, trailing NULs too"`
	CString  bool         `short:"z" long:"cstring" description:"With -r, print up to the first NUL byte"`
	Follow   bool         `short:"f" long:"follow" description:"Print the content now and again each time it changes"`
	Interval cli.Duration `short:"i" long:"interval" value-name:"DURATION" description:"With -f, look for changes every DURATION (default 100ms)"`
	Stream   bool         `long:"stream" description:"Stream through a ring buffer in the segment, like a FIFO named by a key"`
	Sem      bool         `long:"sem" description:"With --list, --stat or --rm: semaphores, System V sets by key and POSIX ones by /NAME (sem.NAME in /dev/shm)"`
	Args     struct {
		Object complete.Segment `positional-arg-name:"KEY|/NAME"`
	} `positional-args:"yes"`
}

// Help words -m for segments.
func (*options) Help() map[string]string {
	return map[string]string{"mode": "Permissions of a created segment (default 0600)"}
}

func main() { os.Exit(cli.Run("shmcat", usage, run)) }

func run(ctx context.Context, env *cli.Env, o *options) (err error) {
	act, rmAfter, done, err := env.Start(cli.Start{
		Actions: &o.Actions, Sweeping: &o.Sweeping,
		Rides: o.Follow || o.All || o.CString || o.Create,
		Check: func(act cli.Action) error { return checkFlags(act, o) },
		Arg:   string(o.Args.Object), Form: "KEY|/NAME: the segment to use (a System V key such as 7777, or a POSIX /name)",
		List: func() error { return o.NS.In(func() error { return either(o.Sem, listSem, list)(env, o) }) },
		RemoveStale: func() error {
			return o.NS.In(func() error { return either(o.Sem, removeStaleSem, removeStale)(env, o) })
		},
	})
	if done {
		return err
	}
	name, err := ipcname.Parse(string(o.Args.Object))
	if err != nil {
		return cli.Usagef("%v", err)
	}
	obj := describe(name)
	if err := semFile(o, act, rmAfter, name, obj); err != nil {
		return err
	}
	switch {
	case o.Sem && act == cli.ActStat:
		return o.NS.In(func() error { return statSem(env, o, name, obj) })
	case o.Sem:
		return o.NS.In(env.Remover(o.Verbose, "semaphore", obj, func() error { return removeSem(name, obj, asTyped(o)) }))
	}
	switch act {
	case cli.ActStat:
		return o.NS.In(func() error { return statRing(env, o, name, obj) })
	case cli.ActRemove:
		return o.NS.In(env.Remover(o.Verbose, "segment", obj, func() error { return remove(name, obj, asTyped(o)) }))
	}
	if o.Stream {
		return stream(ctx, env, o, act, rmAfter, name, obj)
	}
	if rmAfter {
		defer env.RemoveAfter(ctx, env.Remover(o.Verbose, "segment", obj, func() error { return remove(name, obj, "") }))(&err)
	}
	if act == cli.ActWrite {
		return write(ctx, env, o, name, obj)
	}
	return read(ctx, env, o, name, obj)
}

// checkFlags refuses options that mean nothing with the chosen action, so
// that nothing a user asks for is silently ignored.
func checkFlags(act cli.Action, o *options) error {
	if err := checkReport(act, o); err != nil {
		return err
	}
	if err := cli.OneOf("-a", o.All, "-z", o.CString); err != nil {
		return err
	}
	if err := checkStream(act, o); err != nil {
		return err
	}
	if err := cli.OneOf("-t", o.Timeout.Set, "-n", o.Nonblock); err != nil {
		return err
	}
	reading, writing := act == cli.ActRead, act == cli.ActWrite
	switch {
	case !reading && (o.All || o.CString || o.Follow || o.Interval.Set || o.Create):
		return cli.Usagef("-a, -c, -f, -i and -z go with -r")
	case !writing && (o.Excl || o.NoClear):
		return cli.Usagef("-x and --no-clear go with -w")
	case !reading && !(writing && o.Stream) && (o.Timeout.Set || o.Nonblock):
		return cli.Usagef("-t and -n go with -r or --stream (a plain -w never waits)")
	case !reading && !writing && (o.Offset.Set || o.Length.Set || o.Size.Set):
		return cli.Usagef("-o, -L and -s go with -r or -w")
	case o.Mode.Set && !writing && !(reading && (o.Create || o.Stream)):
		return cli.Usagef("-m goes with -w, -r -c or --stream, which create segments")
	case o.Interval.Set && !o.Follow:
		return cli.Usagef("-i goes with -f")
	case o.Interval.Set && o.Interval.D <= 0:
		return cli.Usagef("-i needs a positive interval")
	case o.JSON && act != cli.ActStat && act != cli.ActList:
		return cli.Usagef("--json goes with --stat or --list")
	}
	return nil
}

// checkReport refuses, with --list, --stat and --rm alone, the options
// that report on or shape a transfer, and --sem with a transfer.
func checkReport(act cli.Action, o *options) error {
	transfer := act == cli.ActRead || act == cli.ActWrite
	switch {
	case o.Sem && (transfer || o.Stream):
		return cli.Usagef("--sem goes with --list, --stat or --rm alone, not with -r, -w, --stream, -a, -c, -f or -z")
	}
	return o.CheckReport(act)
}

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

// describe names the object in messages, as ipcs would print it, with
// any control character in a name escaped.
func describe(n ipcname.Name) string {
	if n.Kind == ipcname.Ftok {
		if r, err := n.Resolve(); err == nil {
			return report.Escape(n.String()) + " (key " + ipcname.FormatKey(r.Key) + ")"
		}
	}
	return report.Escape(n.String())
}

// openErr wraps a failure to open or create with the hint that applies.
func openErr(obj string, err error) error {
	switch {
	case errors.Is(err, shm.ErrNotExist):
		return cli.Fail(obj, err, "shmcat --list shows the segments there are")
	case errors.Is(err, shm.ErrExist):
		return cli.Fail(obj, err, "-x refuses an existing segment")
	case errors.Is(err, shm.ErrPermission):
		return cli.Fail(obj, err, "shmcat --stat shows its owner and mode")
	}
	return cli.Fail(obj, err, "")
}
