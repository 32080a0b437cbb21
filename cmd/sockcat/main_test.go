package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
	"github.com/ipcats/ipcats/internal/sock"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"sockcat": func() {
		// A script can make the kernel's socket table unreadable, to see
		// --rm --stale refuse rather than guess.
		if p := os.Getenv("SOCKCAT_TEST_NET_UNIX"); p != "" {
			sock.NetUnix = p
		}
		main()
	}})
}

func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "sockcat", cli.Parser("sockcat", usage, &options{}))
}
