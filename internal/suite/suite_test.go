// Package suite holds the end-to-end tests that drive all six tools the
// same way: the rules SPEC section 1 makes for every tool, checked once
// for each of them, so that a tool that drifts shows up here.
package suite

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// bin is where TestMain builds the six tools.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ipcats-suite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	code := build(dir)
	if code == 0 {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles every tool under cmd/ into dir, as `make build` does.
func build(dir string) int {
	cmd := exec.Command("go", "build", "-trimpath", "-o", dir+"/", "../../cmd/...")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build`: static
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the tools:", err)
		return 1
	}
	return 0
}

// TestAllTools drives every tool through the same faults, one script per
// tool and one per fault that all six share: a stop signal while standard
// output is stalled and while a transfer with --rm is under way (exit
// 128+N within half a second, --rm done, nothing left), and a tiny
// descriptor limit (one line naming RLIMIT_NOFILE, never a crash dump).
func TestAllTools(t *testing.T) {
	p := scripttest.Params("testdata/script")
	p.WorkdirRoot = t.TempDir()
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
		return setup(env)
	}
	testscript.Run(t, p)
}
