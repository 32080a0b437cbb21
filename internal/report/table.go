package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Optional marks a --list column that a table narrower than its rows
// leaves out, rightmost first, once cutting its free text is not enough
// ("cpid" + Optional). JSON and unlimited tables keep it.
const Optional = "?"

// table is List's text output: its columns' headings and cells, and how
// wide each column is whole (nat), at least without cutting a list item
// short (soft) and at least at all (floor).
type table struct {
	heads            []string
	optional, active []bool
	cells            [][]Field
	nat, soft, floor []int
}

func newTable(cols []string, rows []Record) *table {
	n := len(cols)
	t := &table{heads: make([]string, n), optional: make([]bool, n), active: make([]bool, n),
		cells: make([][]Field, len(rows)), nat: make([]int, n), soft: make([]int, n), floor: make([]int, n)}
	names := make([]string, n)
	for i, c := range cols {
		names[i] = strings.TrimSuffix(c, Optional)
		t.optional[i], t.active[i] = names[i] != c, true
		t.heads[i] = strings.ToUpper(names[i])
		t.nat[i] = textWidth(t.heads[i])
	}
	cut, fixed := make([]bool, n), make([]int, n)
	for j, r := range rows {
		t.cells[j] = make([]Field, n)
		for i, c := range names {
			t.cells[j][i] = Field{Name: c, Text: "-"}
			for _, f := range r {
				if f.Name == c {
					t.cells[j][i] = f
				}
			}
			w := textWidth(t.cells[j][i].String())
			t.nat[i] = max(t.nat[i], w)
			if t.cells[j][i].cuttable() {
				cut[i] = true
			} else {
				fixed[i] = max(fixed[i], w)
			}
		}
	}
	for i := range cols {
		t.floor[i] = t.nat[i]
		if cut[i] {
			t.floor[i] = max(min(t.nat[i], max(textWidth(t.heads[i]), minCut)), fixed[i])
		}
		t.soft[i] = t.floor[i]
		for _, r := range t.cells {
			t.soft[i] = max(t.soft[i], r[i].least(t.floor[i], t.nat[i]))
		}
	}
	return t
}

// fit returns the width of each column in limit columns (0: no limit, all
// whole): first lists cut to fewer items and "+N more", then free text
// cut short, then optional columns left out (width -1), rightmost first.
func (t *table) fit(limit int) []int {
	for {
		var idx, widths, soft, floor []int
		for i, on := range t.active {
			if on {
				idx = append(idx, i)
				widths, soft, floor = append(widths, t.nat[i]), append(soft, t.soft[i]), append(floor, t.floor[i])
			}
		}
		total := 0
		if limit > 0 {
			fitColumns(widths, soft, limit)
			total = fitColumns(widths, floor, limit)
		}
		drop := -1
		for _, i := range idx {
			if t.optional[i] {
				drop = i
			}
		}
		if total <= limit || drop < 0 {
			out := make([]int, len(t.active))
			for i := range out {
				out[i] = -1
			}
			for k, i := range idx {
				out[i] = widths[k]
			}
			return out
		}
		t.active[drop] = false
	}
}

// write prints the table with the widths of fit (cut == false: whole).
func (t *table) write(w io.Writer, widths []int, cut bool) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	row := func(vals []string) {
		var on []string
		for i, v := range vals {
			if widths[i] >= 0 {
				on = append(on, v)
			}
		}
		fmt.Fprintln(tw, strings.Join(on, "\t"))
	}
	row(t.heads)
	for _, r := range t.cells {
		vals := make([]string, len(r))
		for i, f := range r {
			vals[i] = f.String()
			if cut {
				vals[i] = f.fitted(widths[i])
			}
		}
		row(vals)
	}
	return tw.Flush()
}
