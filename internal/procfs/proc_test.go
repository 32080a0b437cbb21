package procfs

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMapping(t *testing.T) {
	tests := []struct {
		line string
		want Mapping
		ok   bool
	}{
		{"7f1c2a000000-7f1c2a001000 rw-s 00000000 00:01 32769                      /SYSV00001e61 (deleted)",
			Mapping{PID: 7, Start: 0x7f1c2a000000, End: 0x7f1c2a001000, Perms: "rw-s", Major: 0, Minor: 1, Ino: 32769, Path: "/SYSV00001e61 (deleted)"}, true},
		{"00400000-00452000 r-xp 00001000 08:02 173521      /usr/bin/my prog",
			Mapping{PID: 7, Start: 0x400000, End: 0x452000, Perms: "r-xp", Offset: 0x1000, Major: 8, Minor: 2, Ino: 173521, Path: "/usr/bin/my prog"}, true},
		{"7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ", Mapping{PID: 7, Start: 0x7ffd1000, End: 0x7ffd2000, Perms: "rw-p"}, true},
		{"garbage", Mapping{}, false},
	}
	for _, tt := range tests {
		got, ok := parseMapping(7, tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseMapping(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// TestOwnFDsAndMaps finds this process's own open file and shared mapping.
func TestOwnFDsAndMaps(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "held")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Truncate(4096)
	mem, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	var st unix.Stat_t
	unix.Fstat(int(f.Fd()), &st)
	var fd, mapped bool
	FDs(func(link string) bool { return link == f.Name() }, func(x FD) {
		if x.PID == os.Getpid() && x.Ino == st.Ino && x.Reads() && x.Writes() {
			fd = true
		}
	})
	Maps(func(line string) bool { return true }, func(m Mapping) {
		if m.PID == os.Getpid() && m.Ino == st.Ino && m.Dev() == st.Dev && m.Shared() {
			mapped = true
		}
	})
	if !fd || !mapped {
		t.Errorf("found own fd %v, own shared mapping %v; want both", fd, mapped)
	}
	if !Alive(os.Getpid()) || Alive(0) || Comm(os.Getpid()) == "?" {
		t.Errorf("Alive/Comm disagree about this process")
	}
}

// A walk that cannot list /proc says so, rather than reporting that no
// process holds anything (which --stale would take as "orphaned").
func TestWalkWithoutProc(t *testing.T) {
	old := Root
	Root = t.TempDir() + "/missing"
	defer func() { Root = old }()
	if sc := FDs(func(string) bool { return true }, func(FD) {}); sc.Err == nil {
		t.Errorf("FDs with no /proc: Scan.Err = nil; want an error")
	}
	if sc := Maps(func(string) bool { return true }, func(Mapping) {}); sc.Err == nil {
		t.Errorf("Maps with no /proc: Scan.Err = nil; want an error")
	}
}
