// Package coproc runs a command as a coprocess the way a shell would:
// "command not found" is status 127, "cannot run" 126, a signal death
// 128+N, and the signals a user sends to the parent reach the child.
package coproc

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Shell exit statuses for a command that could not be started.
const (
	NotFound  = 127
	CannotRun = 126
)

// StartError is a command that could not be started, with the status a
// shell would give it.
type StartError struct {
	Name   string
	Status int
	Err    error
}

func (e *StartError) Error() string { return e.Name + ": " + e.Msg() }

// Msg is the reason without the command's name.
func (e *StartError) Msg() string {
	switch {
	case e.Status == NotFound && !strings.Contains(e.Name, "/"):
		return "command not found"
	case errors.Is(e.Err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(e.Err, syscall.EISDIR):
		return "is a directory"
	case errors.Is(e.Err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(e.Err, syscall.ENOEXEC):
		return "cannot execute: exec format error"
	}
	return "cannot execute: " + errText(e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Proc is a started coprocess.
type Proc struct {
	cmd *exec.Cmd
}

// Start runs argv with the given standard input and output (standard error
// is shared with the caller). The caller closes its copies of stdin and
// stdout afterwards.
func Start(argv []string, stdin, stdout, stderr *os.File) (*Proc, error) {
	name := argv[0]
	path, err := look(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = name
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		status := CannotRun
		if errors.Is(err, fs.ErrNotExist) {
			status = NotFound
		}
		return nil, &StartError{Name: name, Status: status, Err: err}
	}
	return &Proc{cmd: cmd}, nil
}

// look finds name as a shell would: a name with a slash is a path, any
// other is searched in $PATH.
func look(name string) (string, error) {
	if strings.Contains(name, "/") {
		st, err := os.Stat(name)
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			return "", &StartError{Name: name, Status: NotFound, Err: err}
		case err != nil:
			return "", &StartError{Name: name, Status: CannotRun, Err: err}
		case st.IsDir():
			return "", &StartError{Name: name, Status: CannotRun, Err: syscall.EISDIR}
		}
		return name, nil
	}
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	if errors.Is(err, exec.ErrDot) {
		return "", &StartError{Name: name, Status: NotFound, Err: fs.ErrNotExist}
	}
	// LookPath skips files that are there but not executable; a shell
	// reports those as 126.
	for _, dir := range strings.Split(os.Getenv("PATH"), ":") {
		if dir == "" {
			dir = "."
		}
		if st, err := os.Stat(dir + "/" + name); err == nil && !st.IsDir() {
			return "", &StartError{Name: name, Status: CannotRun, Err: fs.ErrPermission}
		}
	}
	return "", &StartError{Name: name, Status: NotFound, Err: fs.ErrNotExist}
}

// PID is the coprocess's process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Signal sends sig to the coprocess (nothing once it has been waited for).
func (p *Proc) Signal(sig os.Signal) { p.cmd.Process.Signal(sig) }

// Kill ends the coprocess with SIGKILL (nothing once it has been waited
// for). It is safe to call while another goroutine waits.
func (p *Proc) Kill() { p.cmd.Process.Kill() }

// Wait waits for the coprocess to end and returns its status as a shell
// reports it: the exit code, or 128+N for death by signal N. signaled
// tells which.
func (p *Proc) Wait() (status int, sig syscall.Signal, err error) {
	err = p.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 0, 0, err
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return p.cmd.ProcessState.ExitCode(), 0, nil
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal(), nil
	}
	return ws.ExitStatus(), 0, nil
}
