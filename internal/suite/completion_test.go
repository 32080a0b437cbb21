package suite

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/sysvipc"
)

// The completion scripts of bash, zsh and fish each ask the tool for its
// candidates: a live queue's key by its prefix, and short options after
// a lone dash. A shell that is not installed is skipped.
func TestCompletion(t *testing.T) {
	key := 0x1c000000 | uint32(os.Getpid()&0xffff)<<4 | 0xd
	id, err := sysvipc.MsgGet(key, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sysvipc.MsgRemove(id) })
	k := fmt.Sprintf("0x%08x", key)
	prefix := k[:8]
	shells := []struct {
		shell, script string
		argv          func(words ...string) []string
	}{
		{"bash", "ipcats.bash", func(w ...string) []string {
			return []string{"bash", "-c", fmt.Sprintf(`source ../../completion/ipcats.bash; COMP_WORDS=(%s); COMP_CWORD=%d; _ipcats_complete; printf "%%s\n" "${COMPREPLY[@]}"`, strings.Join(w, " "), len(w)-1)}
		}},
		{"zsh", "ipcats.zsh", func(w ...string) []string {
			return []string{"zsh", "-c", fmt.Sprintf(`compadd() { shift 2; print -l -- "$@"; }; _files() { print FILES; }; words=(%s); CURRENT=%d; source ../../completion/ipcats.zsh`, strings.Join(w, " "), len(w))}
		}},
		{"fish", "ipcats.fish", func(w ...string) []string {
			return []string{"fish", "-c", fmt.Sprintf(`source ../../completion/ipcats.fish; complete -C "%s"`, strings.Join(w, " "))}
		}},
	}
	for _, sh := range shells {
		t.Run(sh.shell, func(t *testing.T) {
			if _, err := exec.LookPath(sh.shell); err != nil {
				t.Skip(sh.shell, "is not installed")
			}
			run := func(words ...string) string {
				cmd := exec.Command(sh.argv(words...)[0], sh.argv(words...)[1:]...)
				cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("%v: %v", words, err)
				}
				return string(out)
			}
			if got := run("mqcat", "-r", prefix); !strings.Contains(got, k+"\n") {
				t.Errorf("mqcat -r %s<TAB>: %q; want %s", prefix, got, k)
			}
			// (fish sorts the candidates its own way.)
			if got := "\n" + run("shmcat", "-"); !strings.Contains(got, "\n-L\n") || !strings.Contains(got, "\n-a\n") || !strings.Contains(got, "\n--follow\n") {
				t.Errorf("shmcat -<TAB>: %q; want the short options and the long ones", got)
			}
		})
	}
}
