// Package report prints what --stat and --list show: aligned "name value"
// records and tables for people, and one JSON document with --json.
// Numbers stay JSON numbers and times are RFC 3339.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// Field is one attribute of an object. Value is a string, a bool, an
// integer, a time.Time (zero prints as "never" / null), a []Record, or
// anything encoding/json handles. Text, when set, is how people see it.
// Fit, when set, is how people see it in at most n columns (a holder
// list cut with "+N more"): tables narrower than the whole text call it.
type Field struct {
	Name  string
	Value any
	Text  string
	Fit   func(n int) string
}

// Record is an ordered list of fields.
type Record []Field

// MarshalJSON keeps the field order.
func (r Record) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(jsonValue(f.Value))
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func jsonValue(v any) any {
	if t, ok := v.(time.Time); ok {
		if t.IsZero() {
			return nil
		}
		return t.Format(time.RFC3339)
	}
	return v
}

// Text renders a field's value for people.
func (f Field) String() string {
	if f.Text != "" {
		return f.Text
	}
	switch v := f.Value.(type) {
	case nil:
		return "-"
	case string:
		return Escape(v)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case time.Time:
		if v.IsZero() {
			return "never"
		}
		return v.Local().Format("2006-01-02 15:04:05 MST")
	case []Record:
		parts := make([]string, len(v))
		for i, r := range v {
			parts[i] = recordText(r)
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(f.Value)
}

// recordText is one record of a list as people see it: its fields'
// texts, space-separated.
func recordText(r Record) string {
	s := make([]string, len(r))
	for i, f := range r {
		s[i] = f.String()
	}
	return strings.Join(s, " ")
}

// Get returns the value of the named field, or nil.
func (r Record) Get(name string) any {
	for _, f := range r {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// Stat prints one record: aligned "name  value" lines, or a JSON object.
// On a terminal (or with $COLUMNS, see Width) long free-text values are
// cut to fit; JSON has them whole.
func Stat(w io.Writer, asJSON bool, r Record) error {
	if asJSON {
		return writeJSON(w, r)
	}
	nameWidth := 0
	for _, f := range r {
		nameWidth = max(nameWidth, textWidth(f.Name))
	}
	room := 0
	if limit := Width(w); limit > 0 {
		room = max(limit-nameWidth-2, minCut)
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, f := range r {
		fmt.Fprintf(tw, "%s\t%s\n", f.Name, f.fitted(room))
	}
	return tw.Flush()
}

// List prints records as a table with the named columns (people) or as a
// JSON array of whole records. A table fits in Width(w) columns when it
// can: the widest free-text columns (names, paths, commands, holder
// lists) are cut, lists with "+N more" and other text with Ellipsis;
// keys, ids and numbers never are; then the columns marked Optional are
// left out. JSON has everything whole.
func List(w io.Writer, asJSON bool, cols []string, rows []Record) error {
	if asJSON {
		if rows == nil {
			rows = []Record{}
		}
		return writeJSON(w, rows)
	}
	t := newTable(cols, rows)
	limit := Width(w)
	return t.write(w, t.fit(limit), limit > 0)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Escape makes a name safe to print on a terminal: control characters and
// invalid UTF-8 become \n, \t, \xNN escapes (a backslash itself is doubled),
// so a file named with a newline or an escape sequence stays on one row.
func Escape(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Mode prints permission bits as ls and ipcs users read them: 0600.
func Mode(m uint32) string { return fmt.Sprintf("%04o", m&0o7777) }

// Payload returns the JSON fields for message or data bytes: "data" when
// they are valid UTF-8, else "data_b64".
func Payload(b []byte) Field {
	if utf8.Valid(b) {
		return Field{Name: "data", Value: string(b)}
	}
	return Field{Name: "data_b64", Value: b} // encoding/json writes []byte as base64
}

// User names a uid as "name" when /etc/passwd knows it, else the number.
func User(uid uint32) string { return lookup("/etc/passwd", uid) }

// Group names a gid likewise from /etc/group.
func Group(gid uint32) string { return lookup("/etc/group", gid) }

var names = map[string]map[uint32]string{}

func lookup(file string, id uint32) string {
	m, ok := names[file]
	if !ok {
		m = map[uint32]string{}
		if b, err := os.ReadFile(file); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Split(line, ":")
				if len(f) > 2 {
					if n, err := strconv.ParseUint(f[2], 10, 32); err == nil {
						if _, dup := m[uint32(n)]; !dup {
							m[uint32(n)] = f[0]
						}
					}
				}
			}
		}
		names[file] = m
	}
	if n, ok := m[id]; ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

// Idle is the "idle" field every tool's --stat and --list show: how long
// an object has gone unused, in whole seconds (JSON: a number; never
// used, or unknown: null, shown as "unknown"); people see two units at
// most: 42s, 5m07s, 3h05m, 2d4h.
func Idle(d time.Duration) Field {
	if d < 0 || d == time.Duration(1<<63-1) {
		return Field{Name: "idle", Value: nil, Text: "unknown"}
	}
	s := int64(d / time.Second)
	text := fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
	switch {
	case s < 60:
		text = fmt.Sprintf("%ds", s)
	case s < 3600:
		text = fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		text = fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return Field{Name: "idle", Value: s, Text: text}
}
