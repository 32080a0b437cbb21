package report

import (
	"encoding/json"
	"testing"
)

func TestOwner(t *testing.T) {
	b, err := json.Marshal(Owner(0o100640, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"mode":"0640","owner":"root","group":"root","uid":0,"gid":0}`; string(b) != want {
		t.Errorf("Owner(0100640, 0, 0) = %s; want %s", b, want)
	}
	r := Owner(0o600, 4000000001, 4000000002)
	if r.Get("owner") != "4000000001" || r.Get("group") != "4000000002" || r.Get("uid") != uint32(4000000001) {
		t.Errorf("Owner of unknown ids = %v; want the numbers as names", r)
	}
}
