package ipcname

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a byte count a user types: 4096, 64K, 1M, 2G, 1T (powers of
// 1024; "KiB", "KB", "k" and a trailing "B" are accepted too).
type Size struct {
	N   int64
	Set bool
}

// ParseSize parses the size grammar.
func ParseSize(s string) (int64, error) {
	num := strings.TrimRight(s, "kKmMgGtTiIbB")
	unit := strings.ToUpper(s[len(num):])
	if len(unit) > 1 {
		unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
		if len(unit) != 1 {
			unit = "?"
		}
	}
	shift := map[string]uint{"": 0, "B": 0, "K": 10, "M": 20, "G": 30, "T": 40}
	sh, ok := shift[unit]
	if num == "" || !ok || strings.HasPrefix(num, "+") {
		return 0, fmt.Errorf("bad size %q: want bytes or a K/M/G/T multiple (4096, 64K, 1M)", s)
	}
	v, err := strconv.ParseUint(num, 10, 63)
	if err != nil || (sh > 0 && v > math.MaxInt64>>sh) {
		return 0, fmt.Errorf("bad size %q: want bytes or a K/M/G/T multiple (4096, 64K, 1M)", s)
	}
	return int64(v << sh), nil
}

// UnmarshalFlag implements go-flags' Unmarshaler.
func (z *Size) UnmarshalFlag(s string) error {
	v, err := ParseSize(s)
	if err != nil {
		return err
	}
	z.N, z.Set = v, true
	return nil
}

// Mode is an octal permission mode (-m 0640). The zero value means 0600.
type Mode struct {
	Perm uint32
	Set  bool
}

// ParseMode parses an octal mode of at most 0777 (set-id and sticky bits
// mean nothing to IPC objects).
func ParseMode(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0777 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("bad mode %q: want octal permissions such as 0600 or 640", s)
	}
	return uint32(v), nil
}

// UnmarshalFlag implements go-flags' Unmarshaler.
func (m *Mode) UnmarshalFlag(s string) error {
	v, err := ParseMode(s)
	if err != nil {
		return err
	}
	m.Perm, m.Set = v, true
	return nil
}

// Or returns the mode, or def when it was not given.
func (m Mode) Or(def uint32) uint32 {
	if m.Set {
		return m.Perm
	}
	return def
}
