package procfs

import (
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPipes(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(p[1], []byte("12345")); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(p[0], &st); err != nil {
		t.Fatal(err)
	}
	pipes, _ := Pipes(false)
	got := pipes[PipeKey{st.Dev, st.Ino}]
	if got == nil {
		t.Fatalf("Pipes(false) does not have our pipe (inode %d)", st.Ino)
	}
	self := os.Getpid()
	tests := []struct {
		name string
		hs   []PipeHolder
		fd   int
	}{
		{"readers", got.Readers, p[0]},
		{"writers", got.Writers, p[1]},
	}
	for _, tt := range tests {
		if len(tt.hs) != 1 || tt.hs[0].PID != self || tt.hs[0].FD != tt.fd {
			t.Errorf("Pipes(false) %s = %+v; want pid %d fd %d", tt.name, tt.hs, self, tt.fd)
		}
	}
	if got.FIFO || got.Path == "" {
		t.Errorf("Pipes(false) pipe = FIFO %v, path %q; want an anonymous pipe:[...]", got.FIFO, got.Path)
	}
	// Fill skips our own descriptors when asked; then there is no reader left.
	if _, ok := got.Fill(self); ok {
		t.Errorf("Fill(self) = ok; want no other reader")
	}
	f, ok := got.Fill(0)
	if !ok || f.Queued != 5 || f.Capacity < 4096 {
		t.Errorf("Fill(0) = %+v, %v; want 5 queued", f, ok)
	}
	if h := got.Holders(); len(h) != 1 || h[0].PID != self {
		t.Errorf("Holders() = %+v; want us once", h)
	}

	// A FIFO shows under Pipes(true), by path.
	path := t.TempDir() + "/f"
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	fifos, _ := Pipes(true)
	ff := fifos[PipeKey{st.Dev, st.Ino}]
	if ff == nil || ff.Path != path || !ff.FIFO || len(ff.Readers) != 1 || len(ff.Writers) != 1 {
		t.Errorf("Pipes(true)[%s] = %+v; want the FIFO, held by us for both", path, ff)
	}
}

func TestFIFOOpeners(t *testing.T) {
	path := t.TempDir() + "/f"
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "echo hi > "+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	found := false
	for end := time.Now().Add(10 * time.Second); !found && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		found = slices.Contains(FIFOOpeners(os.Getpid()), pid)
	}
	if !found {
		t.Errorf("FIFOOpeners() lacks %d, blocked opening %s", pid, path)
	}
	// Open the reading end: the writer's open completes and it leaves.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := FIFOOpeners(os.Getpid()); slices.Contains(got, pid) {
		t.Errorf("FIFOOpeners() = %v after the open; want no %d", got, pid)
	}
}

// An O_PATH descriptor names a FIFO without reading or writing it: it is
// no holder, so nothing would open the FIFO through it.
func TestPipesSkipsOPath(t *testing.T) {
	path := t.TempDir() + "/f"
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	fifos, _ := Pipes(true)
	if p := fifos[PipeKey{st.Dev, st.Ino}]; p != nil {
		t.Errorf("Pipes(true)[%s] = %+v; want no entry for an O_PATH descriptor", path, p)
	}
}

func TestHolderText(t *testing.T) {
	hs := []PipeHolder{{1, 3, "a"}, {1, 4, "a"}, {2, 0, "b"}, {3, 1, "c"}, {4, 1, "d"}, {5, -1, "e"}}
	for _, c := range []struct {
		hs    []PipeHolder
		limit int
		want  string
	}{
		{nil, 0, "none"},
		{hs, 0, "1 (a), 2 (b), 3 (c), 4 (d), 5 (e)"},
		{hs, 3, "1 (a), 2 (b), 3 (c), +2 more"},
		{hs, 4, "1 (a), 2 (b), 3 (c), 4 (d), 5 (e)"}, // "+1 more" would be no shorter
		{Without(hs, 1), 0, "2 (b), 3 (c), 4 (d), 5 (e)"},
	} {
		if got := HolderText(c.hs, c.limit); got != c.want {
			t.Errorf("HolderText(%v, %d) = %q, want %q", c.hs, c.limit, got, c.want)
		}
	}
	recs := HolderRecords(hs[4:])
	if len(recs) != 2 || recs[0][2].Value != 1 || recs[1][2].Value != nil {
		t.Errorf("HolderRecords: %v; want fd 1, then null for a process blocked in open", recs)
	}
}
