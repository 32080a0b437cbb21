package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
)

func TestMain(m *testing.M) {
	// Under -race every exited process sleeps a second (atexit_sleep_ms)
	// unless told otherwise; testscript passes GORACE on to the commands.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	testscript.Main(m, map[string]func(){"mmapcat": main})
}

func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "mmapcat", cli.Parser("mmapcat", usage, &options{}))
}
