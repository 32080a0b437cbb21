package procfs

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestIO: our own counters can be read, and a write through a pipe adds
// to wchar.
func TestIO(t *testing.T) {
	before, ok := IO(os.Getpid())
	if !ok {
		t.Fatal("IO of our own process: not readable")
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	unix.Write(p[1], make([]byte, 1000))
	after, _ := IO(os.Getpid())
	if after.WChar-before.WChar < 1000 {
		t.Errorf("wchar grew by %d after a 1000-byte write", after.WChar-before.WChar)
	}
	if _, ok := IO(1 << 30); ok {
		t.Error("IO of no process: ok")
	}
}

// TestSleeps: a child writing into a full pipe is seen asleep in the
// pipe's write, on the descriptor it writes.
func TestSleeps(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("yes")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Skip("no yes(1):", err)
	}
	w.Close()
	defer cmd.Wait()
	defer cmd.Process.Kill()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		for _, s := range Sleeps(cmd.Process.Pid) {
			if strings.HasSuffix(s.Wchan, "pipe_write") && (!s.HasCall || s.Call.Args[0] == 1) {
				return
			}
		}
	}
	t.Errorf("yes into a full pipe: never seen in pipe_write: %+v", Sleeps(cmd.Process.Pid))
}

func TestPGID(t *testing.T) {
	if got, want := PGID(os.Getpid()), unix.Getpgrp(); got != want {
		t.Errorf("PGID = %d, want %d", got, want)
	}
	if PGID(1<<30) != -1 {
		t.Error("PGID of no process is not -1")
	}
}
