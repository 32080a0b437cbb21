package shm

import (
	"strings"
	"testing"
	"time"
)

// The fields of each kind of record, in order: both families and the
// unlinked files share size, owner and mode; an unlinked file whose stat
// could not be read has its size alone.
func TestRecordFields(t *testing.T) {
	file := "size mode owner group uid gid nattch accessed modified changed holders idle stale"
	for _, tt := range []struct {
		i    Info
		want string
	}{
		{Info{POSIX: true, Name: "/a", ID: -1, Mode: 0o600}, "type name path " + file},
		{Info{Unlinked: "deleted", Name: "/a", ID: -1, Mode: 0o600}, "type name path " + file},
		{Info{Unlinked: "memfd", Name: "memfd:a", ID: -1, Mode: 0o600}, "type name " + file},
		{Info{Unlinked: "deleted", Name: "/a", ID: -1, Mode: noMode}, "type name path size nattch accessed modified changed holders idle stale"},
		{Info{Key: 7, ID: 3, Mode: 0o600}, "type key id size mode owner group uid gid creator creator_group cuid cgid cpid lpid nattch attached detached changed destroy holders idle stale"},
	} {
		rec := tt.i.Record(time.Second)
		var names []string
		for _, f := range rec {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("Record of %+v:\n got %s\nwant %s", tt.i, got, tt.want)
		}
		if typ := rec.Get("type"); tt.i.Unlinked != "" && typ != tt.i.Unlinked || tt.i.POSIX && typ != "posix" {
			t.Errorf("Record of %+v: type %v", tt.i, typ)
		}
	}
}
