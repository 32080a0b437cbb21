package sock

import (
	"encoding/json"
	"os"
	"testing"
)

func TestHolders(t *testing.T) {
	me := os.Geteuid()
	for _, tc := range []struct {
		uid      int
		hidden   bool
		wantText string
	}{
		{me, false, "none"},
		{me, true, "none"},
		{me + 1, false, "none"},
		{me + 1, true, "not visible"},
		{-1, true, "not visible"},
	} {
		f := holders(nil, tc.uid, tc.hidden)
		if f.Text != tc.wantText {
			t.Errorf("holders(nil, %d, %v).Text = %q; want %q", tc.uid, tc.hidden, f.Text, tc.wantText)
		}
		b, err := json.Marshal(f.Value)
		if err != nil || string(b) != "[]" {
			t.Errorf("holders(nil, %d, %v).Value as JSON = %s, %v; want []", tc.uid, tc.hidden, b, err)
		}
	}
}
