package cli

import (
	"bytes"
	"testing"
)

func TestCompleteShort(t *testing.T) {
	p := Parser("t", "", &worded{})
	run := func(args ...string) (string, bool) {
		var out bytes.Buffer
		ok := completeShort(&out, p, args)
		return out.String(), ok
	}
	if _, ok := run("-"); ok {
		t.Error("answered without GO_FLAGS_COMPLETION")
	}
	t.Setenv("GO_FLAGS_COMPLETION", "1")
	out, ok := run("-")
	want := "-n\n-t\n-v\n--json\n--nonblock\n--progress\n--timeout\n--verbose\n--version\n"
	if !ok || out != want {
		t.Errorf("'-': %q, %v; want the short options, then the long ones:\n%s", out, ok, want)
	}
	if out, ok := run("x", "-t"); !ok || out != "-t\n" {
		t.Errorf("'-t': %q, %v", out, ok)
	}
	for _, w := range []string{"--ti", "-tv", "x"} {
		if _, ok := run(w); ok {
			t.Errorf("%q: answered; go-flags' own completion should", w)
		}
	}
}
