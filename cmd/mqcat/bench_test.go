package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/posixmq"
	"github.com/ipcats/ipcats/internal/scripttest"
	"github.com/ipcats/ipcats/internal/sysvipc"
)

// The two message sizes of the issue: a million 64-byte lines (63 bytes
// and a newline) and 32,768 lines of 8 KiB (8,191 bytes and a newline:
// messages of 8,191 bytes, within both families' default limits).
var benchSizes = []struct {
	name       string
	line, msgs int
}{{"64B", 64, 1_000_000}, {"8K", 8192, 32_768}}

// BenchmarkTransfer sends each size's lines through a queue of each
// family, from a sender reading a file to a concurrent receiver writing a
// file: mqcat -w into mqcat -r, then the C pair of testdata/peer.c
// (getline + msgsnd/mq_send, msgrcv/mq_receive + stdio) doing the same.
// Both use the queue the receiver creates with the system's default
// limits; every run's output is checked by SHA-256 against the input.
func BenchmarkTransfer(b *testing.B) {
	if _, err := exec.LookPath("gcc"); err != nil {
		b.Skip("no gcc for the C peer")
	}
	dir := b.TempDir()
	mqcat := scripttest.BuildTool(b, "mqcat")
	peer := filepath.Join(dir, "peer")
	if out, err := exec.Command("gcc", "-O2", "-o", peer, "testdata/peer.c", "-lrt").CombinedOutput(); err != nil {
		b.Fatalf("gcc: %v\n%s", err, out)
	}
	for _, sz := range benchSizes {
		in := filepath.Join(dir, "in-"+sz.name)
		line := append(bytes.Repeat([]byte{'x'}, sz.line-1), '\n')
		data := bytes.Repeat(line, sz.msgs)
		if err := os.WriteFile(in, data, 0o600); err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(data)
		n := strconv.Itoa(sz.msgs)
		for _, fam := range []string{"sysv", "posix"} {
			var ratios scripttest.Ratios // the C pair runs first: mqcat's line gives its speed over it
			for _, tool := range []string{"c", "mqcat"} {
				b.Run(fam+"/"+sz.name+"/"+tool, func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					var rss int64
					for i := 0; i < b.N; i++ {
						q := fmt.Sprintf("%d", 0x1c000000|uint32(os.Getpid()&0xffff)<<4|uint32(i&15))
						if fam == "posix" {
							q = fmt.Sprintf("/ipcats-bench-%d-%d", os.Getpid(), i)
						}
						recv, send := exec.Command(peer, "recv", q, n), exec.Command(peer, "send", q, n)
						if tool == "mqcat" {
							recv, send = exec.Command(mqcat, "-r", "-c", "-N", n, q), exec.Command(mqcat, "-w", q)
						}
						rss = max(rss, transfer(b, recv, send, q, in, filepath.Join(dir, "out.txt"), sum))
					}
					b.ReportMetric(float64(rss)/(1<<20), "MiB-maxrss")
					b.ReportMetric(float64(sz.msgs)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
					ratios.Report(b, tool, "c")
				})
			}
		}
	}
}

// transfer runs one receiver/sender pair over queue q and checks that
// the output is the input, by SHA-256.
// It returns the larger peak RSS of the two, in bytes.
func transfer(b *testing.B, recv, send *exec.Cmd, q, in, out string, want [32]byte) int64 {
	defer removeQueue(q)
	of, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	defer of.Close()
	inf, err := os.Open(in)
	if err != nil {
		b.Fatal(err)
	}
	defer inf.Close()
	recv.Stdout, recv.Stderr = of, os.Stderr
	send.Stdin, send.Stderr = inf, os.Stderr
	if err := recv.Start(); err != nil {
		b.Fatal(err)
	}
	rrss := scripttest.WatchRSS(recv.Process.Pid)
	for !queueExists(q) {
		time.Sleep(time.Millisecond)
	}
	if err := send.Start(); err != nil {
		recv.Process.Kill()
		b.Fatalf("sender: %v", err)
	}
	wrss := scripttest.WatchRSS(send.Process.Pid)
	if err := send.Wait(); err != nil {
		recv.Process.Kill()
		b.Fatalf("sender: %v", err)
	}
	if err := recv.Wait(); err != nil {
		b.Fatalf("receiver: %v", err)
	}
	rss := max(rrss(), wrss())
	b.StopTimer()
	got, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	if sha256.Sum256(got) != want {
		b.Fatalf("received %d bytes that differ from the input (SHA-256)", len(got))
	}
	b.StartTimer()
	return rss
}

func queueExists(q string) bool {
	if q[0] == '/' {
		fd, err := posixmq.Open(q, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil)
		if err == nil {
			unix.Close(fd)
		}
		return err == nil
	}
	k, _ := strconv.ParseUint(q, 10, 32)
	_, err := sysvipc.MsgGet(uint32(k), 0)
	return err == nil
}

func removeQueue(q string) {
	if q[0] == '/' {
		posixmq.Unlink(q)
		return
	}
	k, _ := strconv.ParseUint(q, 10, 32)
	if id, err := sysvipc.MsgGet(uint32(k), 0); err == nil {
		sysvipc.MsgRemove(id)
	}
}
