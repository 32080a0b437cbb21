package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"mqcat": main})
}

func TestScripts(t *testing.T) {
	p := scripttest.Params("testdata/script")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		// A -race build of mqcat sleeps a second at every exit to let
		// reports finish (GORACE atexit_sleep_ms); the scripts run it
		// some 150 times.
		env.Setenv("GORACE", "atexit_sleep_ms=0")
		return setup(env)
	}
	testscript.Run(t, p)
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "mqcat", cli.Parser("mqcat", usage, &options{}))
}
