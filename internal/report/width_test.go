package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestCutAndFitList(t *testing.T) {
	if got := Cut("/a/long/path", 8); got != "/a/lo..." {
		t.Errorf("Cut = %q; want /a/lo...", got)
	}
	if got := Cut("/grüße/x", 6); got != "/gr..." {
		t.Errorf("Cut of UTF-8 = %q; want /gr...", got)
	}
	items := []string{"1 (a)", "2 (b)", "3 (c)", "4 (d)"}
	for n, want := range map[int]string{
		40: "1 (a), 2 (b), 3 (c), 4 (d) ->",
		28: "1 (a), 2 (b), +2 more ->",
		20: "1 (a), +3 more ->",
		16: "1..., +3 more ->",
		8:  "1 (a)...",
	} {
		if got := FitList(items, ", ", " ->", n); got != want || len(got) > n {
			t.Errorf("FitList(%d) = %q; want %q", n, got, want)
		}
	}
	if got := FitList(items[:1], ", ", "", 4); got != "1..." {
		t.Errorf("FitList of one item = %q; want a cut, no +0 more", got)
	}
}

// TestListFits: at COLUMNS=40 the widest free-text columns are cut (a
// record list with "+N more", a path with "..."), never the key or the
// numbers, and JSON keeps everything whole.
func TestListFits(t *testing.T) {
	var hs []Record
	for _, p := range []int{101, 102, 103, 104, 105} {
		hs = append(hs, Record{{Name: "pid", Value: p}, {Name: "comm", Value: "sleep", Text: "(sleep)"}})
	}
	rows := []Record{{
		{Name: "name", Value: "0x0000abcd", Text: "0x0000abcd"},
		{Name: "size", Value: 1234567},
		{Name: "path", Value: "/dev/shm/" + strings.Repeat("x", 40)},
		{Name: "holders", Value: hs},
	}}
	cols := []string{"name", "size", "path", "holders"}
	t.Setenv("COLUMNS", "60")
	var b bytes.Buffer
	if err := List(&b, false, cols, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for _, l := range lines {
		if len(l) > 60 {
			t.Errorf("line of %d bytes at COLUMNS=60: %q", len(l), l)
		}
	}
	if row := lines[1]; !strings.HasPrefix(row, "0x0000abcd  1234567  /dev/") || !strings.Contains(row, "...xxx") || !strings.HasSuffix(row, " more") {
		t.Errorf("row at COLUMNS=60 = %q; want the key and size whole, the path cut in the middle, holders with +N more", row)
	}
	b.Reset()
	List(&b, true, cols, rows)
	if s := b.String(); strings.Contains(s, "more") || strings.Contains(s, "...") || !strings.Contains(s, strings.Repeat("x", 40)) {
		t.Errorf("JSON cut: %s", s)
	}
	t.Setenv("COLUMNS", "")
	b.Reset()
	List(&b, false, cols, rows)
	if strings.Contains(b.String(), "more") {
		t.Errorf("no COLUMNS, not a terminal: rows cut: %s", b.String())
	}
}

// TestListOptional: when cutting free text is not enough, the columns
// marked Optional go, rightmost first; with room, they stay.
func TestListOptional(t *testing.T) {
	rows := []Record{{{Name: "id", Value: 123456789}, {Name: "cpid", Value: 1234567}, {Name: "lpid", Value: 7654321}, {Name: "size", Value: 1 << 40}}}
	cols := []string{"id", "cpid" + Optional, "lpid" + Optional, "size"}
	for cols2, want := range map[string]string{
		"80": "ID         CPID     LPID     SIZE\n123456789  1234567  7654321  1099511627776\n",
		"40": "ID         CPID     SIZE\n123456789  1234567  1099511627776\n",
		"20": "ID         SIZE\n123456789  1099511627776\n",
	} {
		t.Setenv("COLUMNS", cols2)
		var b bytes.Buffer
		List(&b, false, cols, rows)
		if b.String() != want {
			t.Errorf("COLUMNS=%s: %q; want %q", cols2, b.String(), want)
		}
	}
}

func TestNote(t *testing.T) {
	line := "total: posix 1, 6 B; memfd 1, 1.5 MiB (/dev/shm: a 23.5 GiB tmpfs, 23.5 GiB free)"
	var b bytes.Buffer
	t.Setenv("COLUMNS", "")
	Note(&b, line)
	if b.String() != line+"\n" {
		t.Errorf("Note without a limit = %q", b.String())
	}
	b.Reset()
	t.Setenv("COLUMNS", "40")
	Note(&b, line)
	want := "total: posix 1, 6 B; memfd 1, 1.5 MiB\n  (/dev/shm: a 23.5 GiB tmpfs, 23.5 GiB\n  free)\n"
	if b.String() != want {
		t.Errorf("Note at 40 = %q; want %q", b.String(), want)
	}
}

// TestStatFits: --stat's values fit beside the names; a list is cut with
// "+N more", a number never.
func TestStatFits(t *testing.T) {
	var hs []Record
	for p := 1000; p < 1010; p++ {
		hs = append(hs, Record{{Name: "pid", Value: p}, {Name: "comm", Value: "worker", Text: "(worker)"}})
	}
	r := Record{{Name: "size", Value: int64(1) << 50}, {Name: "holders", Value: hs}}
	t.Setenv("COLUMNS", "40")
	var b bytes.Buffer
	Stat(&b, false, r)
	want := "size     1125899906842624\nholders  1000 (worker), +9 more\n"
	if b.String() != want {
		t.Errorf("Stat at 40 = %q; want %q", b.String(), want)
	}
}

func TestCutMiddle(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"/dev/shm/short", 20, "/dev/shm/short"},
		{"/proc/15272/root/tmp/box/data", 20, "/proc...tmp/box/data"},
		{"/ipcats-test-1234abcd-1", 12, "/ip...abcd-1"},
		{"/abcdefghij", 5, "/a..."},
	} {
		if got := CutMiddle(tt.s, tt.n); got != tt.want || len([]rune(got)) > tt.n {
			t.Errorf("CutMiddle(%q, %d) = %q; want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestFitListNarrow(t *testing.T) {
	items := []string{"10067", "10068", "10069"}
	for _, tt := range []struct {
		n    int
		want string
	}{
		{30, "10067, 10068, 10069"},
		{16, "10067, +2 more"},
		{12, "10067, +2"},
		{8, "10067..."},
	} {
		if got := FitList(items, ", ", "", tt.n); got != tt.want {
			t.Errorf("FitList(%q, %d) = %q; want %q", items, tt.n, got, tt.want)
		}
	}
}
