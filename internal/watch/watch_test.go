package watch

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipcats/ipcats/internal/procfs"
)

func TestTakeInterval(t *testing.T) {
	for _, c := range []struct {
		flag string
		args []string
		want int
		d    time.Duration
		rest int
	}{
		{"default", []string{"0.5"}, 0, 500 * time.Millisecond, 0},        // --list --watch 0.5
		{"default", []string{"7777"}, 1, time.Second, 1},                  // --stat --watch 7777
		{"default", []string{"2", "7777"}, 1, 2 * time.Second, 1},         // --stat --watch 2 7777
		{"default", []string{"/q"}, 0, time.Second, 1},                    // not a duration: left
		{"300ms", []string{"0.5"}, 0, 300 * time.Millisecond, 1},          // explicit: nothing taken
		{"default", []string{"200ms", "x"}, 0, 200 * time.Millisecond, 1}, // taken; the rest is the tool's to refuse
	} {
		var o Option
		if err := o.Watch.UnmarshalFlag(c.flag); err != nil {
			t.Fatal(err)
		}
		rest, err := o.TakeInterval(c.args, c.want)
		if err != nil || o.Watch.D != c.d || len(rest) != c.rest {
			t.Errorf("%s %v: got %v, rest %v, %v; want %v and %d left", c.flag, c.args, o.Watch.D, rest, err, c.d, c.rest)
		}
	}
	var o Option
	if err := o.Watch.UnmarshalFlag("1ms"); err == nil {
		t.Error("an interval under 10ms was taken")
	}
	o.Watch.UnmarshalFlag("default")
	if _, err := o.TakeInterval([]string{"1ms"}, 0); err == nil {
		t.Error("a separate interval under 10ms was taken")
	}
}

func TestCut(t *testing.T) {
	if got := Cut("héllo", 3); got != "hél" {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut("hello", 0); got != "hello" {
		t.Errorf("Cut with no width = %q", got)
	}
}

// TestRunBlocks runs the loop into a file (no terminal): blocks with a
// blank line between, ended by a Done frame.
func TestRunBlocks(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	err = Run(context.Background(), f, 10*time.Millisecond, false, func() (Frame, error) {
		n++
		return Frame{Text: "a\nb", Done: n == 3}, nil
	})
	b, _ := os.ReadFile(f.Name())
	if err != nil || string(b) != "a\nb\n\na\nb\n\na\nb\n" {
		t.Errorf("Run: %v, wrote %q", err, b)
	}
}

// TestRunStops: a cancelled context ends the loop between samples with
// its cause, and NDJSON is one line per sample.
func TestRunStops(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped")
	n := 0
	start := time.Now()
	err = Run(ctx, f, time.Hour, true, func() (Frame, error) {
		n++
		time.AfterFunc(20*time.Millisecond, func() { cancel(stop) })
		return Frame{JSON: map[string]int{"n": n}}, nil
	})
	b, _ := os.ReadFile(f.Name())
	if err != stop || string(b) != "{\"n\":1}\n" || time.Since(start) > time.Second {
		t.Errorf("Run: %v after %v, wrote %q", err, time.Since(start), b)
	}
}

func holders(pid, fd int, comm string) []procfs.PipeHolder {
	return []procfs.PipeHolder{{PID: pid, FD: fd, Comm: comm}}
}

// TestChains: yes | cat | gzip held as a shell joins it, plus a pipe the
// stages inherited on fd 9, which joins nothing.
func TestChains(t *testing.T) {
	p1 := &procfs.Pipe{Ino: 1, Writers: holders(10, 1, "yes"), Readers: holders(11, 0, "cat")}
	p2 := &procfs.Pipe{Ino: 2, Writers: holders(11, 1, "cat"), Readers: holders(12, 0, "gzip")}
	leak := &procfs.Pipe{Ino: 3, Writers: holders(12, 9, "gzip"), Readers: holders(5, 0, "bash")}
	cs := chains([]*procfs.Pipe{leak, p2, p1})
	if len(cs) != 2 || len(cs[1]) != 2 || cs[1][0] != p1 || cs[1][1] != p2 || cs[0][0] != leak {
		t.Fatalf("chains: %v", cs)
	}
}

func TestSlowest(t *testing.T) {
	st := func(pid int, comm string) Stage { return Stage{Procs: []Proc{{pid, comm}}} }
	pl := Pipeline{Stages: []Stage{st(1, "src"), st(2, "mid"), st(3, "sink")}, Pipes: make([]PipeState, 2)}
	if v := slowest(pl); v != nil {
		t.Errorf("nothing blocked: %v", v)
	}
	pl.Pipes[0].WriterBlocked = true // src waits for mid; sink waits too
	pl.Pipes[1].ReaderBlocked = true
	if v := slowest(pl); v == nil || v.Stage != 1 || !strings.Contains(v.Why, "1 src waits to write") {
		t.Errorf("slow middle: %+v", v)
	}
	pl.Pipes[1].WriterBlocked, pl.Pipes[1].ReaderBlocked = true, false // all backed up behind sink
	if v := slowest(pl); v == nil || v.Stage != 2 || v.Who != "3 sink" {
		t.Errorf("slow sink: %+v", v)
	}
	pl.Pipes[0].WriterBlocked, pl.Pipes[1].WriterBlocked = false, false
	pl.Pipes[0].ReaderBlocked, pl.Pipes[1].ReaderBlocked = true, true // everyone waits for src
	if v := slowest(pl); v == nil || v.Stage != 0 || !strings.Contains(v.Why, "output is empty") {
		t.Errorf("slow source: %+v", v)
	}
}
