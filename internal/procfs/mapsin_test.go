package procfs

import "testing"

// TestParseMappingSmallInode: the path of a mapping whose inode's digits
// also appear earlier in the line (inode 2 of a container's fresh tmpfs,
// on device 00:27) is the path, not the text after that first "2".
func TestParseMappingSmallInode(t *testing.T) {
	for _, tt := range []struct{ line, path string }{
		{"7fb098535000-7fb098536000 rw-s 00000000 00:27 2                          /tmp/box/data", "/tmp/box/data"},
		{"7f0000002000-7f0000003000 rw-s 00002000 00:27 2 /tmp/box/a b (deleted)", "/tmp/box/a b (deleted)"},
		{"7f0000000000-7f0000001000 rw-s 00000000 00:27 27", ""},
	} {
		m, ok := parseMapping(1, tt.line)
		if !ok || m.Path != tt.path || m.Ino == 0 {
			t.Errorf("parseMapping(%q) = %+v, %v; want path %q", tt.line, m, ok, tt.path)
		}
	}
}
