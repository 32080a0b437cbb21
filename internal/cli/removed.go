package cli

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
