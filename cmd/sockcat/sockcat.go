package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/sock"
	"github.com/ipcats/ipcats/internal/tap"
)

// describe names an address in messages: "127.0.0.1:5555 (tcp)".
func describe(a sock.Addr) string { return a.String() + " (" + a.Proto() + ")" }

// peerName names an accepted peer in -v: a Unix client is most often an
// unnamed socket.
func peerName(a sock.Addr) string {
	if a.Family == sock.Unix && a.Path == "" {
		return "an unnamed socket (unix)"
	}
	return describe(a)
}

// waitErr turns a failed wait for a peer into the exit statuses: -w
// expiring is 3, --nonblock finding nobody is 3, a signal is the signal.
func waitErr(ctx context.Context, obj, what string, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return cli.Timeout(obj, what)
	case errors.Is(err, sock.ErrWouldBlock):
		return cli.Nothing(obj, "no peer ready")
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}

// patience is -w and --nonblock, for one wait for a peer, and what a
// client socket gets before it connects (-s, -p, -I, -O).
func patience(o *options) sock.Patience {
	return sock.Patience{Timeout: o.Timeout.D, Nonblock: o.Nonblock, Local: local(o)}
}

// local is -s, -p, -I and -O for a client, parsed by parseAddr before.
func local(o *options) sock.Local {
	l, _ := sock.ParseLocal(o.Source, o.SrcPort, o.UDP)
	if o.Listen {
		l = sock.Local{}
	}
	l.RcvBuf, l.SndBuf = int(o.RcvBuf.N), int(o.SndBuf.N)
	return l
}

// localNote is the -v note of a client's own address (with -s or -p)
// and buffer sizes (with -I or -O).
func localNote(o *options, fd int, a sock.Addr) string {
	note := ""
	if !o.Listen && (o.Source != "" || o.SrcPort != "") {
		if me, err := sock.LocalAddr(fd, a.Type); err == nil {
			note = " from " + me.String()
		}
	}
	if o.RcvBuf.Set || o.SndBuf.Set {
		rcv, snd := sock.Buffers(fd)
		note += fmt.Sprintf(", buffers: receive %s, send %s (as the kernel set them)", meter.Count(int64(rcv), "byte"), meter.Count(int64(snd), "byte"))
	}
	return note
}

// dial connects, then probes, runs -e, or relays.
func dial(ctx context.Context, env *cli.Env, o *options, addrs []sock.Addr) error {
	if o.WaitFor.Set {
		return dialWaiting(ctx, env, o, addrs)
	}
	fd, a, err := sock.Connect(ctx, addrs, patience(o))
	return dialed(ctx, env, o, fd, a, err)
}

// dialWaiting is --wait: connect as soon as something listens, within
// the time given (wait-for-it, in one command).
func dialWaiting(ctx context.Context, env *cli.Env, o *options, addrs []sock.Addr) error {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, o.WaitFor.D)
	defer cancel()
	fd, a, tries, err := sock.ConnectRetryFrom(wctx, addrs, local(o))
	var nl *sock.NotListening
	if errors.As(err, &nl) && ctx.Err() == nil {
		return cli.Timeout(describe(a), fmt.Sprintf("waiting %v for a listener (%d tries, the last: %s)", o.WaitFor.D, nl.Tries, cli.Message(nl.Last)))
	}
	if err == nil && o.Verbose {
		env.Warnf("%s listens: found after %v (try %d)", describe(a), time.Since(start).Round(time.Millisecond), tries)
	}
	return dialed(ctx, env, o, fd, a, err)
}

// dialed probes, runs -e, or relays on a connection just made.
func dialed(ctx context.Context, env *cli.Env, o *options, fd int, a sock.Addr, err error) error {
	obj := describe(a)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sock.ErrWouldBlock) {
			return waitErr(ctx, obj, "connecting", err)
		}
		return cli.Fail(obj, err, connectHint(a, err))
	}
	defer sock.Close(fd)
	if o.Verbose {
		env.Warnf("connected to %s%s%s", obj, localNote(o, fd, a), credentials(a, fd))
	}
	switch {
	case o.Probe:
		return nil
	case o.Exec != "":
		return runExec(ctx, env, o, fd, true, a)
	}
	return converse(ctx, env, o, fd, a)
}

// scan is -z without --wait: each port from addrs' to hi in turn,
// silent about ports that are closed unless -v, which gives one line per
// port. The status: 0 when one port answered, else the last port's.
func scan(ctx context.Context, env *cli.Env, o *options, addrs []sock.Addr, hi int) error {
	var status error
	open := false
	for port := addrs[0].Port; port <= hi; port++ {
		at := make([]sock.Addr, len(addrs))
		for i, a := range addrs {
			a.Port = port
			at[i] = a
		}
		err := probe(ctx, env, o, at)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			open = true
		default:
			status = err
		}
	}
	if open {
		return nil
	}
	return status
}

// probe tries one port (-z): a stream connect, or for UDP an empty
// datagram that a closed port refuses. A closed port's error is quiet
// (an exit status only) without -v.
func probe(ctx context.Context, env *cli.Env, o *options, addrs []sock.Addr) error {
	var a sock.Addr
	var err error
	note := ""
	if o.UDP && addrs[0].Family != sock.Unix {
		var answered bool
		a, answered, err = sock.ProbeUDP(ctx, addrs, o.Timeout.D, local(o))
		if err == nil && !answered {
			note = fmt.Sprintf(" (udp: no refusal within %v: open, or a firewall drops the probe)", max(o.Timeout.D, sock.UDPProbeWait))
		}
	} else {
		var fd int
		fd, a, err = sock.Connect(ctx, addrs, patience(o))
		if err == nil {
			note = credentials(a, fd)
			sock.Close(fd)
		}
	}
	if err == nil {
		if o.Verbose {
			env.Warnf("connected to %s%s", describe(a), note)
		}
		return nil
	}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ctx.Err()
	}
	closed := sock.Closed(err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sock.ErrWouldBlock) {
		err = waitErr(ctx, describe(a), "connecting", err)
	} else {
		err = cli.Fail(describe(a), err, connectHint(a, err))
	}
	code, msg := cli.Status(ctx, err)
	if o.Verbose || !closed {
		env.Warnf("%s", msg)
	}
	return cli.ExitStatus(code)
}

func connectHint(a sock.Addr, err error) string {
	var se *sock.SourceError
	switch {
	case errors.As(err, &se) && errors.Is(err, sock.ErrAddrInUse):
		return "another socket has that source address and port"
	case errors.As(err, &se) && errors.Is(err, sock.ErrAddrNotAvail):
		return "-s takes an address of this host (ip address shows them)"
	case errors.As(err, &se):
		return ""
	case errors.Is(err, sock.ErrSourceFamily):
		return "the host has no address of the family of -s"
	case errors.Is(err, sock.ErrRefused) && a.Family == sock.Unix && !a.Abstract():
		return "nothing listens there (a stale socket file?)"
	case errors.Is(err, sock.ErrRefused):
		return "nothing listens there"
	case errors.Is(err, sock.ErrNoEnt):
		return "start the listener first (sockcat -lU " + a.Path + ")"
	case errors.Is(err, sock.ErrAccess) && a.Family == sock.Unix:
		if dir := filepath.Dir(a.Path); !sock.Searchable(dir) {
			return "reaching the socket needs search (x) permission on " + dir + " and the directories above it"
		}
		return "connecting needs write permission on the socket file (the listener's -m)"
	}
	return ""
}

// credentials is the -v note of a Unix peer's pid, uid and gid.
func credentials(a sock.Addr, fd int) string {
	if a.Family != sock.Unix {
		return ""
	}
	c, err := sock.PeerCred(fd)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(", peer pid %d uid %d gid %d", c.PID, c.UID, c.GID)
}

// serve listens, then relays each connection (one at a time, as nc does),
// or runs -e for each (each its own process, concurrently, with -k).
func serve(ctx context.Context, env *cli.Env, o *options, a sock.Addr) error {
	l, err := sock.Listen(a, sock.ListenOptions{Mode: o.Mode.Or(0o600), Unlink: o.Unlink, V6Only: o.IPv6, RcvBuf: int(o.RcvBuf.N), SndBuf: int(o.SndBuf.N)})
	if err != nil {
		return listenErr(a, err)
	}
	defer l.Close(o.KeepFile)
	obj := describe(l.Addr)
	if o.Verbose {
		env.Warnf("listening on %s", obj)
	}
	if a.Type == sock.Datagram {
		return serveDatagrams(ctx, env, o, l)
	}
	moved := false
	for {
		fd, peer, err := l.Accept(ctx, patience(o))
		if err != nil {
			if moved && errors.Is(err, context.DeadlineExceeded) {
				return nil // -k -w: no next peer came; earlier ones moved data
			}
			return waitErr(ctx, obj, "waiting for a connection", err)
		}
		if o.Verbose {
			env.Warnf("connection from %s%s%s", peerName(peer), localNote(o, fd, peer), credentials(peer, fd))
		}
		if peer.Family == sock.Unix {
			// Messages name the socket the user knows: ours.
			peer = l.Addr
		}
		if o.Exec != "" {
			err = runExec(ctx, env, o, fd, !o.Keep, peer)
			sock.Close(fd)
			moved = true
		} else {
			err = converse(ctx, env, o, fd, peer)
			sock.Close(fd)
			moved = moved || err == nil
		}
		if !o.Keep || ctx.Err() != nil {
			return err
		}
		if err != nil {
			// One peer's failure does not end a -k service; our own
			// standard input or output failing does.
			code, msg := cli.Status(ctx, err)
			if code > cli.ExitTimeout || strings.HasPrefix(msg, "standard ") {
				return err
			}
			env.Warnf("%s", msg)
		}
	}
}

func listenErr(a sock.Addr, err error) error {
	obj := describe(a)
	switch {
	case errors.Is(err, sock.ErrPathExists):
		return cli.Fail(a.Path, errors.New("a socket file is in the way"), "--unlink removes it if nobody answers on it")
	case errors.Is(err, sock.ErrLive):
		return cli.Fail(a.Path, err, "--unlink removes only stale sockets: choose another path, or stop that program")
	case errors.Is(err, sock.ErrNotSocket):
		return cli.Fail(a.Path, errors.New("exists and is not a socket"), "sockcat never removes anything but a stale socket")
	case errors.Is(err, sock.ErrAddrInUse):
		return cli.Fail(obj, err, "another socket is bound there")
	case errors.Is(err, sock.ErrAccess) && a.Family == sock.Unix:
		return cli.Fail(obj, err, "creating the socket file needs write and search permission on "+filepath.Dir(a.Path))
	case errors.Is(err, sock.ErrAccess):
		return cli.Fail(obj, err, "ports below 1024 need root (or net.ipv4.ip_unprivileged_port_start)")
	}
	return cli.Fail(obj, err, "")
}

// withCRLF is -C: run reads standard input through relay.CRLF, which
// sends each line feed as CRLF (nc -C), for every connection of the run.
func withCRLF(ctx context.Context, env *cli.Env, o *options, run func(context.Context, *cli.Env, *options) error) error {
	o.ttyIn = sock.IsTerminal(int(env.Stdin.Fd()))
	c, err := relay.NewCRLF(ctx, int(env.Stdin.Fd()))
	if err != nil {
		return cli.Fail("standard input", err, "")
	}
	stdin := env.Stdin
	env.Stdin = os.NewFile(uintptr(c.FD), "standard input")
	err = run(ctx, env, o)
	env.Stdin = stdin
	c.Close()
	if err == nil && c.Err() != nil {
		return cli.Fail("standard input", c.Err(), "")
	}
	return err
}

// converse relays standard input and output with one connected peer.
func converse(ctx context.Context, env *cli.Env, o *options, fd int, peer sock.Addr) error {
	obj := describe(peer)
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	d := relay.Duplex{
		Sock: fd, In: int(env.Stdin.Fd()), Out: int(env.Stdout.Fd()), Meter: m,
		Linger: -1, NoShutdown: o.NoShut,
		// A -k listener serves the next peer as soon as this one has
		// ended (as nc -k): what standard input says next is the next
		// peer's, never sent into a connection nobody reads.
		PeerEnds: o.ttyIn || sock.IsTerminal(int(env.Stdin.Fd())) || o.Listen && o.Keep,
	}
	if o.Quit.Set {
		d.Linger = o.Quit.D
	}
	var ended func()
	d.Tee, ended = o.rec.conn(o, fd, peer)
	defer ended()
	switch {
	case peer.Type == sock.Seqpacket:
		d.Messages, d.Lines, d.MaxMsg = true, o.Lines, peer.MaxMsg()
	case peer.Type == sock.Datagram:
		d.Messages, d.Lines, d.Datagram, d.MaxMsg = true, o.Lines, true, peer.MaxMsg()
		if !o.Quit.Set {
			d.Linger = 0 // a datagram client ends at input's end
		}
	}
	if o.RecvOnly {
		d.In = -1
	}
	if o.SendOnly {
		// Read and drop what the peer sends until it has all of standard
		// input, then end (as ncat --send-only): closing with unread
		// input would reset the connection and could destroy the tail of
		// what we sent, so the relay waits for the send queue to empty.
		d.InputEnds = true
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return cli.Fail(os.DevNull, err, "")
		}
		defer null.Close()
		d.Out = int(null.Fd())
	}
	start := time.Now()
	ctx, cancel := cli.Bound(ctx, o.Timeout, m) // -w: nothing moved for so long
	defer cancel()
	res, err := d.Run(ctx)
	m.Stop()
	if o.Verbose {
		env.Warnf("%s", summary(res, d.Messages, m, obj, time.Since(start)))
	}
	return relayErr(ctx, obj, peer, res, m, err)
}

// summary is the -v line: exact counts each way, the peer, time and rate.
func summary(res relay.Result, msgs bool, m *meter.Meter, obj string, el time.Duration) string {
	what := fmt.Sprintf("sent %s, received %s", meter.Count(res.Sent, "byte"), meter.Count(res.Received, "byte"))
	if msgs {
		what = fmt.Sprintf("sent %s (%s), received %s (%s)",
			meter.Count(res.SentMsgs, "message"), meter.Count(res.Sent, "byte"),
			meter.Count(res.ReceivedMsgs, "message"), meter.Count(res.Received, "byte"))
	}
	return fmt.Sprintf("%s with %s in %s (%s)", what, obj, el.Round(time.Microsecond), meter.Rate(res.Sent+res.Received, el))
}

// relayErr maps how a relay ended to an exit status.
func relayErr(ctx context.Context, obj string, peer sock.Addr, res relay.Result, m *meter.Meter, err error) error {
	f, isPump := relay.FaultOf(err)
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return cli.Ended(ctx, err, m, obj, "waiting for data") // 0 if it moved data
	case ctx.Err() != nil:
		return ctx.Err()
	case !isPump:
		return cli.Fail(obj, err, "")
	case f.Wait:
		// Neither side's read or write failed: sockcat's own wait did
		// (poll, or no descriptor left for its wake-up eventfd).
		if cli.Message(f.Err) == "" {
			return cli.Failf(obj, "", "relay: %s; %d bytes of standard input were delivered, %d bytes received", reason(f.Err), res.Sent, res.Received)
		}
		return cli.Failf(obj, "", "relay: %w; %d bytes of standard input were delivered, %d bytes received", f.Err, res.Sent, res.Received)
	}
	inner := f.Err
	switch {
	case f.Send && !f.Write && errors.Is(inner, relay.ErrTooBig):
		line := "a line"
		var tb *relay.TooBigError
		if errors.As(inner, &tb) {
			line = fmt.Sprintf("line %d", tb.Line)
		}
		return cli.Failf("standard input", limitNote(peer),
			"%s is longer than the largest message, %d bytes; %d bytes were sent before it", line, peer.MaxMsg(), res.Sent)
	case f.Send && !f.Write:
		return cli.Fail("standard input", inner, fmt.Sprintf("%d bytes were sent", res.Sent))
	case f.Send && errors.Is(inner, sock.ErrMsgSize):
		return cli.Failf(obj, "a datagram must fit the socket's limit (65507 bytes for UDP; net.core.wmem_default for Unix)", "message too long; %d bytes were sent before it", res.Sent)
	case f.Send:
		return cli.Failf(obj, "", "the peer stopped reading (%s): only %d bytes of standard input were delivered", reason(inner), res.Sent)
	case f.Write:
		return cli.Output(inner)
	case !res.InputEOF:
		// The peer left (a reset) while standard input still had bytes:
		// what counts is how much of it was delivered.
		return cli.Failf(obj, "", "the peer left (%s): only %d bytes of standard input were delivered (%d bytes received)", reason(inner), res.Sent, res.Received)
	}
	return cli.Failf(obj, "", "%s after %d bytes received", reason(inner), res.Received)
}

// reason is an error's text for a message, never empty: an error with
// nothing to say is named for what it is.
func reason(err error) string {
	if m := cli.Message(err); m != "" {
		return m
	}
	if err == nil {
		return "no reason given"
	}
	return fmt.Sprintf("unexplained error (%T)", err)
}

// limitNote says where the largest message comes from, and what raises it.
func limitNote(a sock.Addr) string {
	switch a.Family {
	case sock.IPv4:
		return "UDP over IPv4 carries at most 65507 bytes per datagram; no setting raises it"
	case sock.IPv6:
		return "UDP over IPv6 carries at most 65527 bytes per datagram; no setting raises it"
	}
	return "sockcat sends Unix messages of up to 64 KiB; the kernel's own limit is the socket's SO_SNDBUF (net.core.wmem_default, up to net.core.wmem_max)"
}

// runExec runs /bin/sh -c CMD with the socket as its standard input and
// output. With wait, sockcat's exit status is the command's. With -v the
// command talks through a socket pair that sockcat relays and counts, and
// a line gives the counts of the connection with peer once it is over.
func runExec(ctx context.Context, env *cli.Env, o *options, fd int, wait bool, peer sock.Addr) error {
	if !o.Verbose {
		code, err := sock.Exec(ctx, fd, string(o.Exec), env.Stderr, wait)
		return execStatus(ctx, o, code, err)
	}
	c, err := sock.ExecCounted(fd, string(o.Exec), env.Stderr)
	if err != nil {
		return execStatus(ctx, o, 0, err)
	}
	counted := func() (int, error) {
		start := time.Now()
		code, res, err := c.Wait(ctx)
		if err == nil {
			env.Warnf("%s", summary(res, peer.Type == sock.Seqpacket, nil, describe(peer), time.Since(start)))
		}
		return code, err
	}
	if !wait {
		go counted() // each -k connection has its own process and line
		return nil
	}
	code, err := counted()
	return execStatus(ctx, o, code, err)
}

// execStatus is how -e's command ended, as sockcat's error.
func execStatus(ctx context.Context, o *options, code int, err error) error {
	var se *sock.StartError
	switch {
	case errors.As(err, &se):
		return cli.Fail(se.Object, se.Err, "")
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return cli.Fail("-e "+string(o.Exec), err, "")
	case code != 0:
		return &cli.Error{Code: code, Object: "-e " + string(o.Exec), Err: fmt.Errorf("exited with status %d", code)}
	}
	return nil
}

// serveDatagrams is a datagram listener: every datagram received is
// written whole to standard output, and standard input goes to the peer
// that sent last (as nc -lu answers). It runs until a signal, -w of idle
// time, or -q after standard input's end.
func serveDatagrams(ctx context.Context, env *cli.Env, o *options, l *sock.Listener) error {
	obj := describe(l.Addr)
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	d := relay.Datagrams{
		Sock: l.FD, In: int(env.Stdin.Fd()), Out: int(env.Stdout.Fd()), Meter: m,
		Lines: o.Lines, MaxMsg: l.Addr.MaxMsg(), Linger: -1,
		InputEnds: o.SendOnly,
	}
	if o.Quit.Set {
		d.Linger = o.Quit.D
	}
	if o.RecvOnly {
		d.In = -1
	}
	if o.SendOnly {
		d.Out = -1 // a datagram only says who the peer is
	}
	d.Tee = o.rec.datagrams(l.Addr.Type)
	if o.Verbose {
		d.First = func(from relay.Sockaddr) {
			env.Warnf("first datagram from %s", describe(sock.FromSockaddr(from, l.Addr.Type)))
		}
	}
	start := time.Now()
	ctx, cancel := cli.Bound(ctx, o.Timeout, m)
	defer cancel()
	_, err := d.Run(ctx)
	m.Stop()
	if o.Verbose {
		env.Warnf("%s, %s, through %s in %s (%s)", meter.Count(m.Msgs(), "datagram"), meter.Count(m.Bytes(), "byte"), obj,
			time.Since(start).Round(time.Microsecond), meter.Rate(m.Bytes(), time.Since(start)))
	}
	return datagramErr(ctx, obj, l.Addr, m, err)
}

// datagramErr maps how a datagram relay ended to an exit status.
func datagramErr(ctx context.Context, obj string, a sock.Addr, m *meter.Meter, err error) error {
	var pe *relay.PumpError
	var re *relay.ReadError
	var tb *relay.TooBigError
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return cli.Ended(ctx, err, m, obj, "waiting for a datagram")
	case ctx.Err() != nil || !errors.As(err, &pe):
		return err
	case pe.Send && errors.As(pe.Err, &tb):
		return cli.Failf("standard input", limitNote(a), "line %d is longer than the largest message, %d bytes; nothing of it was sent", tb.Line, tb.Max)
	case pe.Send && errors.As(pe.Err, &re):
		return cli.Fail("standard input", re.Err, "")
	case !pe.Send && !errors.As(pe.Err, &re):
		return cli.Output(errors.Unwrap(pe.Err))
	}
	inner := errors.Unwrap(pe.Err)
	if errors.Is(inner, sock.ErrMsgSize) {
		return cli.Fail(obj, inner, "a datagram must fit the socket's limit (65507 bytes for UDP; net.core.wmem_default for Unix)")
	}
	return cli.Fail(obj, inner, "")
}

// snoop is --tap PATH (move the socket aside, take its place, relay) and
// --tap-as NAME -U REAL (relay only): each client's bytes, both ways, are
// recorded on standard error until a signal; a --tap puts the server's
// socket file back at the end, whatever ended it.
func snoop(ctx context.Context, env *cli.Env, o *options) error {
	if err := checkTap(o, env.Args); err != nil {
		return err
	}
	rec, closeDump, err := o.Dump.Recorder(env)
	if err != nil {
		return err
	}
	if rec == nil {
		rec = dump.New(env.Stderr, dump.Hex) // the record is what a tap is for
	}
	err = tapped(ctx, env, o, rec)
	if cerr := closeDump(); cerr != nil {
		// A --dump file that could not be written whole says so, even
		// after a signal: the record was the point of the run.
		if err != nil && ctx.Err() == nil {
			env.Warnf("%s", cli.Message(cerr))
			return err
		}
		return cerr
	}
	return err
}

// tapped opens the tap (or --tap-as relay), serves it until a signal or
// an error, and puts the server's socket file back.
func tapped(ctx context.Context, env *cli.Env, o *options, rec *dump.Recorder) error {
	var err error
	typ := sock.Stream
	if o.Seqpacket {
		typ = sock.Seqpacket
	}
	var t *tap.Tap
	if o.TapAs != "" {
		t, err = openTapAs(o, env.Args[0], typ)
	} else {
		t, err = openTap(env, o.Tap, typ)
	}
	if err != nil {
		return err
	}
	defer t.Close()
	var failed atomic.Bool // set by the restore, which a second signal may run
	restore := env.Cleanup(func() {
		// Also when a second signal makes sockcat exit at once.
		msg, err := t.Restore()
		if msg != "" {
			env.Warnf("%s", msg)
		}
		if err != nil {
			env.Warnf("%s: %s", t.Path, cli.Message(err))
			failed.Store(true)
		}
	})
	defer restore()
	if t.Note != "" {
		env.Warnf("%s: %s", t.Path, t.Note)
	}
	if t.Hidden != "" {
		env.Warnf("tapping %s: the server's socket waits at %s until sockcat ends", t.Path, t.Hidden)
	} else {
		env.Warnf("relaying %s to %s", describe(sock.Addr{Family: sock.Unix, Type: typ, Path: t.Path}), describe(t.Real))
	}
	err = t.Serve(ctx, rec)
	restore()
	switch {
	case failed.Load():
		return cli.ExitStatus(cli.ExitFailure)
	case err != nil && ctx.Err() == nil:
		return cli.Fail(t.Path, err, "")
	}
	return err
}

// openTap repairs what an interrupted tap of path left (saying so), then
// taps it.
func openTap(env *cli.Env, path string, typ int) (*tap.Tap, error) {
	unlock := tap.Lock(path)
	defer unlock()
	found, err := tap.Find(path)
	var te *tap.TappedError
	switch {
	case errors.As(err, &te):
		return nil, cli.Fail(path, err, fmt.Sprintf("stop that one first (kill %d)", te.PID))
	case err != nil:
		return nil, cli.Fail(path, err, "")
	}
	for _, i := range found {
		msg, err := i.Repair(false)
		if err != nil {
			return nil, cli.Fail(path, err, "")
		}
		env.Warnf("%s", msg)
	}
	t, err := tap.Open(path, typ)
	if err != nil {
		return nil, tapErr(path, typ, err)
	}
	return t, nil
}

// openTapAs binds name and relays to the -U address real.
func openTapAs(o *options, real string, typ int) (*tap.Tap, error) {
	r, err := sock.ParseUnix(real, typ)
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	n, err := sock.ParseUnix(o.TapAs, typ)
	if err != nil {
		return nil, cli.Usagef("--tap-as: %v", err)
	}
	if n.Abstract() && o.Mode.Set {
		return nil, cli.Usagef("-m: an abstract socket has no file, so no mode")
	}
	t, err := tap.OpenAs(n, r, o.Mode.Or(0o600))
	var pe *os.PathError
	switch {
	case err == nil:
		return t, nil
	case errors.Is(err, tap.ErrNotListening) || errors.Is(err, tap.ErrWrongType) || errors.As(err, &pe) && pe.Op == "stat":
		return nil, tapErr(real, typ, err)
	case errors.Is(err, sock.ErrRefused) || errors.Is(err, sock.ErrNoEnt):
		return nil, cli.Fail(describe(r), err, "")
	}
	return nil, listenErr(n, err)
}

// tapErr words a failed tap of path: what is wrong, and what to do.
func tapErr(path string, typ int, err error) error {
	dir := filepath.Dir(path)
	hint := ""
	switch {
	case errors.Is(err, tap.ErrNotListening) && strings.HasPrefix(path, "@"):
		hint = "a tap needs a live server to relay to"
	case errors.Is(err, tap.ErrNotListening):
		hint = "a tap needs a live server to relay to (a stale socket file?)"
	case errors.Is(err, tap.ErrWrongType) && typ == sock.Stream:
		hint = "a SOCK_SEQPACKET or datagram socket: --seqpacket taps the first; datagrams cannot be tapped"
	case errors.Is(err, tap.ErrWrongType):
		hint = "not a SOCK_SEQPACKET socket: tap it without --seqpacket"
	case errors.Is(err, os.ErrNotExist):
		hint = "--tap needs the socket file of a live server"
	case errors.Is(err, sock.ErrAccess) && strings.Contains(err.Error(), "connect"):
		hint = "connecting needs write permission on the socket file"
	case errors.Is(err, sock.ErrAccess) || errors.Is(err, os.ErrPermission):
		hint = "tapping needs write permission on " + dir + ", to move the socket file aside and take its place; nothing was moved"
	case errors.Is(err, tap.ErrBusy):
		hint = "a mount point (bind-mounted into a container?) cannot be moved: relay from another name with --tap-as NAME -U " + path
	}
	return cli.Fail(path, err, hint)
}

// repairTaps is the first step of --rm --stale: each tap in dirs whose
// sockcat is gone is undone (or, with dryRun, said how it would be), on
// standard error. Without dirs: the stale search's directories and /run.
// A tap it cannot undo is said too, and left; ok is false then.
func repairTaps(env *cli.Env, dirs []string, dryRun bool) (ok bool) {
	if len(dirs) == 0 {
		dirs = append(sock.StaleDirs(), "/run")
	}
	ok = true
	for _, i := range tap.Scan(dirs, tap.ScanDepth) {
		msg, err := i.Repair(dryRun)
		if err != nil {
			env.Warnf("%s: %s", i.Path, cli.Message(err))
			ok = false
			continue
		}
		env.Warnf("%s", msg)
	}
	return ok
}

// recording is the -x record of a run: the recorder (nil when -x is
// off) and the connections accepted so far, numbered in it with -k.
type recording struct {
	r     *dump.Recorder
	conns int
}

// recorded runs relay with the -x record open, if asked for; a record
// that could not be written whole fails the run at its end.
func (o *options) recorded(env *cli.Env, relay func() error) error {
	r, closeDump, err := o.Dump.Recorder(env)
	if err != nil {
		return err
	}
	o.rec.r = r
	err = relay()
	if cerr := closeDump(); err == nil {
		err = cerr
	}
	return err
}

// conn starts the record of connection fd with peer: the Tee of its
// relay, and the function that notes its end. A connection a listener
// accepted is noted as it starts and ends, with who the peer is (the
// pid and command of a Unix one, SO_PEERCRED), and with -k numbered.
// Off, both are no-ops.
func (rec *recording) conn(o *options, fd int, peer sock.Addr) (relay.Tee, func()) {
	if rec.r == nil {
		return nil, func() {}
	}
	if !o.Listen {
		return relay.Recorded(rec.r, 0, ""), func() {}
	}
	n := 0
	if o.Keep {
		rec.conns++
		n = rec.conns
	}
	who := peer.String()
	if peer.Family == sock.Unix {
		who = ""
		if c, err := sock.PeerCred(fd); err == nil {
			who = fmt.Sprintf("pid %d (%s)", c.PID, procfs.Comm(c.PID))
		}
	}
	rec.r.Event(n, who, "connected")
	return relay.Recorded(rec.r, n, ""), func() { rec.r.Event(n, who, "closed") }
}

// datagrams is the Tee of a datagram listener: each datagram's header
// names its sender (<) or addressee (>).
func (rec *recording) datagrams(typ int) relay.Tee {
	if rec.r == nil {
		return nil
	}
	return func(d dump.Dir, peer relay.Sockaddr, b []byte) {
		who := ""
		if a := sock.FromSockaddr(peer, typ); peer != nil && (a.Family != sock.Unix || a.Path != "") {
			who = a.String()
		}
		rec.r.Record(0, d, who, b)
	}
}
