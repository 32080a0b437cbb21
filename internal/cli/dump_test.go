package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcats/ipcats/internal/dump"
)

func TestDumpRecorder(t *testing.T) {
	var stderr bytes.Buffer
	env := &Env{Tool: "t", Stderr: &stderr}
	if r, _, err := (&Dump{}).Recorder(env); r != nil || err != nil {
		t.Fatalf("no options: Recorder = %v, %v; want nil, nil", r, err)
	}
	r, closeDump, err := (&Dump{Hexdump: true}).Recorder(env)
	if err != nil {
		t.Fatal(err)
	}
	r.Record(0, dump.Sent, "", []byte("hi"))
	closeDump()
	if !strings.Contains(stderr.String(), "> 2 bytes\n00000000  68 69 ") {
		t.Errorf("-x wrote %q; want a hex record on stderr", stderr.String())
	}

	file := filepath.Join(t.TempDir(), "d")
	os.WriteFile(file, []byte("old content that goes\n"), 0o644)
	r, closeDump, err = (&DumpLong{DumpTo: DumpTo{File: file, Format: "text"}}).Recorder(env)
	if err != nil {
		t.Fatal(err)
	}
	r.Record(0, dump.Received, "", []byte("hi\n"))
	if err := closeDump(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	if !strings.HasSuffix(string(got), " < 3 bytes\nhi\n") || strings.Contains(string(got), "old") {
		t.Errorf("--dump FILE --dump-format text wrote %q; want one text record", got)
	}

	_, _, err = (&Dump{DumpTo: DumpTo{File: filepath.Join(file, "x")}}).Recorder(env)
	if code, msg := Status(t.Context(), err); code != ExitFailure || !strings.HasPrefix(msg, "--dump "+file+"/x: open ") {
		t.Errorf("--dump in a non-directory: %d %q; want 1 and the file named", code, msg)
	}
}
