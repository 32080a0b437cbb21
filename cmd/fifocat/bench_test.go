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
// processes is reported too, with the speed over the C yardstick
// (testdata/csplice.c on both sides: splice, the kernel's limit) and over
// the cat pair. One more run of each, untimed, checks the bytes by SHA-256.
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
	want, err := scripttest.StreamSum(src, benchSize)
	if err != nil {
		b.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	type pairCase struct {
		name           string
		writer, reader []string
	}
	cases := []pairCase{
		{"cat", []string{sh, "-c", `exec "$0" > "$1"`, cat, fifo}, []string{sh, "-c", `exec "$0" < "$1"`, cat, fifo}},
		{"fifocat", []string{bin, "-w", fifo}, []string{bin, "-r", fifo}},
		// Every pipe left at the default size: splice alone.
		{"fifocat-64K", []string{bin, "-s", "64K", "-w", fifo}, []string{bin, "-s", "64K", "-r", fifo}},
	}
	if c := scripttest.BuildC(b, "internal/scripttest/testdata/csplice.c"); c != "" {
		cases = append([]pairCase{{"c", []string{sh, "-c", `exec "$0" > "$1"`, c, fifo}, []string{sh, "-c", `exec "$0" < "$1"`, c, fifo}}}, cases...)
	}
	var ratios scripttest.Ratios
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			os.Remove(fifo)
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchSize)
			var rss int64
			for i := 0; i < b.N; i++ {
				rss = max(rss, pair(b, src, tc.writer, tc.reader, nil))
			}
			b.ReportMetric(float64(rss)/(1<<20), "MiB-maxrss")
			ratios.Report(b, tc.name, "c", "cat")
			b.StopTimer()
			pair(b, src, tc.writer, tc.reader, &want)
		})
	}
}

// pair runs producer | writer > fifo; reader < fifo | consumer once and
// returns the larger peak RSS of writer and reader. With want, the
// consumer reads the bytes and checks their SHA-256.
func pair(b *testing.B, src *os.File, writer, reader []string, want *[32]byte) int64 {
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
	n, cerr := scripttest.Drain(outR, want)
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

// BenchmarkLatency times request/reply round trips of 64 bytes through a
// FIFO pair: the relay writes its input into one FIFO (fifocat -w, or
// cat > fifo) and copies the other to its output (fifocat -r, or cat <
// fifo); this process echoes from the first FIFO into the second. It
// shows what each relay adds to every message.
func BenchmarkLatency(b *testing.B) {
	bin := scripttest.BuildTool(b, "fifocat")
	for _, p := range []struct{ name, w, r string }{
		{"fifocat", bin + " -w req", "exec " + bin + " -r rep"},
		{"cat", "cat > req", "exec cat < rep"},
	} {
		b.Run(p.name, func(b *testing.B) {
			dir := b.TempDir()
			for _, f := range []string{"req", "rep"} {
				if err := unix.Mkfifo(filepath.Join(dir, f), 0o600); err != nil {
					b.Fatal(err)
				}
			}
			// The echo: opens the request FIFO to read and the reply
			// FIFO to write (each open waits for the relay's end), and
			// copies until the relay's writer closes.
			done := make(chan struct{})
			go func() {
				defer close(done)
				req, err := os.Open(filepath.Join(dir, "req"))
				if err != nil {
					return
				}
				defer req.Close()
				rep, err := os.OpenFile(filepath.Join(dir, "rep"), os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer rep.Close()
				buf := make([]byte, 4096)
				for {
					n, err := req.Read(buf)
					if n > 0 {
						rep.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
			// <&3: a background job of sh gets /dev/null as its input
			// (even for <&0), so the input goes by way of fd 3.
			scripttest.RoundTrips(b, "sh", "-c", "cd "+dir+" && exec 3<&0 && { "+p.w+" <&3 3<&- & "+p.r+" 3<&-; }")
			<-done
		})
	}
}
