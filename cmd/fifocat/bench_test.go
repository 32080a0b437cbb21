package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// benchSize is what each iteration pushes through the FIFO: the issue's
// 2 GiB (about two seconds per iteration for the cat pair here).
const benchSize = 2 << 30

// BenchmarkFIFO times a writer and a reader joined by a FIFO, fifocat -w +
// fifocat -r against `cat > fifo` + `cat fifo`, between the same two
// pipes: a producer that splices a cached 64 MiB file into the writer's
// standard input, over and over, and a consumer that splices the reader's
// standard output to /dev/null. The peak RSS of the larger of the two
// processes is reported too.
func BenchmarkFIFO(b *testing.B) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		b.Skip("no cat")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		b.Skip("no sh")
	}
	bin := scripttest.BuildTool(b, "fifocat")
	dir := b.TempDir()
	src, err := scripttest.Source(dir, 64<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	fifo := filepath.Join(dir, "fifo")
	for _, tc := range []struct {
		name           string
		writer, reader []string
	}{
		{"fifocat", []string{bin, "-w", fifo}, []string{bin, "-r", fifo}},
		// Every pipe left at the default size: splice alone.
		{"fifocat-64K", []string{bin, "-s", "64K", "-w", fifo}, []string{bin, "-s", "64K", "-r", fifo}},
		{"cat", []string{sh, "-c", `exec "$0" > "$1"`, cat, fifo}, []string{cat, fifo}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			os.Remove(fifo)
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchSize)
			var rss int64
			for i := 0; i < b.N; i++ {
				rss = max(rss, pair(b, src, tc.writer, tc.reader))
			}
			b.ReportMetric(float64(rss)/(1<<20), "MiB-maxrss")
		})
	}
}

// pair runs producer | writer > fifo; reader < fifo | consumer once and
// returns the larger peak RSS of writer and reader.
func pair(b *testing.B, src *os.File, writer, reader []string) int64 {
	inR, inW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	r, err := scripttest.Start(reader, nil, outW)
	if err != nil {
		b.Fatal(err)
	}
	rrss := scripttest.WatchRSS(r.Process.Pid)
	w, err := scripttest.Start(writer, inR, nil)
	if err != nil {
		b.Fatal(err)
	}
	wrss := scripttest.WatchRSS(w.Process.Pid)
	perr := make(chan error, 1)
	go func() { perr <- scripttest.Produce(inW, src, benchSize) }()
	n, cerr := scripttest.Consume(outR)
	for _, c := range []*exec.Cmd{w, r} {
		if err := c.Wait(); err != nil {
			b.Fatalf("%s: %v", scripttest.Describe(c), err)
		}
	}
	if err := <-perr; err != nil {
		b.Fatal(err)
	}
	if cerr != nil || n != benchSize {
		b.Fatalf("consumer got %d bytes (%v); want %d", n, cerr, int64(benchSize))
	}
	return max(rrss(), wrss())
}
