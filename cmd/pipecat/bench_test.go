package main

import (
	"os"
	"os/exec"
	"testing"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// benchSize is what each iteration pushes through the stage: the issue's
// 2 GiB (about a second per iteration for cat here).
const benchSize = 2 << 30

// BenchmarkPassThrough times one pipeline stage, pipecat against cat,
// between the same two pipes: a producer that splices a cached 64 MiB file
// in, over and over, and a consumer that splices it out to /dev/null, so
// that the endpoints cost next to nothing and the stage itself is what is
// measured (the shape of `pipecat <file | STAGE | pipecat >/dev/null`).
// Peak RSS of the stage is reported too, and its speed over the C
// yardstick (testdata/csplice.c: splice stdin to stdout, the kernel's
// limit) and over cat. One more run of each, untimed, checks the bytes by
// SHA-256.
func BenchmarkPassThrough(b *testing.B) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		b.Skip("no cat")
	}
	bin := scripttest.BuildTool(b, "pipecat")
	src, err := scripttest.Source(b.TempDir(), 64<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	want, err := scripttest.StreamSum(src, benchSize)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		argv []string
	}{
		{"cat", []string{cat}},
		{"pipecat", []string{bin}},
		{"pipecat-64K", []string{bin, "-s", "64K"}}, // the pipes left at the default size
	}
	if c := scripttest.BuildC(b, "internal/scripttest/testdata/csplice.c"); c != "" {
		cases = append([]struct {
			name string
			argv []string
		}{{"c", []string{c}}}, cases...)
	}
	var ratios scripttest.Ratios
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(benchSize)
			var rss int64
			for i := 0; i < b.N; i++ {
				rss = max(rss, stage(b, src, tc.argv, nil))
			}
			b.ReportMetric(float64(rss)/(1<<20), "MiB-maxrss")
			ratios.Report(b, tc.name, "c", "cat")
			b.StopTimer()
			stage(b, src, tc.argv, &want)
		})
	}
}

// stage runs producer | argv | consumer once and returns argv's peak RSS.
// With want, the consumer reads the bytes and checks their SHA-256.
func stage(b *testing.B, src *os.File, argv []string, want *[32]byte) int64 {
	inR, inW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd, err := scripttest.Start(argv, inR, outW)
	if err != nil {
		b.Fatal(err)
	}
	rss := scripttest.WatchRSS(cmd.Process.Pid)
	perr := make(chan error, 1)
	go func() { perr <- scripttest.Produce(inW, src, benchSize) }()
	n, cerr := scripttest.Drain(outR, want)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s: %v", scripttest.Describe(cmd), err)
	}
	if err := <-perr; err != nil {
		b.Fatal(err)
	}
	if cerr != nil || n != benchSize {
		b.Fatalf("%s: consumer got %d bytes (%v); want %d", scripttest.Describe(cmd), n, cerr, int64(benchSize))
	}
	return rss()
}
