package window

import (
	"go/build"
	"testing"
)

// TestToolsMakeNoSyscalls: the two tools this package serves hold no
// kernel calls in their own package; those live in internal packages with
// tests of their own (issue 11).
func TestToolsMakeNoSyscalls(t *testing.T) {
	for _, dir := range []string{"../../cmd/shmcat", "../../cmd/mmapcat"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports { // non-test files only
			if imp == "golang.org/x/sys/unix" || imp == "syscall" {
				t.Errorf("%s imports %s; move the call into an internal package", dir, imp)
			}
		}
	}
}
