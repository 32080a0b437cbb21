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

func TestParseCall(t *testing.T) {
	c, ok := ParseCall("257 0xffffff9c 0x7ffd10 0x0 0x0 0x0 0x0 0x7ffd 0x7f12\n")
	if !ok || c.Nr != 257 || len(c.Args) != 8 || c.Args[0] != 0xffffff9c || c.Args[1] != 0x7ffd10 {
		t.Errorf("openat line: %+v, %v", c, ok)
	}
	for _, s := range []string{"running", "-1 0x7ffd 0x7f12", "", "70 zz", "x 0x1"} {
		if c, ok := ParseCall(s); ok {
			t.Errorf("ParseCall(%q) = %+v; want not a call", s, c)
		}
	}
}
