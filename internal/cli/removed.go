package cli

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Removed is what -v says once --rm has removed an object, in the same
// words in every tool: "TOOL: removed KIND NAME" on standard error (KIND
// "segment", "queue", "FIFO", "file"; NAME as the tool's other messages
// print it). Without verbose it says nothing.
func (e *Env) Removed(verbose bool, kind, name string) {
	if verbose {
		e.Warnf("removed %s %s", kind, name)
	}
}

// Remover is remove, then Removed when it succeeded: the --rm step of a
// tool, alone or riding along -r or -w (RemoveAfter).
func (e *Env) Remover(verbose bool, kind, name string, remove func() error) func() error {
	return func() error {
		if err := remove(); err != nil {
			return err
		}
		e.Removed(verbose, kind, name)
		return nil
	}
}

// UnlinkErr explains why the KIND at path ("FIFO", "file") could not be
// removed (unlink(2) failed with err), with what would allow it: write
// permission on its directory, a sticky directory's rule, the attributes
// of the directory, a read-only file system.
func UnlinkErr(path, kind string, err error) error {
	dir := filepath.Dir(path)
	switch err {
	case unix.EACCES:
		return Fail(path, err, "removing it needs write permission on "+dir+" (ask its owner or root)")
	case unix.EPERM:
		var st unix.Stat_t
		if unix.Stat(dir, &st) == nil && st.Mode&unix.S_ISVTX != 0 {
			return Fail(path, err, dir+" is sticky: only the "+kind+"'s owner, the directory's owner or root may remove it")
		}
		return Fail(path, err, "check the attributes of "+dir+" with lsattr -d")
	case unix.EROFS:
		return Fail(path, err, dir+" is on a read-only file system")
	}
	return Fail(path, err, "")
}
