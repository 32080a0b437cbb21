// Package framing splits a byte stream into records and joins records back
// into a stream, with the names the tools share on the command line: lines
// (the default), -0 NUL-terminated records, --whole (all input is one
// record) and -b N fixed-size blocks.
package framing

import (
	"bytes"
	"fmt"
	"io"
)

// Kind is how records are delimited.
type Kind int

const (
	Lines Kind = iota // records end with '\n', which is not part of them
	Null              // records end with a NUL byte
	Whole             // the whole stream is one record
	Block             // records are Size bytes; the last may be shorter
)

// Mode is a framing: a kind and, for Block, the record size.
type Mode struct {
	Kind Kind
	Size int
}

// Name names the framing as the user chose it.
func (m Mode) Name() string {
	switch m.Kind {
	case Null:
		return "record"
	case Whole:
		return "input"
	case Block:
		return "block"
	}
	return "line"
}

// Terminator is what follows each record on output: a newline for lines,
// a NUL for -0, nothing for whole and block records (raw bytes).
func (m Mode) Terminator() []byte {
	switch m.Kind {
	case Lines:
		return []byte{'\n'}
	case Null:
		return []byte{0}
	}
	return nil
}

// TooLongError reports a record longer than the reader's limit. Nothing of
// it was returned; records before it were.
type TooLongError struct {
	Record  int   // 1-based number of the record
	Size    int64 // its length, or at least this when AtLeast
	AtLeast bool
	Max     int
}

func (e *TooLongError) Error() string {
	more := ""
	if e.AtLeast {
		more = "at least "
	}
	return fmt.Sprintf("record %d is %s%d bytes, over the %d-byte limit", e.Record, more, e.Size, e.Max)
}

// readSize is how much the reader asks for at a time.
const readSize = 1 << 20

// Reader splits a stream into records, reading it in large blocks.
type Reader struct {
	r          io.Reader
	mode       Mode
	max        int // longest record allowed, or -1
	buf        []byte
	start, end int
	eof        bool
	done       bool // Whole: the record was returned
	n          int  // records returned
	readBytes  func(int)
}

// NewReader returns a reader of m-framed records from r. Records longer
// than max bytes (max >= 0) end the reading with a *TooLongError; onRead,
// if not nil, is told how many bytes each read brought in.
func NewReader(r io.Reader, m Mode, max int, onRead func(int)) *Reader {
	if m.Kind == Block && m.Size <= 0 {
		m.Size = 1
	}
	size := readSize
	if m.Kind == Block && m.Size > size {
		size = m.Size
	}
	return &Reader{r: r, mode: m, max: max, buf: make([]byte, size), readBytes: onRead}
}

// Count is how many records Next has returned.
func (r *Reader) Count() int { return r.n }

// Next returns the next record, valid until the next call, or io.EOF after
// the last one.
func (r *Reader) Next() ([]byte, error) {
	for {
		data := r.buf[r.start:r.end]
		switch r.mode.Kind {
		case Lines, Null:
			delim := byte('\n')
			if r.mode.Kind == Null {
				delim = 0
			}
			if i := bytes.IndexByte(data, delim); i >= 0 {
				if err := r.check(i, false); err != nil {
					return nil, err
				}
				r.start += i + 1
				r.n++
				return data[:i], nil
			}
			if r.eof {
				return r.last(data)
			}
		case Block:
			if len(data) >= r.mode.Size {
				if err := r.check(r.mode.Size, false); err != nil {
					return nil, err
				}
				r.start += r.mode.Size
				r.n++
				return data[:r.mode.Size], nil
			}
			if r.eof {
				return r.last(data)
			}
		case Whole:
			if r.eof {
				if r.done {
					return nil, io.EOF
				}
				if err := r.check(len(data), false); err != nil {
					return nil, err
				}
				r.done = true
				r.start = r.end
				r.n++
				return data, nil
			}
		}
		// No complete record yet: what is here must still fit.
		if err := r.check(len(data), true); err != nil {
			return nil, err
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// last returns the unterminated tail of the stream as its last record.
func (r *Reader) last(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, io.EOF
	}
	if err := r.check(len(data), false); err != nil {
		return nil, err
	}
	r.start = r.end
	r.n++
	return data, nil
}

func (r *Reader) check(size int, partial bool) error {
	if r.max < 0 || size <= r.max {
		return nil
	}
	return &TooLongError{Record: r.n + 1, Size: int64(size), AtLeast: partial, Max: r.max}
}

// fill reads more of the stream, making room first.
func (r *Reader) fill() error {
	if r.end == len(r.buf) {
		if r.start > 0 {
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		} else {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
	}
	n, err := r.r.Read(r.buf[r.end:])
	r.end += n
	if n > 0 && r.readBytes != nil {
		r.readBytes(n)
	}
	switch {
	case err == io.EOF:
		r.eof = true
	case err != nil:
		return err
	}
	return nil
}

// Writer joins records into a stream: each record and its terminator are
// gathered in a large buffer that goes out in one write when full or when
// Flush is called (before the caller blocks for more).
type Writer struct {
	w    io.Writer
	term []byte
	buf  []byte
}

// flushAt is the buffered size at which Write flushes by itself.
const flushAt = 256 << 10

// NewWriter returns a writer of m-framed records to w.
func NewWriter(w io.Writer, m Mode) *Writer {
	return &Writer{w: w, term: m.Terminator(), buf: make([]byte, 0, flushAt+64<<10)}
}

// Write adds one record and its terminator.
func (w *Writer) Write(rec []byte) error {
	w.buf = append(w.buf, rec...)
	w.buf = append(w.buf, w.term...)
	if len(w.buf) >= flushAt {
		return w.Flush()
	}
	return nil
}

// WriteRaw adds bytes with no terminator (a JSON line, say).
func (w *Writer) WriteRaw(b []byte) error {
	w.buf = append(w.buf, b...)
	if len(w.buf) >= flushAt {
		return w.Flush()
	}
	return nil
}

// Buffered is how many bytes wait for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}
