package mapwrite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/mapfile"
)

func TestWriteCreatesAndRefuses(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p := filepath.Join(dir, "new")
	if err := Write(ctx, &Options{Mode: 0o640}, p, input(t, []byte("hello")), m()); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "hello" {
		t.Errorf("new file holds %q, %v", b, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("new file mode %v; want 0640", fi.Mode().Perm())
	}
	var oe *OpenError
	if err := Write(ctx, &Options{Excl: true}, p, input(t, []byte("x")), m()); !errors.As(err, &oe) || !errors.Is(err, mapfile.ErrExist) {
		t.Errorf("-x on an existing file = %v; want an OpenError of ErrExist", err)
	}
	if err := Write(ctx, &Options{InPlace: true}, filepath.Join(dir, "absent"), input(t, []byte("x")), m()); err == nil || !strings.Contains(err.Error(), "--in-place writes into an existing file only") {
		t.Errorf("--in-place on an absent file = %v", err)
	}
	if err := Write(ctx, &Options{}, filepath.Join(dir, "no", "f"), input(t, []byte("x")), m()); err == nil || !strings.Contains(err.Error(), "no such directory") {
		t.Errorf("a file in a missing directory = %v", err)
	}
	// A link to an existing file: refused unless followed.
	link := filepath.Join(dir, "link")
	os.Symlink(p, link)
	if err := Write(ctx, &Options{}, link, input(t, []byte("x")), m()); !errors.Is(err, mapfile.ErrSymlink) {
		t.Errorf("write through a link = %v; want ErrSymlink", err)
	}
	if err := Write(ctx, &Options{FollowSymlinks: true}, link, input(t, []byte("via")), m()); err != nil {
		t.Errorf("--follow-symlinks = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "via" {
		t.Errorf("target holds %q after --follow-symlinks; want via", b)
	}
	// A link to nothing: never created through, even when followed.
	dang := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nothing"), dang)
	for _, follow := range []bool{false, true} {
		if err := Write(ctx, &Options{FollowSymlinks: follow}, dang, input(t, []byte("x")), m()); err == nil || !strings.Contains(err.Error(), "a symbolic link to a missing file") {
			t.Errorf("follow %v: write through a dangling link = %v", follow, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); err == nil {
		t.Error("a file was created through a dangling link")
	}
	// Standard input is the file itself.
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(ctx, &Options{}, p, int(f.Fd()), m()); err == nil || !strings.Contains(err.Error(), "standard input is this same file") {
		t.Errorf("input is output = %v", err)
	}
}

func TestPlaceIntoTheirs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	f, err := mapfile.CreateUnnamed(p, 0o600)
	if err != nil {
		t.Skipf("no O_TMPFILE here: %v", err)
	}
	defer f.Close()
	o := &Options{Mode: 0o600}
	n, err := Transfer(context.Background(), o, f, input(t, []byte("ours")), -1, m())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("their old bytes"), 0o600); err != nil { // appeared meanwhile
		t.Fatal(err)
	}
	if err := place(context.Background(), o, f, n); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "ours" {
		t.Errorf("their file holds %q; want our data in it", b)
	}
	o.Excl = true
	g, err := mapfile.CreateUnnamed(p, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := place(context.Background(), o, g, 0); !errors.Is(err, mapfile.ErrExist) {
		t.Errorf("-x placing over a file that appeared = %v; want ErrExist", err)
	}
}

func TestOpenRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r")
	missing := errors.New("missing")
	if _, err := OpenRead(&Options{}, p, false, func() error { return missing }); err != missing {
		t.Errorf("OpenRead of an absent file = %v; want missing's error", err)
	}
	f, err := OpenRead(&Options{Offset: 10, Length: 20, LengthSet: true, Mode: 0o600}, p, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if size, _ := f.Size(); size != 30 {
		t.Errorf("-r -c -o 10 -L 20 made %d bytes; want 30", size)
	}
	dang := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nothing"), dang)
	if _, err := OpenRead(&Options{}, dang, true, nil); err == nil || !strings.Contains(err.Error(), "a symbolic link to a missing file") {
		t.Errorf("-r -c through a dangling link = %v", err)
	}
}
