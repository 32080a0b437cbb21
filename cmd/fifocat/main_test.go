package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"fifocat": main})
}

func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script")
}

// TestSerialScripts runs, after TestScripts and alone, the scripts that look
// at every process on the system (whether anyone waits to open a FIFO), so
// that the waiting writers of the scripts above cannot disturb them.
func TestSerialScripts(t *testing.T) {
	scripttest.Run(t, "testdata/serial")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "fifocat", cli.Parser("fifocat", usage, &options{}))
}
