package scripttest

import (
	"io"
	"os"
	"os/exec"
	"testing"
	"time"
)

// RoundTrips times request/reply round trips of 64 bytes through a relay
// program (args), whose standard input and output are pipes of this
// process: each op writes a request into its input and reads as many
// bytes back from its output, which an echo at the far end (the
// caller's) has sent back. It measures the delay a relay adds to each
// message, which a bulk-throughput benchmark cannot see. It reports and
// returns the mean ns per round trip. The program is ended outside the
// timer: its input closed, then killed if it has not gone within 2 s (nc
// without -N never ends at its input's end).
func RoundTrips(b *testing.B, args ...string) float64 {
	b.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	inR.Close()
	outW.Close()
	defer func() {
		inW.Close()
		t := time.AfterFunc(2*time.Second, func() { cmd.Process.Kill() })
		io.Copy(io.Discard, outR)
		outR.Close()
		cmd.Wait()
		t.Stop()
	}()
	req := make([]byte, 64)
	for i := range req {
		req[i] = 'a' + byte(i%26)
	}
	req[len(req)-1] = '\n'
	got := make([]byte, len(req))
	ping := func() {
		if _, err := inW.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(outR, got); err != nil {
			b.Fatalf("%s: reading the reply: %v", args[0], err)
		}
	}
	for i := 0; i < 20; i++ { // the far end is up, and warm
		ping()
	}
	if string(got) != string(req) {
		b.Fatalf("%s: reply %q; want %q", args[0], got, req)
	}
	// An op is perOp round trips, so that make bench's -benchtime 3x
	// still times thousands; ns/roundtrip is the figure to compare.
	const perOp = 1000
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for j := 0; j < perOp; j++ {
			ping()
		}
	}
	b.StopTimer()
	per := float64(time.Since(start).Nanoseconds()) / float64(b.N*perOp)
	b.ReportMetric(per, "ns/roundtrip")
	return per
}
