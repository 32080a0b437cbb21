// Package ipcname holds every name grammar a user types: POSIX object names
// ("/name"), System V keys (7777, 0x1e61, ftok:PATH:PROJ), System V ids
// (id:N), sizes (64K) and octal modes (0600).
package ipcname

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Kind says which grammar a Name was written in.
type Kind int

const (
	POSIX Kind = iota + 1 // "/name"
	Key                   // "7777", "0x1e61"
	Ftok                  // "ftok:PATH:PROJ", a key computed from a file
	ID                    // "id:N", an existing System V object
)

// NameMax is the longest POSIX name, without its slash (NAME_MAX).
const NameMax = 255

// Name is a parsed object argument.
type Name struct {
	Kind Kind
	Path string // POSIX: the name with its leading slash; Ftok: the file
	Key  uint32 // Key: the key; Ftok: the project id (1..255)
	ID   int    // ID: the object id
}

// Forms lists the accepted forms, for error messages.
const Forms = "use /name, a System V key (7777, 0x1e61), ftok:PATH:PROJ or id:N"

// ErrPrivate refuses key 0, which the kernel reads as IPC_PRIVATE.
var ErrPrivate = errors.New("key 0 is IPC_PRIVATE, which names no object; name it by id:N as ipcs prints it")

// Parse parses an object argument of shmcat or mqcat.
func Parse(s string) (Name, error) {
	switch {
	case strings.HasPrefix(s, "/"):
		if err := checkPOSIX(s[1:]); err != nil {
			return Name{}, fmt.Errorf("bad POSIX name %q: %v", s, err)
		}
		return Name{Kind: POSIX, Path: s}, nil
	case strings.HasPrefix(s, "ftok:"):
		rest := s[len("ftok:"):]
		i := strings.LastIndexByte(rest, ':')
		if i <= 0 {
			return Name{}, fmt.Errorf("bad ftok name %q: want ftok:PATH:PROJ", s)
		}
		proj, err := parseProj(rest[i+1:])
		if err != nil {
			return Name{}, fmt.Errorf("bad ftok name %q: %v", s, err)
		}
		return Name{Kind: Ftok, Path: rest[:i], Key: proj}, nil
	case strings.HasPrefix(s, "id:"):
		id, err := strconv.ParseUint(s[len("id:"):], 10, 31)
		if err != nil {
			return Name{}, fmt.Errorf("bad id %q: want id:N with N as ipcs prints it", s)
		}
		return Name{Kind: ID, ID: int(id)}, nil
	}
	k, err := ParseKey(s)
	if err != nil {
		return Name{}, err
	}
	return Name{Kind: Key, Key: k}, nil
}

// ParseKey parses a System V key: decimal (negative decimals are the
// signed spelling of the same 32 bits) or hex with 0x.
func ParseKey(s string) (uint32, error) {
	var v uint64
	var err error
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		v, err = strconv.ParseUint(s[2:], 16, 32)
		if s[2:] == "" || strings.HasPrefix(s[2:], "+") {
			err = strconv.ErrSyntax
		}
	case strings.HasPrefix(s, "-"):
		var n int64
		n, err = strconv.ParseInt(s, 10, 32)
		v = uint64(uint32(int32(n)))
	case len(s) > 1 && s[0] == '0':
		// ipcrm reads 07777 as octal, we would read it as decimal: refuse
		// rather than guess.
		return 0, fmt.Errorf("ambiguous key %q: write it in decimal without the leading 0, or in hex with 0x", s)
	default:
		v, err = strconv.ParseUint(s, 10, 32)
	}
	if err != nil {
		return 0, fmt.Errorf("bad object name %q: %s", s, Forms)
	}
	if v == 0 {
		return 0, ErrPrivate
	}
	return uint32(v), nil
}

func checkPOSIX(n string) error {
	switch {
	case n == "":
		return errors.New("empty name after the slash")
	case len(n) > NameMax:
		return fmt.Errorf("longer than %d bytes", NameMax)
	case strings.ContainsRune(n, '/'):
		return errors.New("only the leading slash is allowed")
	case strings.IndexByte(n, 0) >= 0:
		return errors.New("contains a NUL byte")
	case n == "." || n == "..":
		return errors.New("not an object name")
	}
	return nil
}

func parseProj(p string) (uint32, error) {
	if p == "" {
		return 0, errors.New("empty PROJ: want 1..255 or one character")
	}
	if p[0] >= '0' && p[0] <= '9' {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || n == 0 {
			return 0, fmt.Errorf("PROJ %q: want a number 1..255 or one non-digit character", p)
		}
		return uint32(n), nil
	}
	if len(p) != 1 || p[0] == 0 {
		// A NUL byte is project 0, which ftok(3) does not define.
		return 0, fmt.Errorf("PROJ %q: want a number 1..255 or one non-digit character", p)
	}
	return uint32(p[0]), nil
}

// String renders the name as the tools print it in messages: "/name",
// "key 0x00001e61", "ftok:PATH:PROJ (key ...)" once resolved, "id 5".
func (n Name) String() string {
	switch n.Kind {
	case POSIX:
		return n.Path
	case Key:
		return "key " + FormatKey(n.Key)
	case Ftok:
		return fmt.Sprintf("ftok:%s:%d", n.Path, n.Key)
	case ID:
		return "id " + strconv.Itoa(n.ID)
	}
	return "?"
}

// FormatKey prints a key as ipcs does.
func FormatKey(k uint32) string { return fmt.Sprintf("0x%08x", k) }

// SysV reports whether the name is of the System V family.
func (n Name) SysV() bool { return n.Kind != POSIX }

// Resolve turns an ftok name into a plain key, as ftok(3) computes it:
// the low 16 bits of the inode, the low 8 bits of the device, the project.
func (n Name) Resolve() (Name, error) {
	if n.Kind != Ftok {
		return n, nil
	}
	var st unix.Stat_t
	if err := unix.Stat(n.Path, &st); err != nil {
		return n, fmt.Errorf("ftok %s: %w", n.Path, err)
	}
	key := uint32(st.Ino&0xffff) | uint32(st.Dev&0xff)<<16 | (n.Key&0xff)<<24
	if key == 0 {
		return n, ErrPrivate
	}
	return Name{Kind: Key, Key: key}, nil
}

// UnmarshalFlag implements go-flags' Unmarshaler.
func (n *Name) UnmarshalFlag(s string) error {
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*n = v
	return nil
}
