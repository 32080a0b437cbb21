package cli

import "golang.org/x/sys/unix"

// Need refuses to run when a standard descriptor the run uses was closed
// by the shell (<&-, >&-). The Go runtime reopens a closed fd 0-2 on
// /dev/null, read-write, before main runs; used as is, -w would make an
// empty object and -r --rm would destroy one unread. A /dev/null the shell
// opened (</dev/null, >/dev/null) is opened for one direction only and is
// used as given.
func (e *Env) Need(stdin, stdout bool) error {
	if stdin && e.Stdin != nil && reopened(int(e.Stdin.Fd())) {
		return Failf("standard input", "give input, or </dev/null for none", "closed")
	}
	if stdout && e.Stdout != nil && reopened(int(e.Stdout.Fd())) {
		return Failf("standard output", "redirect it, to >/dev/null if need be", "closed")
	}
	return nil
}

// NeedFor is Need for the object tools' actions: -w reads standard input,
// --rm alone uses neither, every other action writes standard output.
func (e *Env) NeedFor(act Action) error {
	switch act {
	case ActWrite:
		return e.Need(true, false)
	case ActRemove:
		return nil
	}
	return e.Need(false, true)
}

// reopened tells whether fd is the runtime's stand-in for a closed
// descriptor: the character device /dev/null opened read-write.
func reopened(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		return false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_ACCMODE == unix.O_RDWR
}
