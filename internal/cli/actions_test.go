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
