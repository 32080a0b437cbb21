package suite

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

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
		if uses {
			t.Errorf("cmd/%s imports golang.org/x/sys/unix or syscall; move the system calls into an internal package", tool)
		}
	}
}

// TestShortFunctions keeps every function readable at a glance: one over
// 80 lines says why in its doc comment ("Over 80 lines: ...").
func TestShortFunctions(t *testing.T) {
	fset := token.NewFileSet()
	for _, root := range []string{"../../cmd", "../../internal"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				name := strings.TrimPrefix(path, "../../") + " " + fn.Name.Name
				why := fn.Doc != nil && strings.Contains(strings.ToLower(strings.Join(strings.Fields(fn.Doc.Text()), " ")), "over 80 lines")
				if n > 80 && !why {
					t.Errorf("%s is %d lines: cut it, or say why in its doc comment (\"Over 80 lines: ...\")", name, n)
				}
			}
			return nil
		})
	}
}
