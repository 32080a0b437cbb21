package mancheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONSection: the six man pages document the one JSON schema, and
// how tables fit the terminal, in the same words. A page cannot include
// another, so each has a copy of the JSON and ENVIRONMENT sections, and
// this test keeps the copies identical (edit one, then copy it to the
// others).
func TestJSONSection(t *testing.T) {
	for _, name := range []string{"JSON", "ENVIRONMENT"} {
		t.Run(name, func(t *testing.T) { sameSection(t, name) })
	}
}

func sameSection(t *testing.T, name string) {
	pages, err := filepath.Glob("../../man/*.1")
	if err != nil || len(pages) != 6 {
		t.Fatalf("man pages: %v, %v; want six", pages, err)
	}
	var first, firstPage string
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sec := section(string(b), name)
		switch {
		case sec == "":
			t.Errorf("%s: no .Sh %s section", p, name)
		case first == "":
			first, firstPage = sec, p
			if name != "JSON" {
				continue
			}
			for _, field := range []string{"pid", "comm", "mode", "owner", "group", "size", "key", "id", "name", "path", "holders", "idle", "stale"} {
				if !strings.Contains(sec, ".It Li "+field+"\n") && !strings.Contains(sec, ".It Li "+field+" ,") && !strings.Contains(sec, "Li "+field+"\n") {
					t.Errorf("%s: JSON section does not name the shared field %q", p, field)
				}
			}
		case sec != first:
			t.Errorf("%s: %s section differs from %s's; the six copies must be the same", p, name, firstPage)
		}
	}
}

// section is the text of mdoc section name, from its .Sh line to the next.
func section(page, name string) string {
	start := strings.Index(page, "\n.Sh "+name+"\n")
	if start < 0 {
		return ""
	}
	rest := page[start+1:]
	if end := strings.Index(rest[1:], "\n.Sh "); end >= 0 {
		return rest[:end+2]
	}
	return rest
}
