package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mancheck"
	"github.com/ipcats/ipcats/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"pipecat": main})
}

func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script")
}

func TestManPage(t *testing.T) {
	mancheck.Check(t, "pipecat", cli.Parser("pipecat", usage, &options{}))
}

func TestParseFD(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"3", 3, true}, {"1048576", 1 << 20, true},
		{"", 0, false}, {"-1", 0, false}, {"+3", 0, false}, {"x", 0, false}, {"1048577", 0, false}, {"99999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseFD(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseFD(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseFD(f *testing.F) {
	for _, s := range []string{"0", "3", "-1", "+3", "1048577", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseFD(s)
		if err == nil && (n < 0 || n > 1<<20) {
			t.Fatalf("ParseFD(%q) = %d; want 0..1<<20", s, n)
		}
	})
}
