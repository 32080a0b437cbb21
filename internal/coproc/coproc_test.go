package coproc

import (
	"errors"
	"os"
	"testing"
)

func TestStart(t *testing.T) {
	dir := t.TempDir()
	noexec := dir + "/noexec.sh"
	if err := os.WriteFile(noexec, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		argv    []string
		status  int
		started bool
	}{
		{[]string{"true"}, 0, true},
		{[]string{"false"}, 1, true},
		{[]string{"sh", "-c", "exit 7"}, 7, true},
		{[]string{"sh", "-c", "kill -TERM $$"}, 143, true},
		{[]string{"no-such-command-ipcats"}, NotFound, false},
		{[]string{dir + "/missing"}, NotFound, false},
		{[]string{noexec}, CannotRun, false},
		{[]string{dir}, CannotRun, false},
	}
	for _, tt := range tests {
		p, err := Start(tt.argv, nil, nil, nil)
		if !tt.started {
			var se *StartError
			if !errors.As(err, &se) || se.Status != tt.status {
				t.Errorf("Start(%q) = %v; want a StartError with status %d", tt.argv, err, tt.status)
			}
			continue
		}
		if err != nil {
			t.Errorf("Start(%q) = %v; want it started", tt.argv, err)
			continue
		}
		if status, _, err := p.Wait(); status != tt.status || err != nil {
			t.Errorf("Start(%q).Wait() = %d, %v; want %d", tt.argv, status, err, tt.status)
		}
	}
}
