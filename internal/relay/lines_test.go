package relay

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// runLines feeds in through a pipe to WriteLines writing into another
// pipe, and returns what came out, each write(2) seen as one chunk.
func runLines(t testing.TB, in []byte) (out []byte, lines int64, err error) {
	var src, dst [2]int
	if err := unix.Pipe2(src[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	if err := unix.Pipe2(dst[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(src[0])
	go func() {
		WriteAll(context.Background(), src[1], in)
		unix.Close(src[1])
	}()
	done := make(chan []byte)
	go func() {
		var got []byte
		buf := make([]byte, 1<<16)
		for {
			n, err := unix.Read(dst[0], buf)
			if n <= 0 || err != nil {
				break
			}
			got = append(got, buf[:n]...)
		}
		unix.Close(dst[0])
		done <- got
	}()
	lines, err = WriteLines(context.Background(), dst[1], src[0], nil)
	unix.Close(dst[1])
	return <-done, lines, err
}

func TestWriteLines(t *testing.T) {
	long := strings.Repeat("x", PipeBuf) // with its newline, one byte too many
	edge := strings.Repeat("y", PipeBuf-1)
	tests := []struct {
		in      string
		out     string
		lines   int64
		badLine int64 // 0: no error
	}{
		{"", "", 0, 0},
		{"a\n", "a\n", 1, 0},
		{"a\nb\n\nc", "a\nb\n\nc", 4, 0},
		{edge + "\n" + edge + "\n", edge + "\n" + edge + "\n", 2, 0},
		{"ok\n" + long + "\nafter\n", "ok\n", 1, 2},
		{long, long, 1, 0}, // a last line of exactly PIPE_BUF, no newline
		{long + "x", "", 0, 1},
		{"ok\n" + long + "x", "ok\n", 1, 2},
		{strings.Repeat("0123456789\n", 20000), strings.Repeat("0123456789\n", 20000), 20000, 0},
	}
	for _, tt := range tests {
		out, lines, err := runLines(t, []byte(tt.in))
		var le *LineError
		gotBad := int64(0)
		if errors.As(err, &le) {
			gotBad = le.Line
		} else if err != nil {
			t.Errorf("WriteLines(%.20q...) error %v", tt.in, err)
		}
		if string(out) != tt.out || lines != tt.lines || gotBad != tt.badLine {
			t.Errorf("WriteLines(%.20q...) = %.20q..., %d lines, bad line %d; want %.20q..., %d, %d",
				tt.in, out, lines, gotBad, tt.out, tt.lines, tt.badLine)
		}
	}
}

func TestLineErrorText(t *testing.T) {
	tests := []struct {
		e    LineError
		want string
	}{
		{LineError{Line: 2, Lines: 1, Bytes: 6}, "line 2 is longer than PIPE_BUF (4096 bytes), so it could not be written atomically; the 1 line (6 bytes) before it was written"},
		{LineError{Line: 1}, "line 1 is longer than PIPE_BUF (4096 bytes), so it could not be written atomically; the 0 lines (0 bytes) before it were written"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("LineError%+v.Error() = %q; want %q", tt.e, got, tt.want)
		}
	}
}

// FuzzWriteLines: whatever the input, the output is a prefix of it that
// ends at a line boundary (or is all of it), and it is all of it exactly
// when no line is longer than PIPE_BUF.
func FuzzWriteLines(f *testing.F) {
	f.Add([]byte("a\nb\n"), uint16(0))
	f.Add([]byte("no newline"), uint16(0))
	f.Add([]byte("x\n"), uint16(5000))
	f.Add([]byte("\n\n\n"), uint16(4095))
	f.Fuzz(func(t *testing.T, in []byte, pad uint16) {
		in = append(in, bytes.Repeat([]byte{'z'}, int(pad))...)
		out, _, err := runLines(t, in)
		tooLong := false
		for _, l := range bytes.SplitAfter(in, []byte("\n")) {
			if len(l) > PipeBuf {
				tooLong = true
			}
		}
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("WriteLines output is not a prefix of its input")
		}
		if tooLong != (err != nil) {
			t.Fatalf("WriteLines(%d bytes) error %v; want error %v", len(in), err, tooLong)
		}
		if !tooLong && !bytes.Equal(out, in) {
			t.Fatalf("WriteLines(%d bytes) wrote %d bytes; want all", len(in), len(out))
		}
		if tooLong && len(out) > 0 && out[len(out)-1] != '\n' {
			t.Fatalf("WriteLines stopped in the middle of a line")
		}
	})
}
