package main

import (
	"context"
	"errors"
	"time"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/relay"
	"github.com/ipcats/ipcats/internal/sock"
)

// serveDatagrams is a datagram listener: every datagram received is
// written whole to standard output, and standard input goes to the peer
// that sent last (as nc -lu answers). It runs until a signal, -w of idle
// time, or -q after standard input's end.
func serveDatagrams(ctx context.Context, env *cli.Env, o *options, l *sock.Listener) error {
	obj := describe(l.Addr)
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	d := relay.Datagrams{
		Sock: l.FD, In: int(env.Stdin.Fd()), Out: int(env.Stdout.Fd()), Meter: m,
		Lines: o.Lines, MaxMsg: maxMsg(l.Addr), Linger: -1, Idle: o.Timeout.D,
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
	if o.Verbose {
		d.First = func(from relay.Sockaddr) {
			env.Warnf("first datagram from %s", describe(sock.FromSockaddr(from, l.Addr.Type)))
		}
	}
	start := time.Now()
	_, err := d.Run(ctx)
	m.Stop()
	if o.Verbose {
		env.Warnf("%s, %s, through %s in %s (%s)", plural(m.Msgs(), "datagram"), plural(m.Bytes(), "byte"), obj,
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
	case errors.Is(err, relay.ErrIdle):
		if m.Moved() {
			return nil
		}
		return cli.Timeout(obj, "waiting for a datagram")
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
