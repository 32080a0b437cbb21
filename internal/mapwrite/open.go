package mapwrite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/mapfile"
	"github.com/ipcats/ipcats/internal/meter"
	"github.com/ipcats/ipcats/internal/report"
)

// OpenError is a failure of mapfile to open, create or name the file
// (mapfile.ErrNotExist, ErrExist, ErrNotRegular, ErrSymlink, a permission
// error, ...): the tool words it.
type OpenError struct{ Err error }

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// Write copies the input at in into the file at path through a shared
// mapping (Transfer), counting it on m. With -L or --in-place the window
// is fixed and nothing is written unless all of the input fits; otherwise
// the input streams into the file, which ends where the input does. A
// file this call creates has no name until it is written (O_TMPFILE), so
// a reader waiting for it sees it whole, and a refused write leaves
// nothing behind.
func Write(ctx context.Context, o *Options, path string, in int, m *meter.Meter) error {
	f, err := OpenTarget(o, path)
	if err != nil {
		return err
	}
	defer f.Close()
	if f.SameAs(in) { // cat's "input file is output file"
		return cli.Failf(f.Path, "copy it elsewhere first", "standard input is this same file; nothing written")
	}
	written, err := Transfer(ctx, o, f, in, -1, m)
	if f.Unnamed() && (written > 0 || err == nil) {
		if perr := place(ctx, o, f, written); perr != nil {
			return perr
		}
	}
	return err
}

// OpenTarget opens the file -w writes into: an existing regular file, or
// a new unnamed one. A symbolic link at the path is refused (O_NOFOLLOW:
// a link planted in a shared directory such as /tmp cannot redirect the
// write) unless FollowSymlinks, and even then a file is never created
// through a dangling one.
func OpenTarget(o *Options, path string) (*mapfile.File, error) {
	var f *mapfile.File
	var err error
	if o.FollowSymlinks {
		f, err = mapfile.Open(path, true)
	} else {
		f, err = mapfile.OpenNoFollow(path)
	}
	switch {
	case err == nil && o.Excl:
		f.Close()
		return nil, &OpenError{mapfile.ErrExist}
	case err == nil:
		return f, nil
	case errors.Is(err, mapfile.ErrSymlink) && o.Excl:
		return nil, &OpenError{mapfile.ErrExist}
	case errors.Is(err, mapfile.ErrSymlink) && !dangling(path):
		return nil, &OpenError{err}
	case !errors.Is(err, mapfile.ErrNotExist) && !errors.Is(err, mapfile.ErrSymlink):
		return nil, &OpenError{err}
	}
	if err := refuseLink(path); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); !isDir(dir) {
		return nil, cli.Failf(path, "", "no such directory: %s", dir)
	}
	if o.InPlace {
		return nil, cli.Fail(path, err, "--in-place writes into an existing file only")
	}
	f, err = mapfile.CreateUnnamed(path, o.Mode)
	if err != nil {
		f, _, err = mapfile.Create(path, o.Mode, o.Excl)
	}
	if err != nil {
		return nil, &OpenError{err}
	}
	return f, nil
}

// place gives a new file its name. If another process created a file at
// that name meanwhile, that file is never replaced: -x refuses it, and
// otherwise the data goes into it, as if it had been there first (which
// a symbolic link or a non-regular file refuses).
func place(ctx context.Context, o *Options, f *mapfile.File, written int64) error {
	lost := "nothing written"
	if written > 0 {
		lost = fmt.Sprintf("the %d bytes written are lost", written)
	}
	err := f.Link()
	if err == nil {
		return nil
	}
	if !errors.Is(err, mapfile.ErrExist) || o.Excl {
		return &OpenError{fmt.Errorf("%w; %s", err, lost)}
	}
	theirs, err := mapfile.OpenNoFollow(f.Path)
	if err != nil {
		return &OpenError{fmt.Errorf("%w (it appeared while mmapcat wrote); %s", err, lost)}
	}
	defer theirs.Close()
	if err := f.SeekTo(o.Offset); err != nil {
		return cli.Fail(f.Path, err, lost)
	}
	// The data is already in; a signal now would lose it.
	_, err = Transfer(context.WithoutCancel(ctx), o, theirs, f.Fd(), written, meter.New("", io.Discard, false))
	return err
}

// OpenRead opens the file to read, creating it first when create (-r -c:
// empty, or as long as the -o/-L window, see createForRead); otherwise,
// when it is absent, missing decides: nil looks again (cli.Missing waits
// for it to appear), an error ends the run.
func OpenRead(o *Options, path string, create bool, missing func() error) (*mapfile.File, error) {
	for created := false; ; {
		f, err := mapfile.Open(path, false)
		if !errors.Is(err, mapfile.ErrNotExist) {
			if err != nil {
				return nil, &OpenError{err}
			}
			return f, nil
		}
		switch {
		case create && created:
			return nil, cli.Fail(path, err, "it was removed as soon as it was created")
		case create:
			created = true
			if dangling(path) {
				return nil, refuseLink(path)
			}
			if err := createForRead(o, path); err != nil {
				return nil, err
			}
			continue // reopen read-only, as a reader
		}
		if err := missing(); err != nil {
			return nil, err
		}
	}
}

// createForRead makes the file -r -c reads: empty, or as long as the -o/-L
// window. The file is made unnamed (O_TMPFILE) and given its name once it
// has its size, so a size the file system refuses leaves nothing behind;
// where O_TMPFILE is missing, a file this run created is removed again.
// A file another process created meanwhile is left as it is.
func createForRead(o *Options, path string) error {
	size := int64(0)
	if o.LengthSet {
		size = o.Offset + o.Length
	}
	f, err := mapfile.CreateUnnamed(path, o.Mode)
	created := err == nil
	if err != nil {
		f, created, err = mapfile.Create(path, o.Mode, false)
		if err != nil {
			return &OpenError{err}
		}
	}
	defer f.Close()
	if created && size > 0 {
		if err := f.Truncate(size); err != nil {
			if !f.Unnamed() {
				f.RemoveOwn()
			}
			return cli.Fail(path, err, "nothing created")
		}
	}
	if err := f.Link(); err != nil && !errors.Is(err, mapfile.ErrExist) {
		return &OpenError{err}
	}
	return nil
}

// dangling tells whether path is a symbolic link to nothing.
func dangling(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return false
	}
	_, err = os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

// refuseLink refuses to create a file through the symbolic link at path
// (one to a missing file: no other reaches here); nil when path is none.
func refuseLink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return nil
	}
	target, _ := os.Readlink(path)
	return cli.Failf(path, "mmapcat creates files at plain paths only; name the target instead",
		"a symbolic link to a missing file (%s); not followed", report.Escape(target))
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
