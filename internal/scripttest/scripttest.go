// Package scripttest is the shared plumbing of the end-to-end scripts: each
// script gets its own System V keys and POSIX names in $KEY1.. and $NAME1..,
// commands that wait for objects to appear, and a guard that removes every
// object those names denote when the script ends and fails a script that
// passed but left one behind.
package scripttest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// Slots is how many keys and names each script gets.
const Slots = 4

// Run runs the scripts in dir with the suite's commands and guard.
func Run(t *testing.T, dir string) {
	p := Params(dir)
	// Work directories under the test's own temporary directory, which the
	// testing package removes: testscript's own root is left behind when a
	// -run filter skips scripts.
	p.WorkdirRoot = t.TempDir()
	testscript.Run(t, p)
}

// Params returns the suite's testscript parameters for the scripts in dir.
func Params(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "",
		Setup:               setup,
		Cmds:                cmds,
		Condition:           condition,
	}
}

// Cmd is a script command: ts, whether it was negated with !, its arguments.
type Cmd = func(ts *testscript.TestScript, neg bool, args []string)

// cmds are the commands every script has. A tool that needs its own adds
// them from an init function in a file of this package named for it
// (Register("waitsock", ...)), so tools never edit the same lines.
var cmds = map[string]Cmd{
	"waitfile": waitFile,
	"waitshm":  waitShm,
	"waitmq":   waitMq,
	"randfile": randFile,
	"samefile": sameFile,
	"sleep":    sleepCmd,
	"waitgrep": waitGrep,
}

// conds are the [conditions] beyond testscript's own, added likewise.
var conds = map[string]func() bool{}

// extraEnv is what Setenv adds to every script's environment.
var extraEnv = map[string]string{}

// Setenv sets name to value in the environment of every script run
// afterwards (a path the test built, say).
func Setenv(name, value string) { extraEnv[name] = value }

// Register adds a script command.
func Register(name string, c Cmd) { cmds[name] = c }

// RegisterCondition adds a [condition].
func RegisterCondition(name string, f func() bool) { conds[name] = f }

func setup(e *testscript.Env) error {
	for k, v := range extraEnv {
		e.Setenv(k, v)
	}
	return setupSlots(e)
}

// setupSlots gives the script its keys and names, and removes what of
// them it leaves behind.
func setupSlots(env *testscript.Env) error {
	var keys []uint32
	var names []string
	tag := strconv.FormatUint(rand.Uint64()&0xffffffff, 16)
	for i := 1; i <= Slots; i++ {
		// Keys in 0x1c000000..0x1cffffff, a range no well-known program uses.
		k := 0x1c000000 | rand.Uint32()&0xffffff
		keys = append(keys, k)
		env.Setenv(fmt.Sprintf("KEY%d", i), strconv.FormatUint(uint64(k), 10))
		env.Setenv(fmt.Sprintf("KEY%dHEX", i), fmt.Sprintf("0x%08x", k))
		n := fmt.Sprintf("/ipcats-test-%s-%d", tag, i)
		names = append(names, n)
		env.Setenv(fmt.Sprintf("NAME%d", i), n)
	}
	env.Setenv("UID", strconv.Itoa(os.Getuid()))
	// A race-enabled tool sleeps a second at exit unless told not to.
	env.Setenv("GORACE", "atexit_sleep_ms=0")
	if top, err := findTop(); err == nil {
		env.Setenv("TOP", top) // the repository, for completion/ and man/
	}
	env.Defer(func() {
		var left []string
		for _, k := range keys {
			if id, err := unix.SysvShmGet(int(int32(k)), 0, 0); err == nil {
				unix.SysvShmCtl(id, unix.IPC_RMID, nil)
				left = append(left, fmt.Sprintf("shm key 0x%08x", k))
			}
			if id, err := sysvipc.MsgGet(k, 0); err == nil {
				sysvipc.MsgRemove(id)
				left = append(left, fmt.Sprintf("msg key 0x%08x", k))
			}
		}
		for _, n := range names {
			if unix.Unlink("/dev/shm"+n) == nil {
				left = append(left, "shm "+n)
			}
			if posixmq.Unlink(n) == nil {
				left = append(left, "mqueue "+n)
			}
		}
		if len(left) > 0 {
			if e, ok := env.T().(interface{ Errorf(string, ...any) }); ok {
				e.Errorf("script left IPC objects behind (now removed): %s", strings.Join(left, ", "))
			}
		}
	})
	// Registered last, so that it runs first: the processes go before
	// the objects they may still use.
	work := env.Getenv("WORK")
	env.Defer(func() {
		if left := reap(work); len(left) > 0 {
			env.T().Log("script left processes running (now stopped): " + strings.Join(left, ", "))
		}
	})
	return nil
}

func condition(cond string) (bool, error) {
	switch cond {
	case "root":
		return os.Getuid() == 0, nil
	case "cc":
		_, err := exec.LookPath("gcc")
		return err == nil, nil
	case "sysvmsg":
		id, err := sysvipc.MsgGet(0, unix.IPC_CREAT|0o600) // IPC_PRIVATE
		if err == nil {
			sysvipc.MsgRemove(id)
		}
		return err == nil, nil
	case "mqueue":
		_, err := posixmq.Open("/ipcats-probe-"+strconv.Itoa(os.Getpid()), unix.O_RDONLY, 0, nil)
		return err != unix.ENOSYS, nil
	case "userns":
		// A private IPC and mount namespace, for tests of --rm --stale that
		// must not touch the rest of the system's objects.
		return exec.Command("unshare", "-r", "-m", "-i", "true").Run() == nil, nil
	case "mqueuefs":
		var st unix.Statfs_t
		return unix.Statfs("/dev/mqueue", &st) == nil && st.Type == 0x19800202, nil
	}
	if f, ok := conds[cond]; ok {
		return f(), nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// poll retries ok every 10ms for up to 10s (or the duration in args[1]).
func poll(ts *testscript.TestScript, neg bool, args []string, what string, ok func(string) bool) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: %s NAME [DURATION]", what)
	}
	limit := 10 * time.Second
	if len(args) == 2 {
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		limit = d
	}
	name := args[0]
	deadline := time.Now().Add(limit)
	for {
		if ok(name) != neg {
			return
		}
		if time.Now().After(deadline) {
			if neg {
				ts.Fatalf("%s %s: still there after %v", what, name, limit)
			}
			ts.Fatalf("%s %s: not there after %v", what, name, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitfile PATH [DURATION]: wait for a path (FIFO, socket, file) to exist.
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	poll(ts, neg, args, "waitfile", func(p string) bool {
		_, err := os.Lstat(ts.MkAbs(p))
		return err == nil
	})
}

// waitshm KEY|/NAME [DURATION]: wait for a shared memory object.
func waitShm(ts *testscript.TestScript, neg bool, args []string) {
	poll(ts, neg, args, "waitshm", func(n string) bool {
		if strings.HasPrefix(n, "/") {
			_, err := os.Stat("/dev/shm" + n)
			return err == nil
		}
		k, err := strconv.ParseUint(n, 0, 32)
		ts.Check(err)
		_, err = unix.SysvShmGet(int(int32(k)), 0, 0)
		return err == nil
	})
}

// waitmq KEY|/NAME [DURATION]: wait for a message queue.
func waitMq(ts *testscript.TestScript, neg bool, args []string) {
	poll(ts, neg, args, "waitmq", func(n string) bool {
		if strings.HasPrefix(n, "/") {
			fd, err := posixmq.Open(n, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
			if err == nil {
				unix.Close(fd)
			}
			return err == nil
		}
		k, err := strconv.ParseUint(n, 0, 32)
		ts.Check(err)
		_, err = sysvipc.MsgGet(uint32(k), 0)
		return err == nil
	})
}

// waitgrep FILE REGEXP [DURATION]: wait until FILE has a line matching
// REGEXP, so a script can wait for a background command's output (sent to
// a file) instead of sleeping a guessed time.
func waitGrep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitgrep FILE REGEXP [DURATION]")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	poll(ts, false, append([]string{args[0]}, args[2:]...), "waitgrep", func(p string) bool {
		b, _ := os.ReadFile(ts.MkAbs(p))
		return re.Match(b)
	})
}

// randfile PATH SIZE: write SIZE (4096, 64K, 16M) pseudo-random bytes.
func randFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: randfile PATH SIZE")
	}
	mult := int64(1)
	s := args[1]
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)})
	buf := make([]byte, 1<<20)
	for left := n * mult; left > 0; {
		c := min(left, int64(len(buf)))
		r.Read(buf[:c])
		_, err := f.Write(buf[:c])
		ts.Check(err)
		left -= c
	}
}

// samefile A B: the two files have equal contents (compared by SHA-256,
// so that a failure on 64 MiB prints one line, not a diff).
func sameFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samefile A B")
	}
	sum := func(p string) ([32]byte, int) {
		b, err := os.ReadFile(ts.MkAbs(p))
		ts.Check(err)
		return sha256.Sum256(b), len(b)
	}
	a, na := sum(args[0])
	b, nb := sum(args[1])
	same := bytes.Equal(a[:], b[:])
	if same == neg {
		if neg {
			ts.Fatalf("%s and %s are the same (%d bytes)", args[0], args[1], na)
		}
		ts.Fatalf("%s (%d bytes, sha256 %x) differs from %s (%d bytes, sha256 %x)", args[0], na, a[:6], args[1], nb, b[:6])
	}
}

// sleep DURATION: pause the script (for "nothing changes" checks).
func sleepCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// Top returns the repository's top directory, found by walking up from the
// test's directory to go.mod.
func Top(t testing.TB) string {
	top, err := findTop()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func findTop() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("go.mod not found above %s", dir)
		}
		dir = up
	}
}
