package main

import (
	"testing"

	win "github.com/ipcats/ipcats/internal/window"
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
		_, tr := span(o)
		if got := win.Content(tr, []byte(tt.in)); string(got) != tt.want {
			t.Errorf("content(%q, -z=%v, --trim=%v) = %q; want %q", tt.in, tt.z, tt.trim, got, tt.want)
		}
	}
}
