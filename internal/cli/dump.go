package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/jessevdk/go-flags"

	"github.com/ipcats/ipcats/internal/dump"
)

// Dump is -x/--hexdump, --dump FILE and --dump-format of sockcat and
// pipecat: a record of the bytes as they pass (package dump).
type Dump struct {
	Hexdump bool `short:"x" long:"hexdump" description:"Record the bytes as they pass on standard error, each chunk with a timestamp, > sent or < received, and its count (no splice)"`
	DumpTo
}

// DumpLong is fifocat's Dump: its -x is --excl (SPEC), so --hexdump has
// no short form there.
type DumpLong struct {
	Hexdump bool `long:"hexdump" description:"Record the bytes as they pass on standard error, each chunk with a timestamp, > sent or < received, and its count (no splice)"`
	DumpTo
}

// DumpTo is where and how the record goes, shared by Dump and DumpLong.
type DumpTo struct {
	File   string     `long:"dump" value-name:"FILE" description:"Write the --hexdump record to FILE (truncated) instead of standard error"`
	Format DumpFormat `long:"dump-format" value-name:"FORMAT" description:"Show the bytes in the --hexdump record as hex (hexdump -C, the default) or text"`
}

// DumpFormat is a --dump-format value: "hex" or "text" ("" when not given).
type DumpFormat string

// UnmarshalFlag implements go-flags' Unmarshaler.
func (f *DumpFormat) UnmarshalFlag(s string) error {
	if s != "hex" && s != "text" {
		return fmt.Errorf("%q: want hex or text", s)
	}
	*f = DumpFormat(s)
	return nil
}

// Complete implements go-flags' Completer.
func (*DumpFormat) Complete(match string) []flags.Completion {
	var out []flags.Completion
	for _, f := range []string{"hex", "text"} {
		if strings.HasPrefix(f, match) {
			out = append(out, flags.Completion{Item: f})
		}
	}
	return out
}

// Recorder returns the recorder the options ask for and the function that
// closes its file, or a nil recorder (and a no-op close) when the dump is
// off, so that the tool keeps its fast path.
func (d *Dump) Recorder(env *Env) (*dump.Recorder, func() error, error) {
	return d.open(env, d.Hexdump)
}

// Recorder is Dump.Recorder for fifocat.
func (d *DumpLong) Recorder(env *Env) (*dump.Recorder, func() error, error) {
	return d.open(env, d.Hexdump)
}

// On reports whether the options ask for a record.
func (d *DumpTo) On(hexdump bool) bool { return hexdump || d.File != "" || d.Format != "" }

func (d *DumpTo) open(env *Env, hexdump bool) (*dump.Recorder, func() error, error) {
	nop := func() error { return nil }
	if !d.On(hexdump) {
		return nil, nop, nil
	}
	f := dump.Hex
	if d.Format == "text" {
		f = dump.Text
	}
	if d.File == "" {
		return dump.New(env.Stderr, f), nop, nil
	}
	file, err := os.OpenFile(d.File, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o666)
	if err != nil {
		return nil, nop, Fail("--dump "+d.File, err, "")
	}
	w := &firstError{w: file}
	closeFile := func() error {
		err := file.Close()
		if w.err != nil {
			err = w.err
		}
		if err != nil {
			return Fail("--dump "+d.File, err, "the record is incomplete")
		}
		return nil
	}
	return dump.New(w, f), closeFile, nil
}

// firstError is a writer that keeps its first error and then writes no
// more: a full disk under --dump FILE never stops the transfer, and the
// tool says at its end that the record is incomplete.
type firstError struct {
	w   *os.File
	err error
}

func (w *firstError) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(b)
	w.err = err
	return n, err
}
