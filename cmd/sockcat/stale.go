package main

import (
	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/sock"
)

// staleDirs are where --rm --stale and --list --stale look for socket files.
func staleDirs(args []string) []string {
	if len(args) > 0 {
		return args
	}
	return sock.StaleDirs()
}

// undecided is why a search that could not tell every socket file removes
// nothing, or lists what it could.
func undecided(err error, what string) error {
	return cli.Failf("", "run it again when the cause is gone (as root if /proc/net/unix is hidden)",
		"cannot tell which socket files are in use (%s); %s", reason(err), what)
}

// removeStale removes the stale socket files this user may remove (root:
// all; others: their own), printing each; --dry-run only prints.
func removeStale(env *cli.Env, o *options, args []string) error {
	found, err := sock.FindStale(staleDirs(args), &o.Idle)
	if err != nil {
		return undecided(err, "removed nothing")
	}
	var objs []cli.Stale
	for _, s := range found {
		objs = append(objs, s.Sweepable())
	}
	return env.Sweep("socket files", o.DryRun, objs)
}

// listStale prints the stale socket files (--list --stale); when some file
// could not be told, the ones that could, then an error.
func listStale(env *cli.Env, o *options, args []string) error {
	found, ferr := sock.FindStale(staleDirs(args), &o.Idle)
	rows := []report.Record{}
	for _, s := range found {
		rows = append(rows, s.Record())
	}
	if err := report.List(env.Stdout, o.JSON, sock.StaleColumns, rows); err != nil {
		return cli.Output(err)
	}
	if ferr != nil {
		return undecided(ferr, "the list may be incomplete")
	}
	return nil
}
