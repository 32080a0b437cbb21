package report

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Width is how many columns a table printed to w may take: $COLUMNS when
// it is set to a positive number (terminal or not, so that
// "COLUMNS=80 tool --list | less" fits too), else the width of the
// terminal when w is one, else 0: no limit (a pipe or a file gets whole
// rows, for grep and awk).
func Width(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0
	}
	return int(ws.Col)
}

// Ellipsis ends text cut to fit a column. ASCII, so that every terminal
// and every byte count agree.
const Ellipsis = "..."

// minCut is the narrowest a free-text column is cut to (its heading, or
// a cell that is no free text, such as a key in a column of names, may
// keep it wider).
const minCut = 8

// textWidth is how many columns s takes (one per rune).
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// Cut shortens s to at most n columns, ending it with Ellipsis.
func Cut(s string, n int) string {
	if textWidth(s) <= n {
		return s
	}
	if n <= len(Ellipsis) {
		return Ellipsis[:max(n, 0)]
	}
	keep := n - len(Ellipsis)
	for i := range s {
		if keep == 0 {
			return s[:i] + Ellipsis
		}
		keep--
	}
	return s
}

// CutMiddle shortens s to at most n columns by taking out its middle, for
// a path or a name: the start says where, the end which file ("/proc/
// 1234/root/...box/data").
func CutMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < minCut {
		return Cut(s, n)
	}
	head := (n - len(Ellipsis)) / 3
	tail := n - len(Ellipsis) - head
	return string(r[:head]) + Ellipsis + string(r[len(r)-tail:])
}

// FitList joins items with sep in at most n columns: the first items and
// "+N more" for the rest (then suffix), fewer items the less room there
// is; when not even one item and "+N more" fit, the first item cut short.
func FitList(items []string, sep, suffix string, n int) string {
	full := strings.Join(items, sep) + suffix
	if textWidth(full) <= n || len(items) < 2 {
		return Cut(full, n)
	}
	for k := len(items) - 1; k >= 1; k-- {
		s := strings.Join(items[:k], sep) + sep + fmt.Sprintf("+%d more", len(items)-k) + suffix
		if textWidth(s) <= n {
			return s
		}
	}
	more := sep + fmt.Sprintf("+%d more", len(items)-1) + suffix
	if room := n - textWidth(more); room > len(Ellipsis) {
		return Cut(items[0], room) + more
	}
	// Narrower still: "+N", never "+N mo...".
	short := items[0] + sep + fmt.Sprintf("+%d", len(items)-1) + suffix
	if textWidth(short) <= n {
		return short
	}
	return Cut(short, n)
}

// FitLists is FitList of the first of its lists that fits in n columns
// without an item cut short (the same items in shorter forms: "pid
// (comm)", then the pids alone), else FitList of the last.
func FitLists(n int, sep, suffix string, lists ...[]string) string {
	var s string
	for _, items := range lists {
		if s = FitList(items, sep, suffix, n); !strings.Contains(s, Ellipsis) {
			break
		}
	}
	return s
}

// cuttable reports whether a field is free text that a narrow table may
// cut: a name, path or command (a string shown as it is), a list of
// records, or a field that says how to fit itself. Numbers, keys given a
// Text, times and booleans are never cut.
func (f Field) cuttable() bool {
	if f.Fit != nil {
		return true
	}
	switch f.Value.(type) {
	case string:
		return f.Text == ""
	case []Record:
		return f.Text == ""
	}
	return false
}

// fitted renders f in at most n columns (n <= 0: whole).
func (f Field) fitted(n int) string {
	s := f.String()
	if n <= 0 || textWidth(s) <= n || !f.cuttable() {
		return s
	}
	if f.Fit != nil {
		return f.Fit(n)
	}
	if rs, ok := f.Value.([]Record); ok {
		items, firsts := make([]string, len(rs)), make([]string, len(rs))
		for i, r := range rs {
			items[i] = recordText(r)
			if len(r) > 0 {
				firsts[i] = r[0].String()
			}
		}
		return FitLists(n, ", ", "", items, firsts)
	}
	if strings.HasPrefix(s, "/") {
		return CutMiddle(s, n) // a path or a POSIX name: keep its end
	}
	return Cut(s, n)
}

// least is the narrowest a list field fits in without cutting an item
// short (fewer items and "+N more" instead), at least floor and at most
// width; other free text: floor; anything else: width.
func (f Field) least(floor, width int) int {
	if !f.cuttable() {
		return width
	}
	if _, ok := f.Value.([]Record); !ok && f.Fit == nil {
		return floor
	}
	n := width
	for n > floor && !strings.Contains(f.fitted(n-1), Ellipsis) && textWidth(f.fitted(n-1)) <= n-1 {
		n--
	}
	return n
}

// fitColumns narrows the widest free-text columns, one column at a time,
// until the table's rows (columns two spaces apart) fit in limit, and
// returns how wide they are then. A column never goes below its floor;
// when that is not enough, rows stay wider than limit.
func fitColumns(widths, floors []int, limit int) int {
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	for total > limit {
		widest := -1
		for i, w := range widths {
			if w > floors[i] && (widest < 0 || w > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
		total--
	}
	return total
}

// Note prints a line of text under a table (a total): whole, or folded
// at spaces to fit Width(w), the lines after the first indented by two
// spaces.
func Note(w io.Writer, line string) error {
	limit := Width(w)
	var b strings.Builder
	col := 0
	for i, word := range strings.Split(line, " ") {
		switch {
		case i == 0:
		case limit > 0 && col+1+textWidth(word) > limit:
			b.WriteString("\n  ")
			col = 2
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += textWidth(word)
	}
	_, err := fmt.Fprintln(w, b.String())
	return err
}
