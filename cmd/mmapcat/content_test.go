package main

import (
	"bytes"
	"testing"
)

func TestContent(t *testing.T) {
	tests := []struct {
		in      string
		z, trim bool
		want    string
	}{
		{"abc", false, false, "abc"},
		{"ab\x00c\x00\x00", false, false, "ab\x00c\x00\x00"},
		{"ab\x00c\x00\x00", true, false, "ab"},
		{"ab\x00c\x00\x00", false, true, "ab\x00c"},
		{"\x00\x00", false, true, ""},
		{"\x00\x00", true, false, ""},
		{"", true, false, ""},
		{"", false, true, ""},
		{"no nul", true, false, "no nul"},
	}
	for _, tt := range tests {
		o := &options{CString: tt.z, Trim: tt.trim}
		if got := content(o, []byte(tt.in)); string(got) != tt.want {
			t.Errorf("content(%q, -z=%v, --trim=%v) = %q; want %q", tt.in, tt.z, tt.trim, got, tt.want)
		}
	}
}

// FuzzContent checks what -z and --trim promise for any window: a prefix,
// with no NUL (-z) or no trailing NUL and only NULs cut (--trim).
func FuzzContent(f *testing.F) {
	for _, s := range []string{"", "\x00", "a\x00b", "abc\x00\x00", "\x00abc"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, w []byte) {
		z := content(&options{CString: true}, w)
		if !bytes.HasPrefix(w, z) || bytes.IndexByte(z, 0) >= 0 || (len(z) < len(w) && w[len(z)] != 0) {
			t.Fatalf("content(%q, -z) = %q; want the bytes before the first NUL", w, z)
		}
		tr := content(&options{Trim: true}, w)
		if !bytes.HasPrefix(w, tr) || (len(tr) > 0 && tr[len(tr)-1] == 0) || len(bytes.Trim(w[len(tr):], "\x00")) != 0 {
			t.Fatalf("content(%q, --trim) = %q; want the bytes up to the last non-NUL", w, tr)
		}
		if all := content(&options{}, w); !bytes.Equal(all, w) {
			t.Fatalf("content(%q) = %q; want every byte", w, all)
		}
	})
}
