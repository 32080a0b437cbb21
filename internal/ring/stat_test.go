package ring

import "testing"

func TestState(t *testing.T) {
	tests := []struct {
		h    Header
		want string
	}{
		{Header{}, "idle"},
		{Header{ReaderPID: 7}, "waiting for a writer"},
		{Header{WriterPID: 7}, "waiting for a reader"},
		{Header{WriterPID: 7, ReaderPID: 8}, "streaming"},
		{Header{Flags: FlagEOF}, "ended; waiting for a reader to drain it"},
		{Header{Flags: FlagEOF, ReaderPID: 8}, "ended; the reader is draining it"},
		{Header{Flags: FlagWriterAbort}, "writer stopped early; waiting for a reader to drain it"},
		{Header{Flags: FlagEOF | FlagDone}, "finished"},
		{Header{Flags: FlagEOF | FlagDone, WriterPID: 7}, "waiting for a reader"},
		{Header{Flags: FlagReaderClosed, WriterPID: 7}, "closed by its reader"},
	}
	for _, tt := range tests {
		if got := State(tt.h); got != tt.want {
			t.Errorf("State(%+v) = %q; want %q", tt.h, got, tt.want)
		}
	}
}
