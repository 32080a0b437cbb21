package ring

import (
	"fmt"

	"github.com/ipcats/ipcats/internal/fault"
	"github.com/ipcats/ipcats/internal/ipcname"
	"github.com/ipcats/ipcats/internal/procfs"
	"github.com/ipcats/ipcats/internal/report"
	"github.com/ipcats/ipcats/internal/shm"
)

// StatFields returns what --stat adds for a ring, or nil when the segment
// is not one. The segment is attached read-only for the look; one too
// small to hold a ring is not touched.
func StatFields(name ipcname.Name, size int64) report.Record {
	if size < Size(MinCapacity) {
		return nil
	}
	seg, err := shm.Open(name, false)
	if err != nil {
		return nil
	}
	defer seg.Close()
	var h Header
	if fault.Guard(func() error { h, err = Validate(seg.Mem); return err }) != nil {
		return nil
	}
	rec := report.Record{
		{Name: "ring", Value: true},
		{Name: "ring_capacity", Value: h.Capacity},
		{Name: "ring_fill", Value: h.Fill(), Text: fmt.Sprintf("%d (%d%%)", h.Fill(), h.Fill()*100/h.Capacity)},
		{Name: "ring_state", Value: State(h)},
		{Name: "ring_written", Value: h.Head},
		{Name: "ring_read", Value: h.Tail},
	}
	rec = append(rec, peerField("ring_writer", h.WriterPID), peerField("ring_reader", h.ReaderPID))
	return rec
}

// State names what a ring is doing, for --stat.
func State(h Header) string {
	f := h.Flags
	switch {
	case f&FlagReaderClosed != 0:
		return "closed by its reader"
	case f&FlagDone != 0 && h.WriterPID == 0:
		return "finished"
	case f&FlagDone == 0 && f&(FlagEOF|FlagWriterAbort) != 0:
		s := "ended"
		if f&FlagEOF == 0 {
			s = "writer stopped early"
		}
		if h.ReaderPID == 0 {
			return s + "; waiting for a reader to drain it"
		}
		return s + "; the reader is draining it"
	case h.WriterPID != 0 && h.ReaderPID != 0:
		return "streaming"
	case h.WriterPID != 0:
		return "waiting for a reader"
	case h.ReaderPID != 0:
		return "waiting for a writer"
	}
	return "idle"
}

// peerField shows a side's pid and command, or none.
func peerField(name string, pid int32) report.Field {
	switch {
	case pid == 0:
		return report.Field{Name: name, Value: nil, Text: "none"}
	case !Alive(pid):
		return report.Field{Name: name, Value: pid, Text: fmt.Sprintf("%d (dead)", pid)}
	}
	return report.Field{Name: name, Value: pid, Text: fmt.Sprintf("%d (%s)", pid, procfs.Comm(int(pid)))}
}
