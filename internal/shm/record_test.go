package shm

import (
	"testing"
	"time"

	"github.com/ipcats/ipcats/internal/ipcname"
)

func TestRecordAndRef(t *testing.T) {
	for _, n := range names(t) {
		s, err := Create(n, 4096, 0o640)
		if err != nil {
			t.Fatalf("Create(%v) = %v", n, err)
		}
		s.Close()
		i, err := StatName(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(i.LastUse()) != 3 {
			t.Errorf("LastUse(%v) = %v; want three times", n, i.LastUse())
		}
		rec := i.Record(90 * time.Second)
		fields := map[string]any{}
		var names []string
		for _, f := range rec {
			fields[f.Name] = f.Value
			names = append(names, f.Name)
		}
		if fields["size"] != int64(4096) || fields["mode"] != "0640" {
			t.Errorf("Record(%v) size/mode = %v/%v", n, fields["size"], fields["mode"])
		}
		if k := len(names); names[k-1] != "stale" || names[k-2] != "idle" || names[0] != "type" {
			t.Errorf("Record(%v) fields = %v; want type first, idle then stale last", n, names)
		}
		ref, what := i.Ref()
		if n.Kind == ipcname.POSIX && (ref != n || what != n.Path) {
			t.Errorf("Ref(%v) = %v, %q", n, ref, what)
		}
		if n.Kind == ipcname.Key && (ref.Kind != ipcname.ID || ref.ID != i.ID) {
			t.Errorf("Ref(%v) = %v, %q; want its id %d", n, ref, what, i.ID)
		}
		if err := Remove(ref); err != nil {
			t.Errorf("Remove(Ref(%v)) = %v", n, err)
		}
	}
}
