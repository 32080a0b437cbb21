package cli

import (
	"errors"
	"os"
	"testing"
)

func TestBegin(t *testing.T) {
	env := &Env{Tool: "t", Stdin: os.Stdin, Stdout: os.Stdout}
	var usage *UsageError
	if err := env.Begin(ActRead, "", "KEY: the object"); !errors.As(err, &usage) || usage.Msg != "missing KEY: the object" {
		t.Errorf("Begin without the object = %v; want a usage error naming it", err)
	}
	if err := env.Begin(ActList, "7777", "KEY"); !errors.As(err, &usage) {
		t.Errorf("Begin(--list, an object) = %v; want a usage error", err)
	}
	env.Args = []string{"extra"}
	if err := env.Begin(ActRead, "7777", "KEY"); !errors.As(err, &usage) || usage.Msg != `unexpected argument "extra"` {
		t.Errorf("Begin with an argument left over = %v; want it named", err)
	}
	env.Args = nil
	if err := env.Begin(ActRead, "7777", "KEY"); err != nil {
		t.Errorf("Begin(-r 7777) = %v; want nil", err)
	}
	if err := env.Begin(ActList, "", ""); err != nil {
		t.Errorf("Begin(--list) = %v; want nil", err)
	}
}

// acts is a command line's actions and sweep options together.
type acts struct {
	Actions
	Sweeping
}

func TestStart(t *testing.T) {
	env := &Env{Tool: "t", Stdin: os.Stdin, Stdout: os.Stdout}
	listed, checked := 0, []Action{}
	start := func(a acts, rides bool, arg string, check error) (Action, bool, bool, error) {
		return env.Start(Start{
			Actions: &a.Actions, Sweeping: &a.Sweeping, Rides: rides, Arg: arg, Form: "KEY",
			Check:       func(act Action) error { checked = append(checked, act); return check },
			List:        func() error { listed++; return nil },
			RemoveStale: func() error { return errors.New("swept") },
		})
	}
	// A lone --rm with a read-only option is -r --rm.
	if act, rm, done, err := start(acts{Actions{Rm: true}, Sweeping{}}, true, "7777", nil); act != ActRead || !rm || done || err != nil {
		t.Errorf("--rm riding: %v %v %v %v; want read, rmAfter, not done", act, rm, done, err)
	}
	if act, rm, done, _ := start(acts{Actions{Rm: true}, Sweeping{}}, false, "7777", nil); act != ActRemove || rm || done {
		t.Errorf("--rm: %v %v %v; want remove", act, rm, done)
	}
	// --list and --rm --stale are carried out; the tool's rules come first.
	if _, _, done, err := start(acts{Actions{List: true}, Sweeping{}}, false, "", nil); !done || err != nil || listed != 1 {
		t.Errorf("--list: done %v err %v listed %d", done, err, listed)
	}
	if _, _, done, err := start(acts{Actions{Rm: true}, Sweeping{Stale: true}}, false, "", nil); !done || err == nil || err.Error() != "swept" {
		t.Errorf("--rm --stale: done %v err %v", done, err)
	}
	refused := errors.New("bad flags")
	if _, _, done, err := start(acts{Actions{List: true}, Sweeping{}}, false, "", refused); !done || err != refused || listed != 1 {
		t.Errorf("a refused flag: done %v err %v, listed %d; want the tool's error and no listing", done, err, listed)
	}
	var usage *UsageError
	if _, _, done, err := start(acts{Actions{Read: true, Write: true}, Sweeping{}}, false, "7777", nil); !done || !errors.As(err, &usage) {
		t.Errorf("-r -w: done %v err %v; want a usage error", done, err)
	}
	if _, _, done, err := start(acts{Actions{Read: true}, Sweeping{}}, false, "", nil); !done || !errors.As(err, &usage) {
		t.Errorf("-r without KEY: done %v err %v; want a usage error", done, err)
	}
	if len(checked) != 6 || checked[0] != ActRead {
		t.Errorf("Check saw %v; want every resolved action, the riding read as a read", checked)
	}
}
