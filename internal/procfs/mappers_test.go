package procfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A file this process maps shared is found, with this process as a mapper.
func TestSharedFileMappings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mapped")
	if err := os.WriteFile(p, make([]byte, 3*4096), 0o600); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(p, unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tests := []struct {
		prot     int
		flags    int
		found    bool
		writable bool
	}{
		{unix.PROT_READ | unix.PROT_WRITE, unix.MAP_SHARED, true, true},
		{unix.PROT_READ, unix.MAP_SHARED, true, false},
		{unix.PROT_READ, unix.MAP_PRIVATE, false, false},
	}
	id := FileID{Dev: st.Dev, Ino: st.Ino}
	for _, tt := range tests {
		m, err := unix.Mmap(fd, 0, 2*4096, tt.prot, tt.flags)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := SharedFileMappings(func(f FileID) bool { return f == id })
		unix.Munmap(m)
		var me *Mapper
		for _, f := range files {
			for i, mp := range f.Mappers {
				if mp.PID == os.Getpid() && f.Path == p {
					me = &f.Mappers[i]
				}
			}
		}
		if (me != nil) != tt.found {
			t.Errorf("SharedFileMappings with prot %d flags %d: found = %v; want %v", tt.prot, tt.flags, me != nil, tt.found)
			continue
		}
		if me != nil && (me.Writable != tt.writable || me.Bytes != 2*4096 || me.Regions != 1) {
			t.Errorf("SharedFileMappings with prot %d: %+v; want writable %v, 8192 bytes, 1 region", tt.prot, *me, tt.writable)
		}
	}
}
