package suite

import (
	"os/exec"
	"strings"
	"testing"
)

// notYet is the tools whose package still makes system calls itself:
// issue 11 moves them into internal/ one mechanism at a time. The list
// only shrinks: a tool that no longer imports x/sys/unix must leave it.
var notYet = map[string]bool{"fifocat": true, "sockcat": true}

// TestToolsMakeNoSyscalls keeps the kernel out of cmd/: a tool's package
// holds its options, flag rules and wording; what talks to the kernel
// lives once in internal/, where the tools share it.
func TestToolsMakeNoSyscalls(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../../cmd/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		tool := f[0][strings.LastIndex(f[0], "/")+1:]
		uses := false
		for _, imp := range f[1:] {
			if imp == "golang.org/x/sys/unix" || imp == "syscall" {
				uses = true
			}
		}
		switch {
		case uses && !notYet[tool]:
			t.Errorf("cmd/%s imports golang.org/x/sys/unix or syscall; move the system calls into an internal package", tool)
		case !uses && notYet[tool]:
			t.Errorf("cmd/%s no longer imports golang.org/x/sys/unix or syscall: take it off notYet", tool)
		case uses:
			t.Logf("cmd/%s still imports golang.org/x/sys/unix (issue 11)", tool)
		}
	}
}
