package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/ipcats/ipcats/internal/scripttest"
)

// drain runs argv with its standard output on a pipe that this process
// reads to the end in 1 MiB reads, as a consumer would, and checks the
// count; with sum, also the SHA-256 of the bytes.
func drain(b *testing.B, want int64, sum *[32]byte, argv ...string) {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	r, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	h := sha256.New()
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if sum != nil {
			h.Write(buf[:m])
		}
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil || n != want {
		b.Fatalf("%v: %d bytes, %v; want %d bytes", argv, n, err, want)
	}
	if sum != nil && [32]byte(h.Sum(nil)) != *sum {
		b.Fatalf("%v: the output's SHA-256 differs from the input's", argv)
	}
}

// BenchmarkRead64M reads a 64 MiB segment to a pipe: shmcat -r on a POSIX
// object side by side with cat of the same /dev/shm file (the issue's
// goal: not slower), and shmcat -r on a System V segment of the same size.
// x-cat is the speed over cat's; one more run of each, untimed, checks
// the bytes by SHA-256.
func BenchmarkRead64M(b *testing.B) {
	const size = 64 << 20
	bin := scripttest.BuildTool(b, "shmcat")
	data := make([]byte, size)
	rand.Read(data)
	data[size-1] = 'x' // the default trim keeps every byte
	src := b.TempDir() + "/data"
	if err := os.WriteFile(src, data, 0o600); err != nil {
		b.Fatal(err)
	}
	name := fmt.Sprintf("/ipcats-bench-%d", os.Getpid())
	key := fmt.Sprint(0x1d000000 | os.Getpid()&0xffff)
	for _, obj := range []string{name, key} {
		in, _ := os.Open(src)
		cmd := exec.Command(bin, "-w", obj)
		cmd.Stdin = in
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("shmcat -w %s: %v %s", obj, err, out)
		}
		in.Close()
		defer exec.Command(bin, "--rm", obj).Run()
	}
	cases := []struct {
		name string
		argv []string
	}{
		{"cat-posix", []string{"cat", "/dev/shm" + name}},
		{"shmcat-posix", []string{bin, "-r", name}},
		{"shmcat-sysv", []string{bin, "-r", key}},
	}
	sum := sha256.Sum256(data)
	var ratios scripttest.Ratios
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				drain(b, size, nil, c.argv...)
			}
			ratios.Report(b, c.name, "cat-posix")
			b.StopTimer()
			drain(b, size, &sum, c.argv...)
		})
	}
}
