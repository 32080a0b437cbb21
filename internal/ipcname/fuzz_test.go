package ipcname

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that what it accepts
// prints back to a name that parses to the same thing.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/jobs", "7777", "0x1e61", "-1", "ftok:/tmp:A", "ftok:/a:b:7", "id:12", "/", "0x", "id:", "ftok::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		var again string
		switch n.Kind {
		case POSIX:
			again = n.Path
		case Key:
			again = strings.TrimPrefix(n.String(), "key ")
			if n.Key == 0 {
				t.Fatalf("Parse(%q) accepted IPC_PRIVATE", s)
			}
		case Ftok:
			if n.Key < 1 || n.Key > 255 || n.Path == "" {
				t.Fatalf("Parse(%q) = %+v: bad ftok fields", s, n)
			}
			again = "ftok:" + n.Path + ":" + strconv.Itoa(int(n.Key))
		case ID:
			again = "id:" + strconv.Itoa(n.ID)
		default:
			t.Fatalf("Parse(%q) = %+v: no kind", s, n)
		}
		m, err := Parse(again)
		if err != nil || m != n {
			t.Fatalf("Parse(%q) = %+v, but its spelling %q parses to %+v, %v", s, n, again, m, err)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4096", "64K", "1MiB", "2G", "", "K", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err == nil && v < 0 {
			t.Fatalf("ParseSize(%q) = %d; want non-negative", s, v)
		}
	})
}

func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"0600", "777", "1777", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMode(s)
		if err == nil && v > 0o777 {
			t.Fatalf("ParseMode(%q) = %#o; want at most 0777", s, v)
		}
	})
}
