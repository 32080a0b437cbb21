package ring

import (
	"encoding/binary"
	"errors"
	"testing"
)

// fresh returns a segment holding a new ring of capacity bytes.
func fresh(t testing.TB, capacity int64) []byte {
	seg := make([]byte, Size(capacity))
	if err := Init(seg, capacity); err != nil {
		t.Fatal(err)
	}
	return seg
}

func TestValidate(t *testing.T) {
	ne := binary.NativeEndian
	tests := []struct {
		name  string
		edit  func(seg []byte) []byte
		want  error  // errors.Is target, or nil
		wantS string // for corrupt headers: a CorruptError is expected
	}{
		{"fresh", func(s []byte) []byte { return s }, nil, ""},
		{"larger segment", func(s []byte) []byte { return append(s, make([]byte, 4096)...) }, nil, ""},
		{"zeros", func(s []byte) []byte { return make([]byte, len(s)) }, ErrUninitialised, ""},
		{"tiny", func(s []byte) []byte { return s[:4] }, ErrNotRing, ""},
		{"text", func(s []byte) []byte { copy(s, "hello, world\n"); return s }, ErrNotRing, ""},
		{"header cut", func(s []byte) []byte { return s[:100] }, nil, "corrupt"},
		{"version 2", func(s []byte) []byte { ne.PutUint32(s[offVersion:], 2); return s }, nil, "version"},
		{"data offset", func(s []byte) []byte { ne.PutUint32(s[offDataOff:], 64); return s }, nil, "corrupt"},
		{"capacity not pow2", func(s []byte) []byte { ne.PutUint64(s[offCapacity:], 5000); return s }, nil, "corrupt"},
		{"capacity zero", func(s []byte) []byte { ne.PutUint64(s[offCapacity:], 0); return s }, nil, "corrupt"},
		{"capacity huge", func(s []byte) []byte { ne.PutUint64(s[offCapacity:], 1<<63); return s }, nil, "corrupt"},
		{"capacity past end", func(s []byte) []byte { ne.PutUint64(s[offCapacity:], 8192); return s }, nil, "corrupt"},
		{"segment cut", func(s []byte) []byte { return s[:len(s)-1] }, nil, "corrupt"},
		{"unknown flag", func(s []byte) []byte { ne.PutUint32(s[offFlags:], 1<<20); return s }, nil, "corrupt"},
		{"negative pid", func(s []byte) []byte { ne.PutUint32(s[offWriter:], 0xffffffff); return s }, nil, "corrupt"},
		{"huge pid", func(s []byte) []byte { ne.PutUint32(s[offReader:], maxPID+1); return s }, nil, "corrupt"},
		{"head past", func(s []byte) []byte { ne.PutUint64(s[offHead:], 4097); return s }, nil, "corrupt"},
		{"tail past head", func(s []byte) []byte { ne.PutUint64(s[offTail:], 1); return s }, nil, "corrupt"},
		{"full", func(s []byte) []byte { ne.PutUint64(s[offHead:], 4096); return s }, nil, ""},
		{"wrapped counters", func(s []byte) []byte {
			ne.PutUint64(s[offHead:], 10)
			ne.PutUint64(s[offTail:], ^uint64(0)-100)
			return s
		}, nil, ""},
	}
	for _, tt := range tests {
		seg := tt.edit(fresh(t, 4096))
		_, err := Validate(seg)
		var ce *CorruptError
		switch {
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("Validate(%s) = %v; want %v", tt.name, err, tt.want)
		case tt.wantS == "corrupt" && !errors.As(err, &ce):
			t.Errorf("Validate(%s) = %v; want a corrupt header error", tt.name, err)
		case tt.wantS == "version" && (err == nil || errors.As(err, &ce)):
			t.Errorf("Validate(%s) = %v; want a version error", tt.name, err)
		case tt.want == nil && tt.wantS == "" && err != nil:
			t.Errorf("Validate(%s) = %v; want nil", tt.name, err)
		}
	}
}

func TestValidCapacity(t *testing.T) {
	tests := []struct {
		n    int64
		want bool
	}{{0, false}, {1, false}, {2048, false}, {4096, true}, {6144, false}, {4 << 20, true}, {1 << 40, true}, {1 << 41, false}, {-4096, false}}
	for _, tt := range tests {
		if got := ValidCapacity(tt.n); got != tt.want {
			t.Errorf("ValidCapacity(%d) = %v; want %v", tt.n, got, tt.want)
		}
	}
}

// FuzzValidate feeds arbitrary headers to Validate: it must never panic,
// and whatever it accepts must be safe to use: the data area inside the
// segment and the fill level within the capacity.
func FuzzValidate(f *testing.F) {
	f.Add(fresh(f, 4096))
	f.Add(fresh(f, 8192)[:4096+4096])
	f.Add([]byte("IPCATSRG"))
	f.Add([]byte{})
	f.Add(make([]byte, 4096))
	seg := fresh(f, 4096)
	binary.NativeEndian.PutUint64(seg[offHead:], 4096)
	f.Add(seg)
	f.Fuzz(func(t *testing.T, seg []byte) {
		// Most random inputs fail at the magic; give the fuzzer a ring
		// to mutate as often as not.
		if len(seg) > 0 && seg[0]&1 == 1 && len(seg) >= 8 {
			binary.NativeEndian.PutUint64(seg, Magic)
		}
		h, err := Validate(seg)
		if err != nil {
			return
		}
		if h.Capacity&(h.Capacity-1) != 0 || h.Capacity < MinCapacity {
			t.Fatalf("Validate accepted capacity %d", h.Capacity)
		}
		if HeaderSize+h.Capacity > uint64(len(seg)) {
			t.Fatalf("Validate accepted capacity %d in a %d-byte segment", h.Capacity, len(seg))
		}
		if h.Fill() > h.Capacity {
			t.Fatalf("Validate accepted fill %d over capacity %d", h.Fill(), h.Capacity)
		}
		_ = seg[HeaderSize+(h.Tail&(h.Capacity-1))] // in bounds
	})
}
