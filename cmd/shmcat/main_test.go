package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"shmcat": main})
}

func TestScripts(t *testing.T) {
	// [race]: a race-enabled shmcat, which cannot start under ulimit -v.
	scripttest.RegisterCondition("race", func() bool { return raceEnabled })
	scripttest.Run(t, "testdata/script")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "shmcat", cli.Parser("shmcat", usage, &options{}))
}
