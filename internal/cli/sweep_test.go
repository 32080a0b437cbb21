package cli

import (
	"errors"
	"os"
	"testing"
)

func TestSweep(t *testing.T) {
	uid := uint32(os.Geteuid())
	other := uid + 1
	var removed []string
	rm := func(name string, err error) func() error {
		return func() error {
			if err == nil {
				removed = append(removed, name)
			}
			return err
		}
	}
	objs := []Stale{
		{What: "a", Owners: []uint32{uid}, Remove: rm("a", nil)},
		{What: "b", Owners: []uint32{other}, Remove: rm("b", nil)},
		{What: "c", Owners: []uint32{other, uid}, Remove: rm("c", errors.New("busy"))},
		{What: "d", Owners: []uint32{uid}, Remove: rm("d", Failf("/x/d", "ask root", "permission denied"))},
	}
	out, errOut := tempFile(t), tempFile(t)
	env := &Env{Tool: "t", Stdout: out.f, Stderr: errOut.f}
	err := env.Sweep("things", false, objs)
	if err == nil || err.Error() != "some stale things could not be removed" {
		t.Errorf("Sweep error = %v; want the one-line summary", err)
	}
	wantOut := "removed a\n"
	wantErr := "t: c: busy\nt: /x/d: permission denied; ask root\n"
	if uid == 0 { // root removes what others own too
		wantOut = "removed a\nremoved b\n"
	}
	if out.String() != wantOut || errOut.String() != wantErr {
		t.Errorf("Sweep printed %q and %q; want %q and %q", out.String(), errOut.String(), wantOut, wantErr)
	}

	out = tempFile(t)
	env.Stdout = out.f
	removed = nil
	if err := env.Sweep("things", true, objs[:1]); err != nil || out.String() != "would remove a\n" || removed != nil {
		t.Errorf("dry run: %v, %q, removed %v; want only 'would remove a'", err, out.String(), removed)
	}
}

type tmp struct {
	t *testing.T
	f *os.File
}

func tempFile(t *testing.T) tmp {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return tmp{t, f}
}

func (x tmp) String() string {
	b, err := os.ReadFile(x.f.Name())
	if err != nil {
		x.t.Fatal(err)
	}
	return string(b)
}
