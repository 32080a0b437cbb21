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
	// $SHMCAT is a shmcat without the race detector where this test has
	// it: a SIGBUS on a truncated ring inside the race runtime's atomics
	// (C code, on the system stack) cannot be recovered, so
	// stream_truncate.txtar checks the fault path of the real program.
	shmcat := "shmcat"
	if raceEnabled {
		shmcat = scripttest.BuildTool(t, "shmcat")
	}
	scripttest.Setenv("SHMCAT", shmcat)
	scripttest.Run(t, "testdata/script")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "shmcat", cli.Parser("shmcat", usage, &options{}))
}
