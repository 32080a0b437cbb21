package shmio

import (
	"errors"

	"github.com/ipcats/ipcats/internal/cli"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/shm"
)

// DefaultCreateSize is the size -r -c gives a segment when -s is absent:
// one page, room for a status line or a small record.
const DefaultCreateSize = 4096

// OpenRead opens the segment to read and returns it with the window
// [lo, hi) that -o and -L select. An absent segment is created first when
// create (-r -c: DefaultCreateSize bytes unless -s, and only once the
// window is known to fit) and opened again read-only, as a reader;
// otherwise missing decides: nil looks again (cli.Missing waits for it to
// appear), an error ends the run.
func OpenRead(o *Options, name ipcname.Name, obj string, create bool, missing func() error) (*shm.Segment, int64, int64, error) {
	for {
		seg, err := shm.Open(name, false)
		if !errors.Is(err, shm.ErrNotExist) {
			if err != nil {
				return nil, 0, 0, &OpenError{err}
			}
			err := o.SameSize(seg, obj)
			lo, hi := int64(0), int64(0)
			if err == nil {
				lo, hi, err = o.window(seg.Size, obj)
			}
			if err != nil {
				seg.Close()
				return nil, 0, 0, err
			}
			return seg, lo, hi, nil
		}
		switch {
		case create && name.Kind == ipcname.ID:
			return nil, 0, 0, cli.Fail(obj, shm.ErrNotExist, "an id names a segment that exists; it cannot be created")
		case create:
			if err := o.createEmpty(name, obj); err != nil {
				return nil, 0, 0, err
			}
			continue // reopen read-only, as a reader
		}
		if err := missing(); err != nil {
			return nil, 0, 0, err
		}
	}
}

// createEmpty makes the segment -r -c reads; one that another process
// created meanwhile is as good.
func (o *Options) createEmpty(name ipcname.Name, obj string) error {
	size := int64(DefaultCreateSize)
	if o.SizeSet {
		size = o.Size
	}
	if _, _, err := o.window(size, obj); err != nil {
		return err // refuse before creating anything
	}
	seg, err := shm.Create(name, size, o.Mode)
	switch {
	case errors.Is(err, shm.ErrExist):
		return nil
	case err != nil:
		return &OpenError{err}
	}
	seg.Close()
	return nil
}
