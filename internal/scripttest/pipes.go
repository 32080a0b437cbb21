package scripttest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/procfs"
)

// Commands and helpers for the pipe tools (pipecat, fifocat).

func init() {
	Register("waitholder", waitHolder)
	Register("mkfifo", mkfifoCmd)
	Register("isfifo", isFIFO)
	Register("waitopener", waitOpener)
	Register("waitwriter", waitWriter)
}

// waitwriter PATH [DURATION]: wait until some process holds the FIFO at
// PATH open for writing (O_PATH descriptors do not count): a writer that
// is connected, not one still waiting for a reader.
func waitWriter(ts *testscript.TestScript, neg bool, args []string) {
	poll(ts, neg, args, "waitwriter", func(p string) bool {
		var st unix.Stat_t
		if unix.Stat(ts.MkAbs(p), &st) != nil {
			return false
		}
		fifos, _ := procfs.Pipes(true)
		f := fifos[procfs.PipeKey{Dev: st.Dev, Ino: st.Ino}]
		return f != nil && len(f.Writers) > 0
	})
}

// waitopener [DURATION]: wait until a process started in this script's
// directory sleeps in open(2) of a FIFO, waiting for the other end (its
// wchan is wait_for_partner). With !, fail if one is.
func waitOpener(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) > 1 {
		ts.Fatalf("usage: waitopener [DURATION]")
	}
	work := ts.MkAbs(".")
	opener := func() bool {
		for _, pid := range procfs.FIFOOpeners(os.Getpid()) {
			if cwd, err := os.Readlink(procfs.Root + "/" + strconv.Itoa(pid) + "/cwd"); err == nil && cwd == work {
				return true
			}
		}
		return false
	}
	if neg {
		if opener() {
			ts.Fatalf("a process is blocked opening a FIFO")
		}
		return
	}
	d := 10 * time.Second
	if len(args) == 1 {
		var err error
		d, err = time.ParseDuration(args[0])
		ts.Check(err)
	}
	for end := time.Now().Add(d); !opener(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			ts.Fatalf("no process blocked opening a FIFO after %v", d)
		}
	}
}

// waitholder PATH [DURATION]: wait until some process holds the FIFO at
// PATH open (a reader that has opened it and is waiting for writers).
func waitHolder(ts *testscript.TestScript, neg bool, args []string) {
	poll(ts, neg, args, "waitholder", func(p string) bool {
		var st unix.Stat_t
		if unix.Stat(ts.MkAbs(p), &st) != nil {
			return false
		}
		return Held(st.Dev, st.Ino)
	})
}

// Held reports whether any process has the file dev/ino open.
func Held(dev, ino uint64) bool {
	procs, _ := os.ReadDir("/proc")
	for _, pe := range procs {
		if _, err := strconv.Atoi(pe.Name()); err != nil {
			continue
		}
		dir := "/proc/" + pe.Name() + "/fd/"
		fds, _ := os.ReadDir(dir)
		for _, fe := range fds {
			var st unix.Stat_t
			if unix.Stat(dir+fe.Name(), &st) == nil && st.Dev == dev && st.Ino == ino {
				return true
			}
		}
	}
	return false
}

// mkfifo PATH [MODE]: make a FIFO (mode 0600 unless given, in octal).
func mkfifoCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: mkfifo PATH [MODE]")
	}
	mode := uint64(0o600)
	if len(args) == 2 {
		var err error
		mode, err = strconv.ParseUint(args[1], 8, 32)
		ts.Check(err)
	}
	ts.Check(unix.Mkfifo(ts.MkAbs(args[0]), uint32(mode)))
}

// isfifo PATH: PATH is a FIFO (not following a symlink).
func isFIFO(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: isfifo PATH")
	}
	var st unix.Stat_t
	ok := unix.Lstat(ts.MkAbs(args[0]), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
	if ok == neg {
		if neg {
			ts.Fatalf("%s is a FIFO", args[0])
		}
		ts.Fatalf("%s is not a FIFO", args[0])
	}
}

// Source makes a file of size bytes in dir for Produce to read (page
// cache, so that reading it costs no disk time).
func Source(dir string, size int) (*os.File, error) {
	f, err := os.Create(dir + "/source")
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Produce writes n bytes into the pipe w by splice(2) from src, a file
// read over and over (page cache to pipe, no copy), then closes w.
// Benchmarks use it as the first stage so that they time the stage under
// test, not the producer, as `pipecat < file | STAGE` would.
func Produce(w, src *os.File, n int64) error {
	defer w.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	var off int64
	for n > 0 {
		if off == size {
			off = 0
		}
		c, err := unix.Splice(int(src.Fd()), &off, int(w.Fd()), nil, int(min(n, size-off, 1<<20)), unix.SPLICE_F_MOVE|unix.SPLICE_F_MORE)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return fmt.Errorf("splice: %w", err)
		}
		n -= c
	}
	return nil
}

// Consume reads the pipe r to its end by splice(2) into /dev/null (no
// copy) and returns the byte count.
func Consume(r *os.File) (int64, error) {
	defer r.Close()
	null, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	var total int64
	for {
		n, err := unix.Splice(int(r.Fd()), nil, int(null.Fd()), nil, 1<<20, unix.SPLICE_F_MOVE)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return total, fmt.Errorf("splice: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		total += n
	}
}

// Start starts argv with the given standard input and output, closing the
// caller's copies of them.
func Start(argv []string, stdin, stdout *os.File) (*exec.Cmd, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, os.Stderr
	err := cmd.Start()
	if stdin != nil {
		stdin.Close()
	}
	if stdout != nil {
		stdout.Close()
	}
	return cmd, err
}

// WatchRSS samples the peak resident set (VmHWM) of process pid every few
// milliseconds until it exits; the function it returns waits for the end
// and gives the peak in bytes. (getrusage's ru_maxrss cannot be used for a
// child of a Go program: os/exec starts it with vfork, and exec(2) records
// the parent's high-water mark in the child's.)
func WatchRSS(pid int) func() int64 {
	done := make(chan int64, 1)
	go func() {
		var peak int64
		path := "/proc/" + strconv.Itoa(pid) + "/status"
		for {
			b, err := os.ReadFile(path)
			if err != nil {
				break
			}
			_, v, ok := strings.Cut(string(b), "VmHWM:")
			if !ok {
				break // a zombie has no memory left to report
			}
			v, _, _ = strings.Cut(v, "kB")
			if kb, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				peak = max(peak, kb*1024)
			}
			time.Sleep(2 * time.Millisecond)
		}
		done <- peak
	}()
	return func() int64 { return <-done }
}

// Describe is "argv" for benchmark failure messages.
func Describe(cmd *exec.Cmd) string { return strings.Join(cmd.Args, " ") }
