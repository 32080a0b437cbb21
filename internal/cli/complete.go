package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/jessevdk/go-flags"
)

// completeShort answers a completion request (GO_FLAGS_COMPLETION, from
// completion/ipcats.bash) for a last word of "-" or "-x". go-flags offers
// only long options there; a user of nc or ls expects the short ones
// too. It prints the short options that begin with the word, then the
// long ones, one per line, and reports whether it answered.
func completeShort(w io.Writer, p *flags.Parser, args []string) bool {
	if os.Getenv("GO_FLAGS_COMPLETION") == "" || len(args) == 0 {
		return false
	}
	word := args[len(args)-1]
	if !strings.HasPrefix(word, "-") || strings.HasPrefix(word, "--") || len(word) > 2 {
		return false
	}
	var short, long []string
	var walk func(g *flags.Group)
	walk = func(g *flags.Group) {
		for _, o := range g.Options() {
			if o.Hidden {
				continue
			}
			if o.ShortName != 0 && strings.HasPrefix("-"+string(o.ShortName), word) {
				short = append(short, "-"+string(o.ShortName))
			}
			if o.LongName != "" && len(word) == 1 {
				long = append(long, "--"+o.LongName)
			}
		}
		for _, sub := range g.Groups() {
			walk(sub)
		}
	}
	for _, g := range p.Groups() {
		walk(g)
	}
	sort.Strings(short)
	sort.Strings(long)
	for _, c := range append(short, long...) {
		fmt.Fprintln(w, c)
	}
	return true
}
