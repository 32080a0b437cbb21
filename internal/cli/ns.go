package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/ipcats/ipcats/internal/ns"
)

// NS is --ns PID: look at the objects of a container from the host, as
// process PID sees them (see internal/ns). It goes with --list, --stat
// and --rm (and --rm --stale); the tools' actions that move data do not
// take it (Check).
type NS struct {
	PID int
	Set bool
}

// UnmarshalFlag implements go-flags' Unmarshaler: a process id.
func (n *NS) UnmarshalFlag(s string) error {
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return fmt.Errorf("%q is not a process id", s)
	}
	n.PID, n.Set = pid, true
	return nil
}

// Check refuses --ns with an action that moves data: a transfer runs on
// many threads, and only one of them could be in the namespace.
func (n NS) Check(act Action) error {
	if n.Set && (act == ActRead || act == ActWrite) {
		return Usagef("--ns goes with --list, --stat or --rm (not -r or -w)")
	}
	return nil
}

// In runs f as process --ns sees things: in its IPC namespace, with
// the paths of ns.Path under its root. Without --ns it runs f itself.
func (n NS) In(f func() error) error { return n.in(ns.IPC, f) }

// InNet runs f in the network namespace of process --ns (sockcat).
func (n NS) InNet(f func() error) error { return n.in(ns.Net, f) }

// InFiles runs f with the paths of ns.Path under the root of process
// --ns, entering no namespace (fifocat's and mmapcat's files).
func (n NS) InFiles(f func() error) error { return n.in(ns.Files, f) }

func (n NS) in(k ns.Kind, f func() error) error {
	if !n.Set {
		return f()
	}
	return n.enterErr(ns.Run(n.PID, k, f), k != ns.Files)
}

// enterErr words a failure to look inside the namespaces of --ns's
// process: entering them (setns) needs CAP_SYS_ADMIN over them; reading
// its files and /proc entries only what ptrace's read check asks.
func (n NS) enterErr(err error, enters bool) error {
	var ne *ns.Error
	switch {
	case !errors.As(err, &ne):
		return err
	case errors.Is(err, ns.ErrPermission):
		if !enters {
			return Fail("", err, fmt.Sprintf("run as root or as the owner of %d", n.PID))
		}
		return Fail("", err, fmt.Sprintf("run as root or as the owner of %d with CAP_SYS_ADMIN", n.PID))
	}
	return Fail("", err, "")
}

// Peers is a test of whether a process is one of the processes of --ns's
// pid namespace (pipecat --list, whose pipes belong to no namespace,
// keeps those of its processes); without --ns, every process is.
func (n NS) Peers() (func(pid int) bool, error) {
	if !n.Set {
		return func(int) bool { return true }, nil
	}
	in, err := ns.PIDPeers(n.PID)
	return in, n.enterErr(err, false)
}
