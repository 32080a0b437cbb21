package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// streamBenchSize is what each run moves: the 2 GiB.
const streamBenchSize = 2 << 30

// cachedFile writes size pseudo-random bytes to a file and reads it once,
// so that the runs read it from the page cache.
func cachedFile(b *testing.B, size int64) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "data")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	block := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{7})
	r.Read(block)
	for left := size; left > 0; left -= int64(len(block)) {
		block[0]++ // no two blocks alike
		if _, err := f.Write(block[:min(left, int64(len(block)))]); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	in, _ := os.Open(path)
	for {
		n, err := in.Read(block)
		if n == 0 || err != nil {
			break
		}
	}
	in.Close()
	return path
}

// BenchmarkStream2G moves 2 GiB from a page-cached file to /dev/null
// through a writer and a reader, side by side in the same run:
// shmcat -w --stream and shmcat -r --stream on a System V key (the ring
// at its default 4 MiB), and cat file > fifo with cat fifo > /dev/null.
// The goal is twice the FIFO pair's rate, with a peak RSS under
// 8 MiB per shmcat side (reported as writer-KiB and reader-KiB).
func BenchmarkStream2G(b *testing.B) {
	bin := scripttest.BuildTool(b, "shmcat")
	src := cachedFile(b, streamBenchSize)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	key := fmt.Sprint(0x1d100000 | os.Getpid()&0xfffff)
	defer exec.Command(bin, "--rm", key).Run()

	// The C yardstick first, so that shmcat's line can say how near it is.
	var cPerOp time.Duration
	if _, err := exec.LookPath("gcc"); err == nil {
		cring := filepath.Join(b.TempDir(), "cring")
		if out, err := exec.Command("gcc", "-O2", "-o", cring, "testdata/cring.c").CombinedOutput(); err != nil {
			b.Fatalf("gcc cring.c: %v\n%s", err, out)
		}
		b.Run("c-ring", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			for b.Loop() {
				in, err := os.Open(src)
				if err != nil {
					b.Fatal(err)
				}
				c := exec.Command(cring)
				c.Stdin, c.Stdout, c.Stderr = in, devnull, os.Stderr
				if err := c.Run(); err != nil {
					b.Fatalf("cring: %v", err)
				}
				in.Close()
			}
			cPerOp = b.Elapsed() / time.Duration(b.N)
		})
	}

	b.Run("shmcat-stream", func(b *testing.B) {
		b.SetBytes(streamBenchSize)
		var wrss, rrss int64
		for b.Loop() {
			in, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			rd := exec.Command(bin, "-r", "--stream", "--rm", key)
			rd.Stdout, rd.Stderr = devnull, os.Stderr
			wr := exec.Command(bin, "-w", "--stream", key)
			wr.Stdin, wr.Stderr = in, os.Stderr
			if err := rd.Start(); err != nil {
				b.Fatal(err)
			}
			rpeak := scripttest.WatchRSS(rd.Process.Pid)
			if err := wr.Start(); err != nil {
				b.Fatal(err)
			}
			wpeak := scripttest.WatchRSS(wr.Process.Pid)
			wkib, rkib := wpeak()/1024, rpeak()/1024 // the watchers end as the processes do
			if err := wr.Wait(); err != nil {
				b.Fatalf("shmcat -w --stream: %v", err)
			}
			if err := rd.Wait(); err != nil {
				b.Fatalf("shmcat -r --stream: %v", err)
			}
			in.Close()
			wrss, rrss = max(wrss, wkib), max(rrss, rkib)
		}
		b.ReportMetric(float64(wrss), "writer-KiB")
		b.ReportMetric(float64(rrss), "reader-KiB")
		if cPerOp > 0 {
			// The speed of shmcat over that of the C ring (1: as fast).
			b.ReportMetric(float64(cPerOp)/float64(b.Elapsed()/time.Duration(b.N)), "of-c-ring")
		}
	})

	b.Run("fifo-cat", func(b *testing.B) {
		b.SetBytes(streamBenchSize)
		fifo := filepath.Join(b.TempDir(), "fifo")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			rd := exec.Command("sh", "-c", `exec cat "$1" > /dev/null`, "sh", fifo)
			wr := exec.Command("sh", "-c", `exec cat "$1" > "$2"`, "sh", src, fifo)
			if err := rd.Start(); err != nil {
				b.Fatal(err)
			}
			if err := wr.Run(); err != nil {
				b.Fatalf("cat > fifo: %v", err)
			}
			if err := rd.Wait(); err != nil {
				b.Fatalf("cat fifo: %v", err)
			}
		}
	})
}
