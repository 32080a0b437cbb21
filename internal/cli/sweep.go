package cli

import (
	"errors"
	"fmt"
	"os"
)

// Stale is one object a --rm --stale sweep found stale.
type Stale struct {
	What   string       // as printed: a /name, "key 0x... id N", a path
	Owners []uint32     // who may remove it besides root (owner, creator)
	Remove func() error // removes it, if it is still the object surveyed
}

// ErrReplaced is what a Stale's Remove returns when the name no longer
// holds the object surveyed (removed, or made anew, meanwhile): Sweep
// passes over it without a word.
var ErrReplaced = errors.New("no longer the object surveyed")

// Sweep is the --rm --stale step every object tool shares: it removes the
// stale objects this user may remove (root: all; others: the ones they
// own), printing "removed WHAT" for each, or with dryRun only "would
// remove WHAT". A removal that fails is warned about and the sweep goes
// on; it then ends with one error naming kind ("segments", "FIFOs").
func (e *Env) Sweep(kind string, dryRun bool, objs []Stale) error {
	uid := uint32(os.Geteuid())
	failed := false
	for _, s := range objs {
		if uid != 0 && !owns(uid, s.Owners) {
			continue
		}
		verb := "would remove"
		if !dryRun {
			if err := s.Remove(); err != nil {
				if errors.Is(err, ErrReplaced) {
					continue
				}
				var named *Error
				if errors.As(err, &named) && named.Object != "" {
					e.Warnf("%s", err) // it names the object itself
				} else {
					e.Warnf("%s: %s", s.What, Message(err))
				}
				failed = true
				continue
			}
			verb = "removed"
		}
		if _, err := fmt.Fprintf(e.Stdout, "%s %s\n", verb, s.What); err != nil {
			return Output(err)
		}
	}
	if failed {
		return Fail("", errors.New("some stale "+kind+" could not be removed"), "")
	}
	return nil
}

func owns(uid uint32, owners []uint32) bool {
	for _, o := range owners {
		if o == uid {
			return true
		}
	}
	return false
}
