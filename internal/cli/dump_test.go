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
	r, closeDump, err = (&DumpLong{DumpTo: DumpTo{File: file, Format: DumpFormat("text")}}).Recorder(env)
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

// TestDumpFull: a --dump FILE that cannot be written says so at the end.
func TestDumpFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	env := &Env{Tool: "t", Stderr: &bytes.Buffer{}}
	r, closeDump, err := (&Dump{DumpTo: DumpTo{File: "/dev/full"}}).Recorder(env)
	if err != nil {
		t.Fatal(err)
	}
	r.Record(0, dump.Sent, "", []byte("hi"))
	r.Record(0, dump.Sent, "", []byte("again"))
	if _, msg := Status(t.Context(), closeDump()); msg != "--dump /dev/full: write /dev/full: no space left on device; the record is incomplete" {
		t.Errorf("--dump /dev/full: %q", msg)
	}
}
