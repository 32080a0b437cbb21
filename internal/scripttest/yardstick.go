package scripttest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Helpers that let every benchmark put a tool beside its yardsticks (a C
// program doing the same work, and the peer a user would reach for) in
// the same run, print the ratio, and check the bytes.

// Ratios remembers the time per operation of each sub-benchmark of one
// comparison, so that a later one can report its speed over an earlier
// one's: the metric "x-NAME" is NAME's time over this one's (2: twice as
// fast as NAME; 0.9: nine tenths of its speed). The yardsticks run first.
type Ratios struct{ perOp map[string]time.Duration }

// Report records b's time per operation under name and reports its speed
// over each of refs that has run.
func (r *Ratios) Report(b *testing.B, name string, refs ...string) {
	if b.N == 0 {
		return
	}
	if r.perOp == nil {
		r.perOp = map[string]time.Duration{}
	}
	per := b.Elapsed() / time.Duration(b.N)
	r.perOp[name] = per
	for _, ref := range refs {
		if p, ok := r.perOp[ref]; ok && ref != name && per > 0 {
			b.ReportMetric(float64(p)/float64(per), "x-"+ref)
		}
	}
}

// BuildC compiles the C program at src (a path from the module's top)
// with gcc -O2 into a temporary directory and returns the binary, or ""
// when there is no gcc (the row is then left out, as a missing peer is).
func BuildC(b testing.TB, src string, libs ...string) string {
	b.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		return ""
	}
	out := filepath.Join(b.TempDir(), strings.TrimSuffix(filepath.Base(src), ".c"))
	args := append([]string{"-O2", "-o", out, filepath.Join(Top(b), src)}, libs...)
	if msg, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		b.Fatalf("gcc %s: %v\n%s", src, err, msg)
	}
	return out
}

// StreamSum is the SHA-256 of what Produce writes: n bytes of src, read
// from its start over and over.
func StreamSum(src *os.File, n int64) ([32]byte, error) {
	h := sha256.New()
	for n > 0 {
		k, err := io.Copy(h, io.NewSectionReader(src, 0, n))
		if err != nil {
			return [32]byte{}, err
		}
		if k == 0 {
			return [32]byte{}, fmt.Errorf("%s is empty", src.Name())
		}
		n -= k
	}
	return [32]byte(h.Sum(nil)), nil
}

// ConsumeSum reads r to its end, as Consume does, but through user space
// and SHA-256: the untimed run that checks a benchmark's bytes.
func ConsumeSum(r *os.File) (int64, [32]byte, error) {
	defer r.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{r}, make([]byte, 1<<20))
	return n, [32]byte(h.Sum(nil)), err
}

// Drain is Consume, or with want ConsumeSum with the sum checked: a
// benchmark's timed runs pass nil, its one checking run the input's sum.
func Drain(r *os.File, want *[32]byte) (int64, error) {
	if want == nil {
		return Consume(r)
	}
	n, sum, err := ConsumeSum(r)
	if err == nil && sum != *want {
		err = fmt.Errorf("the output's SHA-256 differs from the input's")
	}
	return n, err
}

// ProduceVM writes n bytes into the pipe w by vmsplice(2) of block, over
// and over (user memory to pipe without a copy), then closes w: the
// source "a pipe that vmsplices" of the shared-memory benchmarks. Its
// stream's SHA-256 is BlockSum(block, n).
func ProduceVM(w *os.File, block []byte, n int64) error {
	defer w.Close()
	for off := 0; n > 0; {
		k := min(n, int64(len(block)-off))
		iov := unix.Iovec{Base: &block[off]}
		iov.SetLen(int(k))
		m, err := unix.Vmsplice(int(w.Fd()), []unix.Iovec{iov}, 0)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return fmt.Errorf("vmsplice: %w", err)
		}
		n -= int64(m)
		if off += m; off == len(block) {
			off = 0
		}
	}
	return nil
}

// BlockSum is the SHA-256 of n bytes of block repeated.
func BlockSum(block []byte, n int64) [32]byte {
	h := sha256.New()
	for ; n > 0; n -= int64(len(block)) {
		h.Write(block[:min(n, int64(len(block)))])
	}
	return [32]byte(h.Sum(nil))
}
