package suite

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var tools = []string{"fifocat", "mmapcat", "mqcat", "pipecat", "shmcat", "sockcat"}

// BenchmarkStartup times `TOOL --version`, start to exit, beside a static
// Go hello world built the same way (the floor for a Go program): -z
// probe loops and per-message scripts pay this on every call. The x-hello
// column is the tool's time over hello's in the same run.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "hello.go")
	os.WriteFile(src, []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hello\\n\") }\n"), 0o644)
	hello := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", hello, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building hello: %v\n%s", err, out)
	}
	run := func(b *testing.B, argv ...string) time.Duration {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if out, err := exec.Command(argv[0], argv[1:]...).Output(); err != nil || len(out) == 0 {
				b.Fatalf("%v: %v", argv, err)
			}
		}
		return time.Since(start) / time.Duration(b.N)
	}
	var floor time.Duration
	b.Run("hello", func(b *testing.B) { floor = run(b, hello) })
	for _, t := range tools {
		b.Run(t, func(b *testing.B) {
			d := run(b, filepath.Join(bin, t), "--version")
			if floor > 0 {
				b.ReportMetric(float64(d)/float64(floor), "x-hello")
			}
		})
	}
}
