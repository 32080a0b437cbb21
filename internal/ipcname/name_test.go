package ipcname

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Name
		err  string // substring of the error, "" for success
	}{
		{"/jobs", Name{Kind: POSIX, Path: "/jobs"}, ""},
		{"/" + strings.Repeat("a", 255), Name{Kind: POSIX, Path: "/" + strings.Repeat("a", 255)}, ""},
		{"/" + strings.Repeat("a", 256), Name{}, "longer than 255"},
		{"/", Name{}, "empty name"},
		{"/a/b", Name{}, "only the leading slash"},
		{"//a", Name{}, "only the leading slash"},
		{"/..", Name{}, "not an object name"},
		{"/a\x00b", Name{}, "NUL"},
		{"7777", Name{Kind: Key, Key: 7777}, ""},
		{"0x1e61", Name{Kind: Key, Key: 0x1e61}, ""},
		{"0X1E61", Name{Kind: Key, Key: 0x1e61}, ""},
		{"0xffffffff", Name{Kind: Key, Key: 0xffffffff}, ""},
		{"4294967295", Name{Kind: Key, Key: 0xffffffff}, ""},
		{"-1", Name{Kind: Key, Key: 0xffffffff}, ""},
		{"0x100000000", Name{}, "bad object name"},
		{"4294967296", Name{}, "bad object name"},
		{"0", Name{}, "IPC_PRIVATE"},
		{"07777", Name{}, "ambiguous key"},
		{"00", Name{}, "ambiguous key"},
		{"0x0", Name{}, "IPC_PRIVATE"},
		{"0x", Name{}, "bad object name"},
		{"0x+1", Name{}, "bad object name"},
		{"+5", Name{}, "bad object name"},
		{"jobs", Name{}, "use /name, a System V key"},
		{"", Name{}, "bad object name"},
		{"ftok:/tmp:65", Name{Kind: Ftok, Path: "/tmp", Key: 65}, ""},
		{"ftok:/tmp:A", Name{Kind: Ftok, Path: "/tmp", Key: 'A'}, ""},
		{"ftok:/a:b:c", Name{Kind: Ftok, Path: "/a:b", Key: 'c'}, ""},
		{"ftok:/tmp:0", Name{}, "want a number 1..255"},
		{"ftok:/tmp:256", Name{}, "want a number 1..255"},
		{"ftok:/tmp:ab", Name{}, "one non-digit"},
		{"ftok:/tmp:", Name{}, "empty PROJ"},
		{"ftok::1", Name{}, "want ftok:PATH:PROJ"},
		{"ftok:/tmp", Name{}, "want ftok:PATH:PROJ"},
		{"id:0", Name{Kind: ID, ID: 0}, ""},
		{"id:32769", Name{Kind: ID, ID: 32769}, ""},
		{"id:-1", Name{}, "bad id"},
		{"id:", Name{}, "bad id"},
		{"id:x", Name{}, "bad id"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Parse(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.err)
		}
	}
}

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"/jobs":        "/jobs",
		"7777":         "key 0x00001e61",
		"id:5":         "id 5",
		"ftok:/tmp:65": "ftok:/tmp:65",
	} {
		n, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.String(); got != want {
			t.Errorf("Parse(%q).String() = %q; want %q", in, got, want)
		}
	}
}

func TestResolveFtok(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(f, &st); err != nil {
		t.Fatal(err)
	}
	n, _ := Parse("ftok:" + f + ":A")
	got, err := n.Resolve()
	want := uint32(st.Ino&0xffff) | uint32(st.Dev&0xff)<<16 | uint32('A')<<24
	if err != nil || got.Kind != Key || got.Key != want {
		t.Errorf("Resolve(%v) = %+v, %v; want key %#x", n, got, err, want)
	}
	n, _ = Parse("ftok:" + filepath.Join(dir, "missing") + ":1")
	if _, err := n.Resolve(); err == nil {
		t.Errorf("Resolve(%v) of a missing file = nil error; want one", n)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"4096", 4096, true}, {"64K", 64 << 10, true}, {"64k", 64 << 10, true},
		{"1M", 1 << 20, true}, {"1MiB", 1 << 20, true}, {"1MB", 1 << 20, true}, {"2G", 2 << 30, true},
		{"1T", 1 << 40, true}, {"10B", 10, true}, {"", 0, false}, {"K", 0, false}, {"-1", 0, false},
		{"1X", 0, false}, {"1.5M", 0, false}, {"+4", 0, false}, {"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false}, {"8388608T", 0, false}, {"1KM", 0, false}, {"1iB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"0600", 0o600, true}, {"640", 0o640, true}, {"0", 0, true}, {"777", 0o777, true},
		{"1777", 0, false}, {"8", 0, false}, {"", 0, false}, {"rw", 0, false}, {"+600", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMode(%q) = %#o, %v; want %#o, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
