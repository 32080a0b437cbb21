package cli

import "testing"

type worded struct {
	Common
	Wait
}

func (*worded) Help() map[string]string {
	return map[string]string{"json": "Messages as JSON", "timeout": "Wait at most DURATION"}
}

type misworded struct{ Common }

func (*misworded) Help() map[string]string { return map[string]string{"jsn": "typo"} }

// A tool words a shared option through Help, without redeclaring it; a
// long name it does not have is a programming error caught at start-up.
func TestParserHelp(t *testing.T) {
	p := Parser("t", "", &worded{})
	for long, want := range (&worded{}).Help() {
		if got := p.FindOptionByLongName(long).Description; got != want {
			t.Errorf("--%s: %q, want %q", long, got, want)
		}
	}
	if got := p.FindOptionByLongName("verbose").Description; got != "Print a summary of each transfer on standard error" {
		t.Errorf("--verbose lost its shared wording: %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Help naming an option the tool lacks did not panic")
		}
	}()
	Parser("t", "", &misworded{})
}
