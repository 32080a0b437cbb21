package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/mapwrite"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/ns"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
	win "github.com/ipcats/ipcats/internal/window"
)

// wopts are the options -w writes by, and -r -c creates a file by.
func wopts(o *options) *mapwrite.Options {
	return &mapwrite.Options{Offset: o.Offset.N, Length: o.Length.N, LengthSet: o.Length.Set,
		InPlace: o.InPlace, NoClear: o.NoClear, Sync: o.Sync, Force: o.Force,
		Mode: o.Mode.Or(0o600), Excl: o.Excl, FollowSymlinks: o.FollowSymlinks}
}

// worded gives a failure to open, create or name the file mmapcat's hints.
func worded(path string, err error) error {
	var oe *mapwrite.OpenError
	if errors.As(err, &oe) {
		return openErr(path, oe.Err)
	}
	return err
}

// frame is the frame of a -r, -f or -w run: -t, --progress, -v and -i.
func frame(env *cli.Env, o *options) *win.Run {
	return &win.Run{Env: env, Wait: o.Wait, Progress: o.Progress, Verbose: o.Verbose, Interval: o.Interval, Offset: o.Offset.N}
}

// write copies standard input into the file through a shared mapping
// (mapwrite.Write).
func write(ctx context.Context, env *cli.Env, o *options, path string) error {
	return frame(env, o).Write(func(m *meter.Meter) (string, error) {
		return path, worded(path, mapwrite.Write(ctx, wopts(o), path, int(env.Stdin.Fd()), m))
	})
}

// openForRead opens the file, creating it with -c (empty, or as long as
// the -o/-L window), or waiting for it to appear under -t.
func openForRead(ctx context.Context, o *options, path string) (*mapfile.File, error) {
	f, err := mapwrite.OpenRead(wopts(o), path, o.Create, func() error {
		return cli.Missing(ctx, path, "file", o.Nonblock, o.Timeout.Set, mapfile.ErrNotExist)
	})
	return f, worded(path, err)
}

// span is the window -o and -L select; trim the part of it -r prints:
// every byte (default), up to the first NUL (-z), or up to the last
// non-NUL byte (--trim).
func span(o *options) (win.Span, win.Trim) {
	return win.Span{Offset: o.Offset.N, Length: o.Length.N, LengthSet: o.Length.Set}, win.Pick(win.All, false, o.CString, o.Trim)
}

// read copies the window to standard output straight from the mapping (a
// file that says it is empty, such as a /proc file, is read to its end
// instead), or with -f prints it now and each time it changes, like
// tail -f, reading it with pread(2) at each look: the file may grow,
// shrink or be rewritten meanwhile.
func read(ctx context.Context, env *cli.Env, o *options, path string) error {
	return frame(env, o).Serve(ctx, o.Follow, path, "window is empty", func(ctx context.Context) (*win.Source, error) {
		f, err := openForRead(ctx, o, path)
		if err != nil {
			return nil, err
		}
		s, t := span(o)
		return &win.Source{Where: path, Close: func() { f.Close() }, Print: win.PrintFile(f, s, t), Look: win.FileLook(f, s, t)}, nil
	})
}

// mappers turns the processes mapping a file into --stat/--list fields.
func mappers(ms []procfs.Mapper) []report.Record {
	out := []report.Record{}
	for _, p := range ms {
		access := "r"
		if p.Writable {
			access = "rw"
		}
		out = append(out, report.Record{
			{Name: "pid", Value: p.PID},
			{Name: "comm", Value: p.Comm, Text: "(" + p.Comm + ")"},
			{Name: "access", Value: access},
			{Name: "bytes", Value: p.Bytes, Text: fmt.Sprintf("%d bytes", p.Bytes)},
		})
	}
	return out
}

// warnHidden says when some processes could not be inspected, so that an
// empty mapper list is not taken for the whole truth.
func warnHidden(env *cli.Env, sc procfs.Scan) {
	if sc.Hidden > 0 && os.Geteuid() != 0 {
		env.Warnf("%d processes could not be inspected; run as root to see their mappings", sc.Hidden)
	}
}

// stat prints size, mode, owner, times, page-cache residency and the
// processes that map the file.
func stat(env *cli.Env, o *options, path string) error {
	st, err := mapfile.StatPath(path, false)
	if err != nil {
		if errors.Is(err, mapfile.ErrNotExist) {
			return cli.Fail(path, mapfile.ErrNotExist, "")
		}
		return openErr(path, err)
	}
	if !st.Regular() {
		return openErr(path, fmt.Errorf("%w (%s)", mapfile.ErrNotRegular, mapfile.TypeName(st.Mode)))
	}
	pages := (st.Size + mapfile.PageSize - 1) / mapfile.PageSize
	resident := report.Field{Name: "resident", Value: nil, Text: "unknown (the file cannot be opened for reading)"}
	if f, err := mapfile.Open(path, false); err == nil {
		if r, err := f.Resident(); err == nil {
			pages = r.Pages
			resident = report.Field{Name: "resident", Value: r.Resident,
				Text: fmt.Sprintf("%d of %d pages (%s)", r.Resident, r.Pages, percent(r.Resident, r.Pages))}
		}
		f.Close()
	}
	id := procfs.FileID{Dev: st.Dev, Ino: st.Ino}
	files, sc := procfs.SharedFileMappings(func(f procfs.FileID) bool { return f == id })
	if sc.Err != nil {
		return cli.Fail(path, fmt.Errorf("reading the processes' maps in /proc: %w", sc.Err), "")
	}
	var ms []procfs.Mapper
	if len(files) > 0 {
		ms = files[0].Mappers
	}
	abs := path
	if p, err := filepath.EvalSymlinks(path); err == nil {
		abs = p
	}
	if p, err := filepath.Abs(abs); err == nil {
		abs = p
	}
	hidden := fmt.Sprint(sc.Hidden)
	switch {
	case sc.Hidden > 0 && os.Geteuid() != 0:
		hidden = meter.Count(int64(sc.Hidden), "process") + " (their mappings are not listed; run as root to see them)"
	case sc.Hidden > 0:
		hidden = meter.Count(int64(sc.Hidden), "process") + " (their maps could not be read)"
	}
	rec := report.Record{
		{Name: "path", Value: abs},
		{Name: "size", Value: st.Size},
		{Name: "mode", Value: report.Mode(st.Mode)},
		{Name: "owner", Value: report.User(st.Uid)},
		{Name: "group", Value: report.Group(st.Gid)},
		{Name: "device", Value: st.Device()},
		{Name: "inode", Value: st.Ino},
		{Name: "accessed", Value: st.Accessed},
		{Name: "modified", Value: st.Modified},
		{Name: "changed", Value: st.Change},
		{Name: "page_size", Value: mapfile.PageSize},
		{Name: "pages", Value: pages},
		resident,
		{Name: "mappers", Value: mappers(ms)},
		{Name: "uninspected", Value: sc.Hidden, Text: hidden},
	}
	if err := report.Stat(env.Stdout, o.JSON, rec); err != nil {
		return cli.Output(err)
	}
	warnHidden(env, sc)
	return nil
}

func percent(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", n*100/of)
}

// listColumns are the --list columns: the file, its size, whether it was
// deleted while mapped, and who maps it.
var listColumns = []string{"path", "size", "deleted", "mappers"}

// list prints every file some process maps MAP_SHARED; with --ns PID,
// only those the processes of PID's mount namespace map (its container),
// by the paths they see, stat'ed through /proc/PID/root.
func list(env *cli.Env, o *options) error {
	return o.NS.InFiles(func() error { return listIn(env, o) })
}

// listIn is list, in the namespaces --ns names if any (see list).
func listIn(env *cli.Env, o *options) error {
	var in func(pid int) bool // nil: every process
	if o.NS.Set {
		var err error
		if in, err = ns.MountPeers(o.NS.PID); err != nil {
			return err
		}
	}
	files, sc := procfs.SharedFileMappingsIn(in, nil)
	if sc.Err != nil {
		return cli.Fail("/proc", fmt.Errorf("reading the processes' maps: %w", sc.Err), "")
	}
	rows := []report.Record{}
	for _, f := range files {
		size := any(nil)
		if st, err := mapfile.StatPath(ns.Path(f.Path), false); !f.Deleted && err == nil && st.Ino == f.Ino {
			size = st.Size
		} else if st, err := mapfile.StatPath(f.MapFile, false); err == nil && st.Ino == f.Ino {
			size = st.Size // a deleted file through the mapping's map_files entry
		}
		rows = append(rows, report.Record{
			{Name: "path", Value: f.Path},
			{Name: "device", Value: mapfile.Device(f.Dev)},
			{Name: "inode", Value: f.Ino},
			{Name: "size", Value: size},
			{Name: "deleted", Value: f.Deleted},
			{Name: "mappers", Value: mappers(f.Mappers)},
		})
	}
	if err := report.List(env.Stdout, o.JSON, listColumns, rows); err != nil {
		return cli.Output(err)
	}
	warnHidden(env, sc)
	return nil
}

// remove unlinks path, and only if it is a regular file (a symbolic link,
// even to a regular file, is left alone).
func remove(path string) error {
	st, err := mapfile.StatPath(path, true)
	if err != nil {
		if errors.Is(err, mapfile.ErrNotExist) {
			return cli.Fail(path, mapfile.ErrNotExist, "")
		}
		return openErr(path, err)
	}
	if !st.Regular() {
		return cli.Failf(path, "--rm removes regular files only", "%s; not removed", mapfile.TypeName(st.Mode))
	}
	if err := os.Remove(path); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return cli.UnlinkErr(path, "file", err)
	}
	return nil
}
