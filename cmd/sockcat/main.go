// Command sockcat is a netcat that loses nothing: it connects to or listens
// on a TCP, UDP or Unix socket and relays standard input and output both
// ways at once, half-closing on input's end and reading the peer's reply
// to its last byte. See man/sockcat.1.
package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sock"
)

const usage = "[OPTIONS] HOST PORT | -l [HOST] PORT | -U [-l] PATH | --list | --rm --stale [DIR...]"

// sockcat keeps nc's short flags (-w timeout, -n numeric), so it declares
// its own time options instead of embedding cli.Wait.
type options struct {
	cli.Common
	Listen    bool         `short:"l" long:"listen" description:"Listen for a peer instead of connecting to one"`
	UDP       bool         `short:"u" long:"udp" description:"Use datagrams: UDP, or with -U a Unix datagram socket"`
	Unix      bool         `short:"U" long:"unix" description:"The address is a Unix socket PATH, or @NAME in the abstract namespace"`
	Seqpacket bool         `long:"seqpacket" description:"With -U, use SOCK_SEQPACKET: records over a connection"`
	TCP       bool         `short:"t" long:"tcp" description:"Use TCP, the default; with --list, list TCP sockets (with -U, -u: those too)"`
	IPv4      bool         `short:"4" description:"Use IPv4 addresses only"`
	IPv6      bool         `short:"6" description:"Use IPv6 addresses only"`
	Keep      bool         `short:"k" long:"keep-listening" description:"With -l, serve the next peer after one leaves"`
	Exec      command      `short:"e" long:"exec" value-name:"CMD" description:"Run /bin/sh -c CMD for each connection, the socket as its standard input and output"`
	Probe     bool         `short:"z" long:"probe" description:"Only check that something listens (exit 0; quiet unless -v); PORT may be a range LO-HI"`
	Timeout   cli.Duration `short:"w" long:"timeout" value-name:"SECS" description:"Give up waiting for a peer, or for data, after SECS: exit 3 if nothing moved"`
	WaitFor   cli.Duration `long:"wait" value-name:"DURATION" description:"As a client, try connecting again until something listens, for up to DURATION: exit 3 if nothing did"`
	Quit      cli.Duration `short:"q" long:"quit" value-name:"SECS" description:"After standard input ends, wait at most SECS for the peer to finish"`
	Numeric   bool         `short:"n" long:"numeric" description:"Take numeric addresses and ports only: no DNS, no service names"`
	Nonblock  bool         `long:"nonblock" description:"Never wait for a peer: exit 3 if none is ready"`
	SendOnly  bool         `long:"send-only" description:"Only send standard input, discarding what the peer sends; end once the peer has it all"`
	RecvOnly  bool         `short:"d" long:"recv-only" description:"Only receive: send nothing, and leave the write side open (as nc -d)"`
	NoShut    bool         `long:"no-shutdown" description:"Keep the write side open after standard input ends: no half-close, for servers that end the session on one"`
	Shut      bool         `short:"N" description:"Shut the write side down after standard input ends, as nc -N: the default already, taken for nc's command lines"`
	Source    string       `short:"s" long:"from" value-name:"ADDR" description:"Connect from the local address ADDR (as nc -s); with -l, the address to listen on"`
	SrcPort   string       `short:"p" long:"from-port" value-name:"PORT" description:"Connect from the local PORT (as nc -p); with -l, the port to listen on (as nc -l -p)"`
	RcvBuf    ipcname.Size `short:"I" long:"rcvbuf" value-name:"SIZE" description:"Size of the socket's receive buffer, SO_RCVBUF (as nc -I)"`
	SndBuf    ipcname.Size `short:"O" long:"sndbuf" value-name:"SIZE" description:"Size of the socket's send buffer, SO_SNDBUF (as nc -O)"`
	CRLF      bool         `short:"C" long:"crlf" description:"Send each line feed of standard input as CRLF (as nc -C)"`
	ttyIn     bool         // -C: standard input was a terminal before it went through a pipe
	Unlink    bool         `long:"unlink" description:"With -lU, remove a stale socket file in the way (one nobody answers on)"`
	KeepFile  bool         `long:"keep" description:"With -lU, leave the socket file in place at exit"`
	Mode      ipcname.Mode `short:"m" long:"mode" value-name:"OCTAL" description:"Permissions of the socket file, set at bind time (default 0600)"`
	Lines     bool         `long:"lines" description:"With datagrams or --seqpacket, send one message per input line"`
	List      bool         `long:"list" description:"List listening and connected sockets with their processes"`
	Rm        bool         `long:"rm" description:"With --stale, remove stale Unix socket files"`
	Stale     bool         `long:"stale" description:"With --rm or --list, the Unix socket files nobody is bound to, in DIR... (default: the temporary and runtime directories)"`
	DryRun    bool         `long:"dry-run" description:"With --rm --stale, print what would be removed and remove nothing"`
	cli.Idle
	tapping
	NS cli.NS `long:"ns" value-name:"PID" description:"With --list, list the sockets of the network namespace of process PID (a container)"`
	cli.Dump
	rec recording // the -x record of the run, shared by its connections
}

// Help words the shared --json for sockcat, which has --list but no --stat.
func (*options) Help() map[string]string {
	return map[string]string{"json": "Print --list output as JSON"}
}

// command is an -e value: a shell command, never an empty one.
type command string

// UnmarshalFlag implements go-flags' Unmarshaler.
func (c *command) UnmarshalFlag(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("an empty command")
	}
	*c = command(s)
	return nil
}

func main() { os.Exit(cli.Run("sockcat", usage, run)) }

func run(ctx context.Context, env *cli.Env, o *options) error {
	if o.Tap != "" || o.TapAs != "" {
		return snoop(ctx, env, o)
	}
	if err := checkFlags(o); err != nil {
		return err
	}
	if o.Shut && o.Verbose {
		env.Warnf("-N: the write side is shut down after standard input ends by default; --no-shutdown keeps it open")
	}
	if o.RecvOnly && o.Probe && o.Verbose {
		env.Warnf("-d: -z sends nothing anyway")
	}
	// A standard descriptor the shell closed is refused where sockcat
	// uses it: the runtime's /dev/null stand-in would send an empty
	// request, or swallow the peer's reply, and report success.
	relaying := !o.Rm && !o.List && !o.Stale && !o.Probe && o.Exec == ""
	in := relaying && !o.RecvOnly
	out := o.List || o.Stale && !o.Rm || relaying && !o.SendOnly
	if err := env.Need(in, out); err != nil {
		return err
	}
	if o.CRLF && in {
		return withCRLF(ctx, env, o, run2)
	}
	return run2(ctx, env, o)
}

// run2 is run once standard input is what the relay reads.
func run2(ctx context.Context, env *cli.Env, o *options) error {
	if o.Rm || o.Stale {
		return stale(env, o)
	}
	if o.List {
		if len(env.Args) > 0 {
			return cli.Usagef("%q: --list takes no address", env.Args[0])
		}
		return list(env, o)
	}
	addrs, err := parseAddr(ctx, env.Args, o)
	if err != nil {
		return err
	}
	if o.Probe && !o.Listen && !o.WaitFor.Set {
		return scan(ctx, env, o, addrs, lastPort(env.Args, addrs[0].Port))
	}
	return o.recorded(env, func() error {
		if o.Listen {
			return serve(ctx, env, o, addrs[0])
		}
		return dial(ctx, env, o, addrs)
	})
}

// checkFlags refuses combinations that mean nothing.
func checkFlags(o *options) error {
	for _, pair := range [][]any{
		{"-4", o.IPv4, "-6", o.IPv6},
		{"--send-only", o.SendOnly, "--recv-only", o.RecvOnly},
		{"-u", o.UDP, "--seqpacket", o.Seqpacket},
		{"-l", o.Listen, "-z", o.Probe},
		{"-e", o.Exec != "", "-z", o.Probe},
		{"-e", o.Exec != "", "--send-only", o.SendOnly},
		{"-e", o.Exec != "", "--recv-only", o.RecvOnly},
		{"-e", o.Exec != "", "-u", o.UDP},
		{"--no-shutdown", o.NoShut, "-e", o.Exec != ""},
		{"--no-shutdown", o.NoShut, "-z", o.Probe},
		{"--no-shutdown", o.NoShut, "--recv-only", o.RecvOnly},
		{"-N", o.Shut, "--no-shutdown", o.NoShut},
		{"-N", o.Shut, "-d", o.RecvOnly},
		{"--list", o.List, "-l", o.Listen},
	} {
		if err := cli.OneOf(pair...); err != nil {
			return err
		}
	}
	sweep := o.Rm || o.Stale || o.DryRun
	otherMode := o.Listen || o.TCP || o.UDP || o.Unix || o.Seqpacket || o.Probe || o.Exec != "" || o.IPv4 || o.IPv6
	if sweep {
		return refuse([]rule{
			{o.Rm && !o.Stale, "--rm goes with --stale (a listener removes its own socket file at exit)"},
			{o.Stale && !o.Rm && !o.List, "--stale goes with --rm or --list"},
			{o.DryRun && !o.Rm, "--dry-run goes with --rm --stale"},
			{o.Rm && o.List, "--rm and --list cannot be combined"},
			{o.JSON && o.Rm, "--json goes with --list"},
			{otherMode || o.DumpTo.On(o.Hexdump), "--stale takes only directories, no other mode"},
			{o.NS.Set, "--ns goes with --list, not --stale (socket files of a container: give /proc/PID/root/DIR to --stale)"},
		})
	}
	if o.List {
		return checkList(o)
	}
	return refuse([]rule{
		{o.TCP && (o.UDP || o.Unix || o.Seqpacket), "-t is TCP: it goes with HOST PORT, not -u or -U (but narrows --list with them)"},
		{o.Quit.Set && (o.Probe || o.Exec != ""), "-q goes with a relay, not -z or -e (which send no standard input)"},
		{o.CRLF && (o.RecvOnly || o.Probe || o.Exec != ""), "-C converts standard input: it goes with a relay, not -d, -z or -e"},
		{o.Quit.Set && o.RecvOnly, "-q counts from standard input's end, and -d reads none: -w ends the run once nothing moves"},
		{o.Timeout.Set && o.Timeout.D <= 0, "-w 0 would give up at once; --nonblock never waits for a peer"},
		{o.WaitFor.Set && (o.Listen || o.UDP || o.Nonblock), "--wait goes with a stream client (a listener waits anyway; a datagram connect finds nobody; --nonblock never waits)"},
		{o.WaitFor.Set && o.WaitFor.D <= 0, "--wait needs a positive DURATION"},
		{o.RecvOnly && o.UDP && !o.Listen, "--recv-only -u receives nothing: a datagram listener answers only a peer that sent to it"},
		{o.Unix && (o.IPv4 || o.IPv6), "-4 and -6 go with HOST PORT, not -U"},
		{o.Unix && (o.Source != "" || o.SrcPort != ""), "-s and -p go with HOST PORT, not -U"},
		{o.RcvBuf.Set && (o.RcvBuf.N < 1 || o.RcvBuf.N > 1<<30), "-I takes a size from 1 byte to 1G"},
		{o.SndBuf.Set && (o.SndBuf.N < 1 || o.SndBuf.N > 1<<30), "-O takes a size from 1 byte to 1G"},
		{o.Seqpacket && !o.Unix, "--seqpacket goes with -U (SOCK_SEQPACKET is a Unix socket type)"},
		{(o.Unlink || o.KeepFile || o.Mode.Set) && !(o.Listen && o.Unix), "--unlink, --keep and -m go with -l -U (the socket file a listener binds)"},
		{o.Keep && !o.Listen, "-k goes with -l"},
		{o.Lines && !o.UDP && !o.Seqpacket, "--lines goes with -u or --seqpacket (a stream has no message boundaries)"},
		{o.JSON && !o.List, "--json goes with --list"},
		{o.NS.Set && !o.List, "--ns goes with --list"},
		{o.NoShut && o.UDP, "--no-shutdown goes with connections: a datagram socket has no write side to shut down"},
		{o.Nonblock && o.UDP && o.Listen, "--nonblock goes with connections, not a datagram listener"},
		{o.DumpTo.On(o.Hexdump) && (o.Probe || o.Exec != "" || o.List), "-x, --dump and --dump-format go with a relay, not -z, -e (the command holds the socket) or --list"},
	})
}

// tapping is --tap and --tap-as (snoop in sockcat.go).
type tapping struct {
	Tap   string `long:"tap" value-name:"PATH" description:"Snoop the live Unix socket at PATH in place: take its place, relay each new client to the server, record what passes on standard error; put it back at exit"`
	TapAs string `long:"tap-as" value-name:"NAME" description:"Bind NAME (a path or @name) and relay each client to the socket -U names, recording what passes: --tap for an abstract name, which cannot be moved"`
}

// checkTap refuses what does not go with --tap and --tap-as: they take
// -U, --seqpacket, -v, and -m for --tap-as's NAME.
func checkTap(o *options, args []string) error {
	if err := cli.OneOf("--tap", o.Tap != "", "--tap-as", o.TapAs != ""); err != nil {
		return err
	}
	flag := "--tap"
	if o.TapAs != "" {
		flag = "--tap-as"
	}
	for _, other := range [][]any{
		{"-l", o.Listen}, {"-u", o.UDP}, {"-z", o.Probe}, {"-e", o.Exec != ""},
		{"-k", o.Keep}, {"-4", o.IPv4}, {"-6", o.IPv6}, {"-w", o.Timeout.Set}, {"--wait", o.WaitFor.Set},
		{"-q", o.Quit.Set}, {"--nonblock", o.Nonblock}, {"--send-only", o.SendOnly}, {"--recv-only", o.RecvOnly},
		{"--no-shutdown", o.NoShut}, {"-N", o.Shut}, {"--unlink", o.Unlink}, {"--keep", o.KeepFile},
		{"--lines", o.Lines}, {"-t", o.TCP}, {"--list", o.List}, {"--rm", o.Rm}, {"--stale", o.Stale}, {"--json", o.JSON},
		{"-m", o.Mode.Set && o.TapAs == ""},
	} {
		if err := cli.OneOf(flag, true, other[0], other[1]); err != nil {
			return err
		}
	}
	switch {
	case o.Tap != "" && len(args) > 0:
		return cli.Usagef("unexpected argument %q: --tap takes the socket's PATH as its value", args[0])
	case o.TapAs != "" && len(args) != 1:
		return cli.Usagef("--tap-as NAME relays to one socket: give it as -U PATH or -U @name")
	case o.Tap != "" && strings.HasPrefix(o.Tap, "@"):
		return cli.Usagef("--tap %s: an abstract name has no file to move; bind another name and relay: --tap-as NAME -U %s", o.Tap, o.Tap)
	}
	return nil
}

// rule is a combination of flags that means nothing, and why.
type rule struct {
	broken bool
	why    string
}

// refuse is the usage error of the first broken rule.
func refuse(rules []rule) error {
	for _, r := range rules {
		if r.broken {
			return cli.Usagef("%s", r.why)
		}
	}
	return nil
}

// parseAddr reads the positional arguments: HOST PORT, -l [HOST] PORT, or
// one Unix PATH (or @NAME) with -U.
func parseAddr(ctx context.Context, args []string, o *options) ([]sock.Addr, error) {
	typ := sock.Stream
	switch {
	case o.UDP:
		typ = sock.Datagram
	case o.Seqpacket:
		typ = sock.Seqpacket
	}
	if o.Unix {
		switch len(args) {
		case 0:
			return nil, cli.Usagef("missing PATH: -U takes a socket path or @name")
		case 1:
		default:
			return nil, cli.Usagef("unexpected argument %q: -U takes one PATH", args[1])
		}
		a, err := sock.ParseUnix(args[0], typ)
		if err != nil {
			return nil, cli.Usagef("%v", err)
		}
		if a.Abstract() && o.Mode.Set {
			return nil, cli.Usagef("-m: an abstract socket has no file, so no mode")
		}
		return []sock.Addr{a}, nil
	}
	args, err := listenArgs(args, o)
	if err != nil {
		return nil, err
	}
	var host, port string
	switch {
	case len(args) == 0 && o.Listen:
		return nil, cli.Usagef("missing PORT to listen on")
	case len(args) < 2 && !o.Listen:
		return nil, cli.Usagef("missing HOST and PORT (or -U PATH)")
	case len(args) == 1:
		port = args[0]
	case len(args) == 2:
		host, port = args[0], args[1]
	default:
		return nil, cli.Usagef("unexpected argument %q", args[2])
	}
	if lo, _, ok, err := sock.ParsePortRange(port); ok {
		switch {
		case err != nil:
			return nil, cli.Usagef("%v", err)
		case !o.Probe:
			return nil, cli.Usagef("port %q: a range goes with -z (a scan); a connection takes one port", port)
		case o.WaitFor.Set:
			return nil, cli.Usagef("port %q: --wait waits for one port, not a range", port)
		}
		port = strconv.Itoa(lo)
	}
	p, err := listenPort(port, o)
	if err != nil {
		return nil, err
	}
	if _, err := sock.ParseLocal(o.Source, o.SrcPort, o.UDP); err != nil && !o.Listen {
		return nil, cli.Usagef("%v", err)
	}
	family := 0
	switch {
	case o.IPv4:
		family = 4
	case o.IPv6:
		family = 6
	}
	addrs, err := sock.Resolve(ctx, host, p, typ, family, o.Numeric)
	if errors.Is(err, sock.ErrNumeric) {
		return nil, cli.Usagef("%v; -n takes numeric addresses only", err)
	}
	if err != nil {
		return nil, cli.Fail("", err, "")
	}
	return addrs, nil
}

// listenArgs turns nc's -l [-s ADDR] -p PORT into -l [ADDR] PORT: with -l,
// -s and -p say where to listen, in place of the arguments.
func listenArgs(args []string, o *options) ([]string, error) {
	if !o.Listen || o.Source == "" && o.SrcPort == "" {
		return args, nil
	}
	switch {
	case o.SrcPort != "" && len(args) > 0:
		return nil, cli.Usagef("unexpected argument %q: -l -p PORT takes the port from -p, and the address from -s ADDR", args[0])
	case o.SrcPort != "" && o.Source != "":
		return []string{o.Source, o.SrcPort}, nil
	case o.SrcPort != "":
		return []string{o.SrcPort}, nil
	case len(args) != 1:
		return nil, cli.Usagef("-l -s ADDR takes the address from -s: give PORT alone (or -p PORT)")
	}
	return []string{o.Source, args[0]}, nil
}

// lastPort is the end of a -z port range (HOST LO-HI), or port.
func lastPort(args []string, port int) int {
	if len(args) == 2 {
		if _, hi, ok, err := sock.ParsePortRange(args[1]); ok && err == nil {
			return hi
		}
	}
	return port
}

// listenPort parses PORT; a listener's 0 lets the kernel pick one (which
// -v prints), as nc, ncat and socat take it.
func listenPort(port string, o *options) (int, error) {
	if port == "0" && o.Listen {
		return 0, nil
	}
	if port == "0" {
		return 0, cli.Usagef("bad port \"0\": a client needs a port 1..65535 (0 is for a listener: the kernel picks one)")
	}
	p, err := sock.ParsePort(port, o.UDP, o.Numeric)
	if err != nil {
		return 0, cli.Usagef("%v", err)
	}
	return p, nil
}

// checkList refuses what does not go with --list: it takes -U, -t, -u
// (any of them: those kinds only), -4 or -6 (with -t or -u, or alone:
// TCP and UDP of that family), -v (more columns) and --json.
func checkList(o *options) error {
	return refuse([]rule{
		{o.Listen || o.Probe || o.Exec != "" || o.Seqpacket || o.Keep || o.WaitFor.Set || o.Timeout.Set || o.Nonblock ||
			o.SendOnly || o.RecvOnly || o.DumpTo.On(o.Hexdump) || o.Lines || o.Source != "" || o.SrcPort != "",
			"--list takes only -U, -t, -u, -4, -6, -v and --json"},
		{o.Unix && !o.TCP && !o.UDP && (o.IPv4 || o.IPv6), "-4 and -6 choose a family of TCP and UDP: --list -U lists Unix sockets only"},
	})
}

// list prints the sockets that someone listens on or talks over (--list):
// -U, -t, -u, -4, -6 narrow it as ss's; -v adds the queues, inodes and
// owner, the unnamed Unix connections no process holds (JSON has them
// always), and says when /proc/net stood in for netlink.
func list(env *cli.Env, o *options) error {
	var l sock.Listing
	err := o.NS.InNet(func() (err error) {
		if l, err = sock.List(sock.ListFilter{Unix: o.Unix, TCP: o.TCP, UDP: o.UDP, V4: o.IPv4, V6: o.IPv6}); err != nil {
			return cli.Fail("/proc/net", err, "")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if l.Fallback != nil && o.NS.Set {
		// /proc/net is the main thread's network namespace, not the one
		// the locked thread entered: it would list the host's sockets.
		return cli.Fail("--ns", l.Fallback, "listing another namespace's sockets needs netlink sock_diag, which was refused")
	}
	if l.Fallback != nil && o.Verbose {
		env.Warnf("--list: netlink sock_diag refused (%s): read /proc/net, which has no queues, Unix peers or Unix owners", reason(l.Fallback))
	}
	cols := sock.ListColumns
	if o.Verbose {
		cols = sock.WideColumns
	}
	if err := report.List(env.Stdout, o.JSON, cols, l.Table(o.Verbose || o.JSON)); err != nil {
		return cli.Output(err)
	}
	if l.Hidden > 0 && !o.JSON {
		env.Warnf("%d processes could not be inspected; run as root to see every holder", l.Hidden)
	}
	return nil
}

// undecided is why a search that could not tell every socket file removes
// nothing, or lists what it could.
func undecided(err error, what string) error {
	return cli.Failf("", "run it again when the cause is gone (as root if /proc/net/unix is hidden)",
		"cannot tell which socket files are in use (%s); %s", reason(err), what)
}

// stale is --rm --stale, which removes the stale socket files this user
// may remove (root: all; others: their own), printing each (--dry-run
// only prints), and --list --stale, which lists them: when some file
// could not be told, the ones that could, then an error.
func stale(env *cli.Env, o *options) (err error) {
	if o.Rm && !repairTaps(env, env.Args, o.DryRun) {
		defer func() {
			if err == nil {
				err = cli.ExitStatus(cli.ExitFailure) // each failed repair said why
			}
		}()
	}
	found, err := sock.FindStale(env.Args, &o.Idle)
	if o.Rm {
		if err != nil {
			return undecided(err, "removed nothing")
		}
		var objs []cli.Stale
		for _, s := range found {
			objs = append(objs, s.Sweepable())
		}
		return env.Sweep("socket files", o.DryRun, objs)
	}
	rows := []report.Record{}
	for _, s := range found {
		rows = append(rows, s.Record())
	}
	if err := report.List(env.Stdout, o.JSON, sock.StaleColumns, rows); err != nil {
		return cli.Output(err)
	}
	if err != nil {
		return undecided(err, "the list may be incomplete")
	}
	return nil
}
