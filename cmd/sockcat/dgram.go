package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"

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
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	obj := describe(l.Addr)
	m := meter.New(env.Tool, env.Stderr, o.Progress)
	start := time.Now()
	defer func() {
		m.Stop()
		if o.Verbose {
			env.Warnf("%s, %s, through %s in %s (%s)", plural(m.Msgs(), "datagram"), plural(m.Bytes(), "byte"), obj,
				time.Since(start).Round(time.Microsecond), meter.Rate(m.Bytes(), time.Since(start)))
		}
	}()

	var mu sync.Mutex
	var peer unix.Sockaddr
	first := make(chan struct{})
	errs := make(chan error, 2)

	// Receive: each datagram whole, then remember who sent it.
	go func() {
		buf := make([]byte, 64<<10)
		out := int(env.Stdout.Fd())
		for {
			n, from, err := relay.RecvFrom(ctx, l.FD, &buf)
			if err != nil {
				errs <- err
				return
			}
			// --send-only prints nothing: a datagram only says who the
			// peer is.
			if !o.SendOnly {
				if err := relay.WriteAll(ctx, out, buf[:n]); err != nil {
					errs <- cli.Output(err)
					return
				}
				m.AddMsg(n)
			}
			mu.Lock()
			isFirst := peer == nil && from != nil
			if isFirst {
				close(first)
			}
			if from != nil {
				peer = from
			}
			mu.Unlock()
			if o.Verbose && isFirst {
				env.Warnf("first datagram from %s", describe(sock.FromSockaddr(from, l.Addr.Type)))
			}
		}
	}()

	// Send: nothing has anywhere to go until a peer has spoken.
	go func() {
		if o.RecvOnly {
			return
		}
		select {
		case <-first:
		case <-ctx.Done():
			return
		}
		err := sendLines(ctx, env, o, m, l.FD, l.Addr, func() unix.Sockaddr {
			mu.Lock()
			defer mu.Unlock()
			return peer
		})
		errs <- err
	}()

	var idle <-chan time.Time
	if o.Timeout.Set {
		t := time.NewTicker(min(o.Timeout.D/4+time.Millisecond, 100*time.Millisecond))
		defer t.Stop()
		idle = t.C
	}
	last, lastAt := int64(-1), time.Now()
	var quit <-chan time.Time
	for {
		select {
		case err := <-errs:
			if err == nil || errors.Is(err, io.EOF) {
				// Standard input ended: with --send-only there is nothing
				// left to do; -q bounds what is left, else keep serving.
				if o.SendOnly {
					return nil
				}
				if o.Quit.Set {
					quit = time.After(o.Quit.D)
				}
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return datagramErr(obj, err)
		case <-quit:
			return nil
		case now := <-idle:
			if b := m.Bytes() + m.Msgs(); b != last {
				last, lastAt = b, now
			} else if now.Sub(lastAt) >= o.Timeout.D {
				if m.Moved() {
					return nil
				}
				return cli.Timeout(obj, "waiting for a datagram")
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func datagramErr(obj string, err error) error {
	var ce *cli.Error
	if errors.As(err, &ce) || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, unix.EMSGSIZE) {
		return cli.Fail(obj, err, "a datagram must fit the socket's limit (65507 bytes for UDP; net.core.wmem_default for Unix)")
	}
	return cli.Fail(obj, err, "")
}

// sendLines sends standard input as datagrams to to(): one per read, or
// one per line with --lines. It returns nil at input's end.
func sendLines(ctx context.Context, env *cli.Env, o *options, m *meter.Meter, fd int, a sock.Addr, to func() unix.Sockaddr) error {
	max := maxMsg(a)
	var line int64
	in := bufio.NewReaderSize(env.Stdin, max+1)
	buf := make([]byte, max)
	for {
		var msg []byte
		var err error
		if o.Lines {
			msg, err = in.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				return cli.Failf("standard input", limitNote(a), "line %d is longer than the largest message, %d bytes; nothing of it was sent", line+1, max)
			}
		} else {
			var n int
			n, err = in.Read(buf)
			msg = buf[:n]
		}
		if len(msg) > 0 {
			if serr := relay.SendMsg(ctx, fd, msg, to()); serr != nil {
				return serr
			}
			m.AddMsg(len(msg))
			line++
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return cli.Fail("standard input", err, "")
		}
	}
}
