package cli

import (
	"os"

	"github.com/ipcats/ipcats/internal/dump"
)

// Dump is -x/--hexdump, --dump FILE and --dump-format of sockcat and
// pipecat: a record of the bytes as they pass (package dump).
type Dump struct {
	Hexdump bool `short:"x" long:"hexdump" description:"Record the bytes as they pass on standard error: timestamp, direction (> sent, < received), count, then hexdump -C lines (costs the fast path)"`
	DumpTo
}

// DumpLong is fifocat's Dump: its -x is --excl (SPEC), so --hexdump has
// no short form there.
type DumpLong struct {
	Hexdump bool `long:"hexdump" description:"Record the bytes as they pass on standard error: timestamp, direction (> sent, < received), count, then hexdump -C lines (costs the fast path)"`
	DumpTo
}

// DumpTo is where and how the record goes, shared by Dump and DumpLong.
type DumpTo struct {
	File   string `long:"dump" value-name:"FILE" description:"Write the record of --hexdump to FILE (created or truncated) instead of standard error; implies --hexdump"`
	Format string `long:"dump-format" value-name:"FORMAT" choice:"hex" choice:"text" description:"How --hexdump shows the bytes: hex (hexdump -C lines, the default) or text (\\xHH for unprintable bytes); implies --hexdump"`
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
	return dump.New(file, f), file.Close, nil
}
