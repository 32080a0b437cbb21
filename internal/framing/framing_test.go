package framing

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func records(t *testing.T, in string, m Mode, max int) ([]string, error) {
	t.Helper()
	r := NewReader(iotest.OneByteReader(strings.NewReader(in)), m, max, nil)
	var out []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(rec))
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		in   string
		mode Mode
		max  int
		want []string
		err  string
	}{
		{"a\nb\n", Mode{Kind: Lines}, -1, []string{"a", "b"}, ""},
		{"a\n\nb", Mode{Kind: Lines}, -1, []string{"a", "", "b"}, ""},
		{"", Mode{Kind: Lines}, -1, nil, ""},
		{"\n", Mode{Kind: Lines}, -1, []string{""}, ""},
		{"a\x00b\nc\x00", Mode{Kind: Null}, -1, []string{"a", "b\nc"}, ""},
		{"abcdefg", Mode{Kind: Block, Size: 3}, -1, []string{"abc", "def", "g"}, ""},
		{"abc\ndef", Mode{Kind: Whole}, -1, []string{"abc\ndef"}, ""},
		{"", Mode{Kind: Whole}, -1, []string{""}, ""},
		{"ab\nabcd\nx\n", Mode{Kind: Lines}, 3, []string{"ab"}, "record 2 is at least 4 bytes, over the 3-byte limit"},
		{"ab\nabcdefgh", Mode{Kind: Lines}, 3, []string{"ab"}, "record 2 is at least 4 bytes, over the 3-byte limit"},
		{"abcdef", Mode{Kind: Whole}, 5, nil, "record 1 is at least 6 bytes, over the 5-byte limit"},
		{"abcdef", Mode{Kind: Block, Size: 4}, 3, nil, "record 1 is 4 bytes, over the 3-byte limit"},
	}
	for _, tt := range tests {
		got, err := records(t, tt.in, tt.mode, tt.max)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) || msg != tt.err {
			t.Errorf("records(%q, %+v, %d) = %q, %q; want %q, %q", tt.in, tt.mode, tt.max, got, msg, tt.want, tt.err)
		}
	}
}

func TestTooLongRecordNumber(t *testing.T) {
	_, err := records(t, "a\nb\nccccc\n", Mode{Kind: Lines}, 2)
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Record != 3 {
		t.Errorf("records(...) error = %v; want *TooLongError for record 3", err)
	}
}

func TestWriter(t *testing.T) {
	tests := []struct {
		mode Mode
		want string
	}{
		{Mode{Kind: Lines}, "a\n\nbc\n"},
		{Mode{Kind: Null}, "a\x00\x00bc\x00"},
		{Mode{Kind: Whole}, "abc"},
		{Mode{Kind: Block, Size: 2}, "abc"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		w := NewWriter(&b, tt.mode)
		for _, r := range []string{"a", "", "bc"} {
			w.Write([]byte(r))
		}
		if b.Len() != 0 {
			t.Errorf("Writer(%+v) wrote %d bytes before Flush; want 0", tt.mode, b.Len())
		}
		w.Flush()
		if b.String() != tt.want {
			t.Errorf("Writer(%+v) = %q; want %q", tt.mode, b.String(), tt.want)
		}
	}
}

// FuzzReader checks that splitting then joining with the framing's
// terminator gives back the input (for lines and NUL records, up to a
// final terminator), and that no record exceeds the limit.
func FuzzReader(f *testing.F) {
	f.Add([]byte("a\nb\n"), uint8(0), uint8(3), uint16(0))
	f.Add([]byte("a\x00\x00b"), uint8(1), uint8(1), uint16(2))
	f.Add([]byte("abcdefgh"), uint8(3), uint8(3), uint16(5))
	f.Add([]byte(""), uint8(2), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, kind, size uint8, max uint16) {
		m := Mode{Kind: Kind(kind % 4), Size: int(size%16) + 1}
		lim := int(max) - 1 // -1: no limit
		r := NewReader(iotest.HalfReader(bytes.NewReader(in)), m, lim, nil)
		var joined []byte
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			var tl *TooLongError
			if errors.As(err, &tl) {
				if lim < 0 || tl.Size <= int64(lim) {
					t.Fatalf("TooLongError %v with limit %d", err, lim)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lim >= 0 && len(rec) > lim {
				t.Fatalf("record of %d bytes over limit %d", len(rec), lim)
			}
			if m.Kind == Block && len(rec) > m.Size {
				t.Fatalf("block of %d bytes, want at most %d", len(rec), m.Size)
			}
			joined = append(joined, rec...)
			joined = append(joined, m.Terminator()...)
		}
		want := in
		if (m.Kind == Lines || m.Kind == Null) && len(in) > 0 && in[len(in)-1] != m.Terminator()[0] {
			want = append(append([]byte{}, in...), m.Terminator()...)
		}
		if !bytes.Equal(joined, want) {
			t.Fatalf("split+join(%q, %+v) = %q; want %q", in, m, joined, want)
		}
	})
}
