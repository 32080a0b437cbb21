package scripttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildTool builds cmd/TOOL without the race detector into a temporary
// directory and returns the binary's path, for benchmarks that time the
// real program side by side with its peer.
func BuildTool(b testing.TB, tool string) string {
	b.Helper()
	out := filepath.Join(b.TempDir(), tool)
	cmd := exec.Command("go", "build", "-o", out, "./cmd/"+tool)
	cmd.Dir = Top(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as `make build`: static
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", tool, err, msg)
	}
	return out
}
