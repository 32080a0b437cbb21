package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"mmapcat": main})
}

func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "mmapcat", cli.Parser("mmapcat", usage, &options{}))
}
