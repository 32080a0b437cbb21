package mapfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// sparseFile makes a file of size bytes, a hole but for the data runs.
func sparseFile(t *testing.T, size int64, runs map[int64][]byte) *File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sparse")
	f, _, err := Create(p, 0o600, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for off, b := range runs {
		if _, err := unix.Pwrite(f.fd, b, off); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func blocks(t *testing.T, f *File) int64 {
	t.Helper()
	unix.Fsync(f.fd)
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

// TestZero zeroes ranges of a 64 MiB sparse file with data runs, by
// fallocate (zero), and by overwriting (the fallback): the range reads as
// zeros, the bytes around it stay, and no hole gets blocks.
// (Zero takes FALLOC_FL_ZERO_RANGE or FALLOC_FL_PUNCH_HOLE, whichever the
// file system of the temporary directory has; cmd/mmapcat's sparse.txtar
// covers tmpfs, which punches.)
func TestZero(t *testing.T) {
	mib := int64(1 << 20)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	runs := map[int64][]byte{0: data[:100], 10 * mib: data, 40*mib + 5: data[:3*PageSize]}
	tests := []struct{ off, n int64 }{
		{0, 64 * mib},             // everything
		{50, 64*mib - 50},         // from inside the first page
		{10*mib + 7, mib - 7 - 9}, // inside a run, unaligned at both ends
		{20 * mib, 10 * mib},      // only holes
		{40 * mib, PageSize + 1},  // a run's first pages
		{64*mib - 1, 1},           // the last byte
	}
	for _, how := range []string{"fallocate", "overwrite"} {
		for _, tt := range tests {
			f := sparseFile(t, 64*mib, runs)
			before := blocks(t, f)
			var err error
			if how == "fallocate" {
				err = f.Zero(tt.off, tt.n)
			} else {
				err = f.overwrite(tt.off, tt.n)
			}
			if err != nil {
				t.Fatalf("%s(%d, %d) = %v; want nil", how, tt.off, tt.n, err)
			}
			// A split extent may take a block of metadata; a filled hole
			// would take megabytes.
			if after := blocks(t, f); after > before+64<<10 {
				t.Errorf("%s(%d, %d): %d bytes of blocks, %d before; want no more", how, tt.off, tt.n, after, before)
			}
			for off, b := range runs {
				got := make([]byte, len(b))
				if _, err := unix.Pread(f.fd, got, off); err != nil {
					t.Fatal(err)
				}
				want := append([]byte(nil), b...)
				lo, hi := max(tt.off, off), min(tt.off+tt.n, off+int64(len(b)))
				if lo < hi {
					clear(want[lo-off : hi-off])
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s(%d, %d): the run at %d reads wrong", how, tt.off, tt.n, off)
				}
			}
		}
	}
}

func TestLinkNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		plant func(p string) error
	}{
		{"file", func(p string) error { return os.WriteFile(p, []byte("theirs"), 0o600) }},
		{"symlink", func(p string) error { return os.Symlink("nowhere", p) }},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		f, err := CreateUnnamed(p, 0o600)
		if err != nil {
			t.Skipf("no O_TMPFILE here: %v", err)
		}
		defer f.Close()
		if err := tt.plant(p); err != nil {
			t.Fatal(err)
		}
		if err := f.Link(); !errors.Is(err, ErrExist) {
			t.Errorf("Link over a %s = %v; want ErrExist", tt.name, err)
		}
		if !f.Unnamed() {
			t.Errorf("Link over a %s: file named; want it unnamed", tt.name)
		}
		_, err = OpenNoFollow(p)
		if tt.name == "symlink" && !errors.Is(err, ErrSymlink) || tt.name == "file" && err != nil {
			t.Errorf("OpenNoFollow(%s) = %v", tt.name, err)
		}
	}
}
