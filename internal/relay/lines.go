package relay

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipcats/ipcats/internal/dump"
	"github.com/ipcats/ipcats/internal/meter"
)

// LineError refuses a line longer than PIPE_BUF: written whole it would no
// longer be atomic, so concurrent writers could interleave with it.
type LineError struct {
	Line  int64 // 1-based number of the refused line
	Len   int   // its length so far, newline included (at least PipeBuf+1)
	Lines int64 // lines written before it
	Bytes int64 // bytes written before it
}

func (e *LineError) Error() string {
	were := "were"
	if e.Lines == 1 {
		were = "was"
	}
	return fmt.Sprintf("line %d is longer than PIPE_BUF (%d bytes), so it could not be written atomically; the %s (%d bytes) before it %s written",
		e.Line, PipeBuf, meter.Count(e.Lines, "line"), e.Bytes, were)
}

// lineBufSize is how much input WriteLines reads at a time.
const lineBufSize = 64 << 10

// WriteLines copies src to dst line by line so that each line reaches dst
// in a single write(2) and never straddles two: whole lines are gathered
// into writes of at most PipeBuf bytes, which a pipe keeps atomic. A last
// line without a newline is written as it is. A line longer than PipeBuf
// stops the copy with a *LineError before any of it is written. It returns
// the number of lines written; errors from dst are *WriteError, from src
// *ReadError.
func WriteLines(ctx context.Context, dst, src int, m *meter.Meter) (lines int64, err error) {
	return writeLines(ctx, dst, src, m, nil)
}

// writeLines is WriteLines telling tee (if any) each write (TeeLines).
func writeLines(ctx context.Context, dst, src int, m *meter.Meter, tee Tee) (lines int64, err error) {
	buf := make([]byte, lineBufSize)
	room := NewWaiter(ctx) // for a full dst
	defer room.Close()
	fill := 0   // bytes in buf
	var n int64 // bytes written
	flush := func(b []byte, count int64) error {
		if len(b) == 0 {
			return nil
		}
		if err := writeAtomic(ctx, room, dst, b); err != nil {
			return err
		}
		tee.record(dump.Sent, nil, b)
		lines += count
		n += int64(len(b))
		if m != nil {
			m.Add(len(b))
		}
		return nil
	}
	input := NewWaiter(ctx)
	defer input.Close()
	for {
		if err := input.Wait(src, unix.POLLIN); err != nil {
			return lines, err
		}
		r, err := unix.Read(src, buf[fill:])
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return lines, &ReadError{err}
		case r == 0: // end of input: the rest is a last line without newline
			if fill > PipeBuf {
				return lines, &LineError{Line: lines + 1, Len: fill, Lines: lines, Bytes: n}
			}
			return lines, flush(buf[:fill], boolInt(fill > 0))
		}
		fill += r
		// Gather whole lines into batches of at most PipeBuf bytes.
		start, batch := 0, 0 // start of the current line, of the batch
		var inBatch int64
		for {
			i := bytes.IndexByte(buf[start:fill], '\n')
			if i < 0 {
				break
			}
			end := start + i + 1
			if end-start > PipeBuf {
				if err := flush(buf[batch:start], inBatch); err != nil {
					return lines, err
				}
				return lines, &LineError{Line: lines + 1, Len: end - start, Lines: lines, Bytes: n}
			}
			if end-batch > PipeBuf {
				if err := flush(buf[batch:start], inBatch); err != nil {
					return lines, err
				}
				batch, inBatch = start, 0
			}
			inBatch++
			start = end
		}
		if err := flush(buf[batch:start], inBatch); err != nil {
			return lines, err
		}
		fill = copy(buf, buf[start:fill])
		if fill > PipeBuf { // no newline within PIPE_BUF bytes
			return lines, &LineError{Line: lines + 1, Len: fill, Lines: lines, Bytes: n}
		}
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// writeAtomic writes b (at most PipeBuf bytes) with one successful
// write(2), waiting with room when dst is full.
func writeAtomic(ctx context.Context, room *Waiter, dst int, b []byte) error {
	for {
		w, err := unix.Write(dst, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := room.Wait(dst, unix.POLLOUT); err != nil {
				return err
			}
			continue
		case err != nil:
			return &WriteError{err}
		case w != len(b):
			// Only a non-pipe destination can take part of a write.
			if err := WriteAll(ctx, dst, b[w:]); err != nil {
				return &WriteError{err}
			}
		}
		return nil
	}
}
