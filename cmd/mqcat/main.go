// Command mqcat sends standard input as messages into a POSIX (mq_open) or
// System V (msgget) message queue, or prints a queue's messages on standard
// output, and inspects and removes queues. See man/mqcat.1.
package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/complete"
	"github.com/ipcats/ipcats/internal/framing"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/mq"
	"github.com/ipcats/ipcats/internal/watch"
)

const usage = "[OPTIONS]"

type options struct {
	cli.Object
	Null     bool         `short:"0" long:"null" description:"Messages are NUL-terminated records, not lines"`
	Whole    bool         `long:"whole" description:"With -w, all of standard input is one message"`
	Block    ipcname.Size `short:"b" long:"block" value-name:"BYTES" description:"With -w, send standard input in BYTES-sized messages"`
	Raw      bool         `long:"raw" description:"With -r, print each message with nothing after it"`
	Priority count        `short:"p" long:"priority" value-name:"N" description:"POSIX message priority to send with -w (default 0)"`
	Type     *msgType     `short:"T" long:"type" value-name:"N" description:"System V mtype: sent with -w (default 1); with -r 0 any, N that type, -N lowest type up to N"`
	Except   bool         `long:"except" description:"With -r -T N, take any message but of type N (MSG_EXCEPT)"`
	Count    count        `short:"N" long:"count" value-name:"N" description:"With -r, stop after N messages"`
	Drain    bool         `long:"drain" description:"With -r, take the messages queued now and exit when it is empty"`
	Peek     bool         `long:"peek" description:"With -r, print System V messages without removing them (MSG_COPY)"`
	MaxMsg   count        `long:"maxmsg" value-name:"N" description:"Capacity in messages of a created POSIX queue"`
	MsgSize  ipcname.Size `long:"msgsize" value-name:"BYTES" description:"Largest message of a created POSIX queue"`
	QBytes   ipcname.Size `long:"qbytes" value-name:"BYTES" description:"Capacity in bytes of a System V queue (msg_qbytes)"`
	Args     struct {
		Object complete.Queue `positional-arg-name:"KEY|/NAME"`
	} `positional-args:"yes"`
	watch.Option
}

// Help words --json for mqcat, where it also frames messages, and -m.
func (*options) Help() map[string]string {
	return map[string]string{
		"json": "Messages as JSON lines with -r and -w; --stat and --list output as JSON",
		"mode": "Permissions of a created queue (default 0600)",
	}
}

// count is a non-negative number given on the command line.
type count struct {
	N   int64
	Set bool
}

func (c *count) UnmarshalFlag(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("bad number %q: want a whole number, 0 or more", s)
	}
	c.N, c.Set = n, true
	return nil
}

// msgType is a System V message type, which may be negative for -r (an
// integer kind, so that go-flags takes "-T -5" as a value).
type msgType int64

func (t *msgType) UnmarshalFlag(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("bad type %q: want a whole number", s)
	}
	*t = msgType(n)
	return nil
}

// typ returns -T's value, or def when it was not given.
func (o *options) typ(def int64) int64 {
	if o.Type == nil {
		return def
	}
	return int64(*o.Type)
}

// maxQBytes is the largest --qbytes: msgctl(IPC_SET) passes msg_qbytes
// to the kernel's check as an int, so larger values would be cut.
const maxQBytes = math.MaxInt32

func main() { os.Exit(cli.Run("mqcat", usage, run)) }

func run(ctx context.Context, env *cli.Env, o *options) (err error) {
	if err := takeInterval(env, o); err != nil {
		return err
	}
	act, rmAfter, done, err := env.Start(cli.Start{
		Actions: &o.Actions, Sweeping: &o.Sweeping,
		Check: func(act cli.Action) error { return checkFlags(act, o) },
		Arg:   string(o.Args.Object), Form: "KEY|/NAME: the queue to use (a System V key such as 7777, or a POSIX /name)",
		List: func() error {
			return o.NS.In(func() error {
				if o.Watch.Set {
					return watchList(ctx, env, o)
				}
				return list(env, o)
			})
		},
		RemoveStale: func() error { return o.NS.In(func() error { return removeStale(env, o) }) },
	})
	if done {
		return err
	}
	name, err := ipcname.Parse(string(o.Args.Object))
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := checkFamily(name, o); err != nil {
		return err
	}
	obj := describe(name)
	switch act {
	case cli.ActStat:
		return o.NS.In(func() error {
			if o.Watch.Set {
				return watchStat(ctx, env, o, name, obj)
			}
			return stat(env, o, name, obj)
		})
	case cli.ActRemove:
		return o.NS.In(env.Remover(o.Verbose, "queue", obj, func() error { return mq.Remove(name, obj) }))
	}
	if rmAfter {
		defer env.RemoveAfter(ctx, env.Remover(o.Verbose, "queue", obj, func() error { return mq.Remove(name, obj) }))(&err)
	}
	if act == cli.ActWrite {
		return write(ctx, env, o, name, obj)
	}
	return read(ctx, env, o, name, obj)
}

// checkFlags refuses options that mean nothing with the chosen action.
func checkFlags(act cli.Action, o *options) error {
	if err := cli.OneOf("-0", o.Null, "--whole", o.Whole, "-b", o.Block.Set, "--raw", o.Raw); err != nil {
		return err
	}
	if err := o.CheckReport(act); err != nil {
		return err
	}
	if err := cli.OneOf("-t", o.Timeout.Set, "-n", o.Nonblock); err != nil {
		return err
	}
	if err := cli.OneOf("--drain", o.Drain, "-n", o.Nonblock); err != nil {
		return err
	}
	if err := cli.OneOf("--json", o.JSON, "-0", o.Null, "--whole", o.Whole, "-b", o.Block.Set, "--raw", o.Raw); err != nil {
		return err
	}
	reading, writing := act == cli.ActRead, act == cli.ActWrite
	switch {
	case !reading && !writing && (o.Type != nil || o.Timeout.Set || o.Nonblock || o.Null || o.Mode.Set):
		return cli.Usagef("-T, -t, -n, -0 and -m go with -r or -w")
	case reading && o.Mode.Set && !o.Create:
		return cli.Usagef("-m sets the mode of a queue this run creates: it goes with -w or -r -c")
	case !reading && (o.Raw || o.Count.Set || o.Drain || o.Peek || o.Except):
		return cli.Usagef("--raw, -N, --drain, --peek and --except go with -r")
	case !writing && (o.Whole || o.Block.Set || o.Excl || o.Priority.Set):
		return cli.Usagef("--whole, -b, -x and -p go with -w")
	case o.Create && !reading:
		return cli.Usagef("-c goes with -r (-w always creates an absent queue)")
	case o.Block.Set && o.Block.N <= 0:
		return cli.Usagef("-b needs a positive size")
	case o.Priority.N > mq.MaxPriority:
		return cli.Usagef("-p %d: priorities go from 0 to %d", o.Priority.N, mq.MaxPriority)
	case writing && o.typ(1) <= 0:
		return cli.Usagef("-T %d: a message's type must be 1 or more", o.typ(1))
	case o.Except && o.typ(0) <= 0:
		return cli.Usagef("--except needs -T N with N 1 or more")
	case o.Peek && (o.Type != nil || o.Drain || o.Create || o.Timeout.Set):
		return cli.Usagef("--peek prints what is queued now; it takes no -T, --drain, -c or -t")
	case o.JSON && !(reading || writing || act == cli.ActStat || act == cli.ActList):
		return cli.Usagef("--json goes with -r, -w, --stat or --list")
	case (o.MaxMsg.Set || o.MsgSize.Set || o.QBytes.Set) && !(reading && o.Create || writing):
		return cli.Usagef("--maxmsg, --msgsize and --qbytes go with -w or -r -c")
	case o.QBytes.Set && (o.QBytes.N < 1 || o.QBytes.N > maxQBytes):
		return cli.Usagef("--qbytes %d: a queue's capacity goes from 1 to %d bytes (the kernel keeps msg_qbytes in an int)", o.QBytes.N, maxQBytes)
	case o.MaxMsg.Set && (o.MaxMsg.N < 1 || o.MaxMsg.N > math.MaxInt32):
		return cli.Usagef("--maxmsg %d: a queue holds from 1 to %d messages", o.MaxMsg.N, math.MaxInt32)
	case o.MsgSize.Set && (o.MsgSize.N < 1 || o.MsgSize.N > math.MaxInt32):
		return cli.Usagef("--msgsize %d: a message may be from 1 to %d bytes", o.MsgSize.N, math.MaxInt32)
	}
	return checkWatch(act, o)
}

// checkWatch refuses --watch but with --list or --stat.
func checkWatch(act cli.Action, o *options) error {
	switch {
	case o.Watch.Set && act != cli.ActList && act != cli.ActStat:
		return cli.Usagef("--watch goes with --list or --stat")
	case o.Watch.Set && o.Sweeping.Stale:
		return cli.Usagef("--watch shows every queue: it takes no --stale")
	}
	return nil
}

// takeInterval lets --watch's interval come as a word of its own
// (--watch 0.5 or --stat --watch 0.5 QUEUE): a duration before the one
// argument --stat takes, or the argument of --list, which takes none.
func takeInterval(env *cli.Env, o *options) error {
	if !o.Watch.Set || o.Args.Object == "" {
		return nil
	}
	want := 0
	if o.Stat {
		want = 1
	}
	rest, err := o.TakeInterval(append([]string{string(o.Args.Object)}, env.Args...), want)
	if err != nil {
		return err
	}
	o.Args.Object, env.Args = "", nil
	if len(rest) > 0 {
		o.Args.Object, env.Args = complete.Queue(rest[0]), rest[1:]
	}
	return nil
}

// checkFamily refuses options of the other family of queues.
func checkFamily(n ipcname.Name, o *options) error {
	if n.Kind == ipcname.POSIX {
		switch {
		case o.Type != nil || o.Except:
			return cli.Usagef("-T and --except are for System V queues; POSIX queues have -p priorities")
		case o.Peek:
			return cli.Usagef("--peek is for System V queues (MSG_COPY); POSIX queues cannot be read without taking the message")
		case o.QBytes.Set:
			return cli.Usagef("--qbytes is for System V queues; POSIX queues take --maxmsg and --msgsize")
		}
		return nil
	}
	switch {
	case o.Priority.Set:
		return cli.Usagef("-p is for POSIX queues; System V messages have a -T type")
	case o.MaxMsg.Set || o.MsgSize.Set:
		return cli.Usagef("--maxmsg and --msgsize are for POSIX queues; System V queues take --qbytes")
	}
	return nil
}

// framingOf is the record framing the options choose.
func framingOf(o *options) framing.Mode {
	switch {
	case o.Null:
		return framing.Mode{Kind: framing.Null}
	case o.Whole:
		return framing.Mode{Kind: framing.Whole}
	case o.Block.Set:
		return framing.Mode{Kind: framing.Block, Size: int(min(o.Block.N, 1<<31))}
	case o.Raw:
		return framing.Mode{Kind: framing.Whole}
	}
	return framing.Mode{Kind: framing.Lines}
}

// describe names the object in messages, as ipcs would print it.
func describe(n ipcname.Name) string {
	if n.Kind == ipcname.Ftok {
		if r, err := n.Resolve(); err == nil {
			return n.String() + " (key " + ipcname.FormatKey(r.Key) + ")"
		}
	}
	return n.String()
}
