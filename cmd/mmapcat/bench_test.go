package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// benchSize is the file the read benchmark copies to a pipe: the 2 GiB of
// the issue. The file is written once (page-cached from then on), and each
// tool copies it four times under -benchtime 3x, which keeps the whole
// benchmark near 20 seconds on a two-core machine.
const benchSize = 2 << 30

// BenchmarkRead copies a page-cached file to a pipe whose reader (this
// process) drains it with 1 MiB reads: mmapcat -r side by side with the
// C yardstick (testdata/csplice.c: splice from the file, the kernel's
// limit), cat and dd bs=1M doing the same work in the same run.
func BenchmarkRead(b *testing.B) {
	mmapcat := scripttest.BuildTool(b, "mmapcat")
	file := filepath.Join(b.TempDir(), "data")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	block := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for i := 0; i < benchSize/len(block); i++ {
		if _, err := f.Write(block); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	sum := sha256.New()
	for i := 0; i < benchSize/len(block); i++ {
		sum.Write(block)
	}
	want := sum.Sum(nil)
	type tool struct {
		name string
		argv []string
	}
	tools := []tool{
		{"cat", []string{"cat", file}},
		{"dd", []string{"dd", "if=" + file, "bs=1M", "status=none"}},
		{"mmapcat", []string{mmapcat, "-r", file}},
	}
	if c := scripttest.BuildC(b, "internal/scripttest/testdata/csplice.c"); c != "" {
		tools = append([]tool{{"c", []string{"sh", "-c", `exec "$0" < "$1"`, c, file}}}, tools...)
	}
	var ratios scripttest.Ratios
	for _, tool := range tools {
		b.Run(tool.name, func(b *testing.B) {
			b.SetBytes(benchSize)
			buf := make([]byte, 1<<20)
			var rss int64
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(tool.argv[0], tool.argv[1:]...)
				out, err := cmd.StdoutPipe()
				if err != nil {
					b.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				peak := scripttest.WatchRSS(cmd.Process.Pid)
				n, err := io.CopyBuffer(io.Discard, onlyReader{out}, buf)
				if werr := cmd.Wait(); err != nil || werr != nil || n != benchSize {
					b.Fatalf("%s: copied %d bytes of %d: %v, %v", tool.name, n, benchSize, err, werr)
				}
				rss = max(rss, peak())
			}
			b.ReportMetric(float64(rss)/(1<<20), "MiB-maxrss")
			ratios.Report(b, tool.name, "c", "cat")
			// One more run, untimed, checks the bytes themselves.
			b.StopTimer()
			cmd := exec.Command(tool.argv[0], tool.argv[1:]...)
			out, _ := cmd.StdoutPipe()
			cmd.Start()
			h := sha256.New()
			io.CopyBuffer(h, onlyReader{out}, buf)
			if err := cmd.Wait(); err != nil || !bytes.Equal(h.Sum(nil), want) {
				b.Fatalf("%s: the output's SHA-256 differs from the file's (%v)", tool.name, err)
			}
		})
	}
}

// onlyReader hides WriteTo so that io.CopyBuffer reads into the buffer,
// as a program reading the pipe would.
type onlyReader struct{ io.Reader }
