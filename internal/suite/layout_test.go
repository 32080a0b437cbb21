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

// notYet is the tools whose package still makes system calls itself:
// issue 11 moves them into internal/ one mechanism at a time. The list
// only shrinks: a tool that no longer imports x/sys/unix must leave it.
var notYet = map[string]bool{"sockcat": true}

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

// longYet is the functions over 80 lines that issue 11's moves have not
// yet cut or explained; the list only shrinks.
var longYet = map[string]bool{
	"cmd/sockcat/dgram.go serveDatagrams": true,
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
				switch {
				case n > 80 && !why && !longYet[name]:
					t.Errorf("%s is %d lines: cut it, or say why in its doc comment (\"Over 80 lines: ...\")", name, n)
				case longYet[name] && (n <= 80 || why):
					t.Errorf("%s is no longer a long function without a reason: take it off longYet", name)
				}
			}
			return nil
		})
	}
}
