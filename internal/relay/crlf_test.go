package relay

import (
	"context"
	"testing"

	"golang.org/x/sys/unix"
)

func TestAppendCRLF(t *testing.T) {
	tests := []struct {
		in   string
		prev byte
		want string
	}{
		{"x\n\ny\n", 0, "x\r\n\r\ny\r\n"}, {"a\rb\n", 0, "a\rb\r\n"},
		{"p\r\r\nq", 0, "p\r\r\nq"}, {"\n", '\r', "\n"}, {"\n", 'x', "\r\n"}, {"", 0, ""},
	}
	for _, tt := range tests {
		if got := string(AppendCRLF(nil, []byte(tt.in), tt.prev)); got != tt.want {
			t.Errorf("AppendCRLF(%q, %q) = %q; want %q", tt.in, tt.prev, got, tt.want)
		}
	}
}

// A "\r" at the end of one read and the "\n" at the start of the next
// stay one CRLF.
func TestCRLFAcrossReads(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	c, err := NewCRLF(context.Background(), p[0])
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() { got <- readAll(c.FD) }()
	unix.Write(p[1], []byte("a\r"))
	for i := 0; i < 1000 && pending(p[0]); i++ {
		unix.Poll(nil, 1)
	}
	unix.Write(p[1], []byte("\nb\n"))
	unix.Close(p[1])
	if s := <-got; s != "a\r\nb\r\n" {
		t.Errorf("through CRLF: %q; want %q", s, "a\r\nb\r\n")
	}
	c.Close()
	unix.Close(p[0])
	if c.Err() != nil {
		t.Errorf("Err() = %v", c.Err())
	}
}
