package main

import (
	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sock"
)

// list prints the sockets that someone listens on or talks over (--list).
func list(env *cli.Env, o *options) error {
	rows, hidden, err := sock.List()
	if err != nil {
		return cli.Fail("/proc/net", err, "")
	}
	if err := report.List(env.Stdout, o.JSON, sock.ListColumns, rows); err != nil {
		return cli.Output(err)
	}
	if hidden > 0 && !o.JSON {
		env.Warnf("%d processes could not be inspected; run as root to see every holder", hidden)
	}
	return nil
}
