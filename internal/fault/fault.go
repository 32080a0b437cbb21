// Package fault turns a memory fault in a shared mapping (SIGBUS when
// another process truncates the file or object under us) into an error.
package fault

import (
	"errors"
	"runtime/debug"
)

// ErrFault is returned by Guard when f touched mapped memory that no longer exists.
var ErrFault = errors.New("the mapped object shrank under us (truncated by another process)")

// Guard runs f, which reads or writes a mapping, and returns ErrFault if
// the mapping faulted instead of crashing the program.
func Guard(f func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); ok {
				err = ErrFault
				return
			}
			panic(r)
		}
	}()
	return f()
}
