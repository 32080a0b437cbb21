package procfs

import (
	"fmt"
	"strings"

	"github.com/ipcats/ipcats/internal/report"
)

// HolderRecords is the JSON form of a holder list: pid, command and fd of
// each (fd null for a process still blocked in open(2)).
func HolderRecords(hs []PipeHolder) []report.Record {
	out := []report.Record{}
	for _, h := range hs {
		var fd any = h.FD
		if h.FD < 0 {
			fd = nil // blocked in open(2): no descriptor yet
		}
		out = append(out, report.Record{
			{Name: "pid", Value: h.PID},
			{Name: "comm", Value: h.Comm, Text: "(" + h.Comm + ")"},
			{Name: "fd", Value: fd},
		})
	}
	return out
}

// HolderText renders holders as "pid (comm)", each process once, or
// "none"; with limit > 0, the first limit of them and "+N more" (a list
// row stays on one line; JSON always has them all).
func HolderText(hs []PipeHolder, limit int) string {
	parts := holderParts(hs)
	if len(parts) == 0 {
		return "none"
	}
	if limit > 0 && len(parts) > limit+1 {
		parts = append(parts[:limit], fmt.Sprintf("+%d more", len(parts)-limit))
	}
	return strings.Join(parts, ", ")
}

// holderParts are the "pid (comm)" of each process once.
func holderParts(hs []PipeHolder) []string {
	var parts []string
	seen := map[int]bool{}
	for _, h := range hs {
		if !seen[h.PID] {
			seen[h.PID] = true
			parts = append(parts, fmt.Sprintf("%d (%s)", h.PID, h.Comm))
		}
	}
	return parts
}

// holderPIDs are the pids of holderParts: the shortest form of the list.
func holderPIDs(hs []PipeHolder) []string {
	var pids []string
	seen := map[int]bool{}
	for _, h := range hs {
		if !seen[h.PID] {
			seen[h.PID] = true
			pids = append(pids, fmt.Sprint(h.PID))
		}
	}
	return pids
}

// HolderField is a holder list as a report field: the records in JSON,
// HolderText(hs, limit) then suffix for people, cut to fewer holders and
// "+N more" where a narrow table has no room for it.
func HolderField(name string, hs []PipeHolder, limit int, suffix string) report.Field {
	text := HolderText(hs, limit) + suffix
	return report.Field{Name: name, Value: HolderRecords(hs), Text: text, Fit: func(n int) string {
		if parts := holderParts(hs); len(parts) > 0 && len([]rune(text)) > n {
			return report.FitLists(n, ", ", suffix, parts, holderPIDs(hs))
		}
		return report.Cut(text, n)
	}}
}

// Without drops process pid from a holder list.
func Without(hs []PipeHolder, pid int) []PipeHolder {
	var out []PipeHolder
	for _, h := range hs {
		if h.PID != pid {
			out = append(out, h)
		}
	}
	return out
}
