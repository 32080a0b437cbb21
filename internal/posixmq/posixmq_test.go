package posixmq

import "testing"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want Status
		ok   bool
	}{
		{"QSIZE:129        NOTIFY:2     SIGNO:0     NOTIFY_PID:8260\n", Status{129, 2, 0, 8260}, true},
		{"QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n", Status{}, true},
		{"", Status{}, false},
		{"QSIZE:x", Status{}, false},
		{"garbage", Status{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseStatus(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseStatus(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{"QSIZE:129 NOTIFY:2 SIGNO:0 NOTIFY_PID:8260", "", ":", "QSIZE:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if st, ok := ParseStatus(s); !ok && st != (Status{}) {
			t.Fatalf("ParseStatus(%q) = %+v, false; want zero status", s, st)
		}
	})
}
