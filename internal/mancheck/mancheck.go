// Package mancheck keeps each man page true to its binary: every option
// the go-flags parser accepts appears in an .It line of the page, every
// option an .It line names exists, and groff renders the page without a
// warning.
package mancheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jessevdk/go-flags"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// Flags lists the options p accepts, as "-r" and "--read".
func Flags(p *flags.Parser) []string {
	var out []string
	var walk func(g *flags.Group)
	walk = func(g *flags.Group) {
		for _, o := range g.Options() {
			if o.Hidden {
				continue
			}
			if o.ShortName != 0 {
				out = append(out, "-"+string(o.ShortName))
			}
			if o.LongName != "" {
				out = append(out, "--"+o.LongName)
			}
		}
		for _, sub := range g.Groups() {
			walk(sub)
		}
	}
	walk(p.Command.Group)
	if p.Options&flags.HelpFlag != 0 {
		out = append(out, "-h", "--help") // go-flags adds them when parsing
	}
	sort.Strings(out)
	return out
}

var itFl = regexp.MustCompile(`Fl ((?:\\-|[A-Za-z0-9?])+)`)

// PageFlags lists the options the page's .It lines document.
func PageFlags(page []byte) []string {
	seen := map[string]bool{}
	for _, line := range strings.Split(string(page), "\n") {
		if !strings.HasPrefix(line, ".It Fl") {
			continue
		}
		for _, m := range itFl.FindAllStringSubmatch(line, -1) {
			name := strings.ReplaceAll(m[1], `\-`, "-")
			if len(name) == 1 {
				seen["-"+name] = true
			} else {
				seen["--"+strings.TrimPrefix(name, "-")] = true
			}
		}
	}
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Check compares man/TOOL.1 with the parser's options and lints it.
func Check(t *testing.T, tool string, p *flags.Parser) {
	t.Helper()
	path := filepath.Join(scripttest.Top(t), "man", tool+".1")
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	have := map[string]bool{}
	for _, f := range PageFlags(page) {
		have[f] = true
	}
	for _, f := range Flags(p) {
		if !have[f] {
			t.Errorf("%s accepts %s but %s does not document it in an .It line", tool, f, path)
		}
		delete(have, f)
	}
	for f := range have {
		t.Errorf("%s documents %s but %s does not accept it", path, f, tool)
	}
	for _, sec := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "EXAMPLES", "SEE ALSO"} {
		if !bytes.Contains(page, []byte("\n.Sh "+sec+"\n")) {
			t.Errorf("%s has no %s section", path, sec)
		}
	}
	if groff, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command(groff, "-mandoc", "-ww", "-z", path)
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff -mandoc -ww -z %s: %v\n%s", path, err, out)
		}
	}
}
