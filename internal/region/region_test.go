package region

import (
	"bytes"
	"testing"
)

func TestCut(t *testing.T) {
	tests := []struct{ in, z, trim string }{
		{"abc", "abc", "abc"},
		{"ab\x00c\x00\x00", "ab", "ab\x00c"},
		{"\x00\x00", "", ""},
		{"", "", ""},
		{"\x00abc", "", "\x00abc"},
	}
	for _, tt := range tests {
		if got := CString([]byte(tt.in)); string(got) != tt.z {
			t.Errorf("CString(%q) = %q; want %q", tt.in, got, tt.z)
		}
		if got := TrimNUL([]byte(tt.in)); string(got) != tt.trim {
			t.Errorf("TrimNUL(%q) = %q; want %q", tt.in, got, tt.trim)
		}
	}
}

// FuzzCut checks what -z and the NUL trim promise for any window: a prefix,
// with no NUL (CString) or no trailing NUL and only NULs cut (TrimNUL).
func FuzzCut(f *testing.F) {
	for _, s := range []string{"", "\x00", "a\x00b", "abc\x00\x00", "\x00abc"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, w []byte) {
		z := CString(w)
		if !bytes.HasPrefix(w, z) || bytes.IndexByte(z, 0) >= 0 || (len(z) < len(w) && w[len(z)] != 0) {
			t.Fatalf("CString(%q) = %q; want the bytes before the first NUL", w, z)
		}
		tr := TrimNUL(w)
		if !bytes.HasPrefix(w, tr) || (len(tr) > 0 && tr[len(tr)-1] == 0) || len(bytes.Trim(w[len(tr):], "\x00")) != 0 {
			t.Fatalf("TrimNUL(%q) = %q; want the bytes up to the last non-NUL", w, tr)
		}
	})
}
