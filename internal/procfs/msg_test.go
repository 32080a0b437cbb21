package procfs

import "testing"

func TestParseSyscall(t *testing.T) {
	tests := []struct {
		in   string
		want MsgWaiter
		ok   bool
	}{
		{"70 0x3 0x7ffd1 0x2000 0x0 0x0 0x0 0x7ffd 0x7f12\n", MsgWaiter{ID: 3}, true},
		{"69 0x1a 0xc000 0x40 0x0 0x0 0x0 0x7ffd 0x7f12", MsgWaiter{ID: 26, Send: true}, true},
		{"0 0x3 0x7ffd1 0x2000 0x0 0x0 0x0 0x7ffd 0x7f12", MsgWaiter{}, false},
		{"running", MsgWaiter{}, false},
		{"-1 0x7ffd 0x7f12", MsgWaiter{}, false},
		{"70 zz", MsgWaiter{}, false},
		{"", MsgWaiter{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseSyscall(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSyscall(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseSyscall(f *testing.F) {
	for _, s := range []string{"70 0x3 0x1", "69 0x0", "running", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if w, ok := ParseSyscall(s); ok && w.ID < 0 {
			t.Fatalf("ParseSyscall(%q) = %+v; want a non-negative id", s, w)
		}
	})
}
