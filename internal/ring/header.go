// Package ring is a single-producer single-consumer byte ring in shared
// memory, the stream behind shmcat --stream. The segment starts with a
// 4096-byte header (magic, version, capacity, state flags, the pids of the
// two sides, the free-running head and tail counters each on its own cache
// lines, and a futex word beside each), followed by the data area, a power
// of two bytes long. The writer reads its input straight into the free
// space and the reader writes its output straight from the filled space;
// a side with nothing to do sleeps on a futex word after a short spin.
//
// The layout is documented in man/shmcat.1 so that other programs can
// join a ring; Validate checks every field before a byte is trusted.
package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout of the header, in native byte order. Offsets are bytes from the
// start of the segment.
const (
	offMagic    = 0   // u64 Magic, stored last by the creator
	offVersion  = 8   // u32 Version
	offDataOff  = 12  // u32 where the data area starts: HeaderSize
	offCapacity = 16  // u64 data area size, a power of two
	offFlags    = 64  // u32 state flags (Flag*)
	offWriter   = 68  // i32 pid of the writer, 0 when none
	offReader   = 72  // i32 pid of the reader, 0 when none
	offHead     = 128 // u64 bytes ever written (writer stores)
	offDataWait = 136 // u32 futex: 1 while the reader sleeps for data
	offTail     = 256 // u64 bytes ever read (reader stores)
	offRoomWait = 264 // u32 futex: 1 while the writer sleeps for room
)

const (
	// Magic is the first eight bytes of a ring, "IPCATSRG" on a
	// little-endian machine.
	Magic uint64 = 0x4752535441435049
	// Version is the layout version this package reads and writes.
	Version = 1
	// HeaderSize is the size of the header; the data area follows it.
	HeaderSize = 4096
	// MinCapacity and MaxCapacity bound the data area.
	MinCapacity = 4096
	MaxCapacity = 1 << 40
	// DefaultCapacity is the data area of a ring created without -s.
	DefaultCapacity = 4 << 20
	// maxPID is the kernel's PID_MAX_LIMIT.
	maxPID = 4 << 20
)

// State flags, in the u32 at offset 64.
const (
	FlagEOF          = 1 << 0 // the writer wrote its last byte
	FlagWriterAbort  = 1 << 1 // the writer stopped before the end of its input
	FlagReaderClosed = 1 << 2 // the reader left before the end of the stream
	FlagDone         = 1 << 3 // the reader consumed the end (EOF or abort)
	FlagRemove       = 1 << 4 // a side asked --rm: the last to leave removes
	FlagRemoved      = 1 << 5 // a side has claimed the removal
	flagsKnown       = 1<<6 - 1
)

// Header is a decoded, validated copy of a ring header.
type Header struct {
	Version   uint32
	Capacity  uint64
	Flags     uint32
	WriterPID int32
	ReaderPID int32
	Head      uint64
	Tail      uint64
}

// Fill is how many bytes wait in the ring.
func (h Header) Fill() uint64 { return h.Head - h.Tail }

// Size is the segment size a ring of capacity bytes needs.
func Size(capacity int64) int64 { return HeaderSize + capacity }

// ErrNotRing says the segment does not start with the ring's magic.
var ErrNotRing = errors.New("not a shmcat --stream ring")

// ErrUninitialised says the segment's header is all zeros: just created,
// not yet initialised by its creator (or its creator died first).
var ErrUninitialised = errors.New("ring header not initialised")

// CorruptError says a field of the header is out of bounds.
type CorruptError struct{ What string }

func (e *CorruptError) Error() string { return "corrupt ring header: " + e.What }

func corrupt(format string, args ...any) error {
	return &CorruptError{What: fmt.Sprintf(format, args...)}
}

// ValidCapacity reports whether n bytes can be a ring's data area.
func ValidCapacity(n int64) bool {
	return n >= MinCapacity && n <= MaxCapacity && n&(n-1) == 0
}

// Validate decodes the header at the start of seg, a whole segment, and
// checks every field against the segment: magic, version, data offset,
// capacity (a power of two that fits in seg), flags, pids, and that the
// head is no more than capacity bytes ahead of the tail. Nothing else in
// the header or the data area is read.
func Validate(seg []byte) (Header, error) {
	ne := binary.NativeEndian
	if len(seg) < 8 {
		return Header{}, fmt.Errorf("%w: segment of %d bytes is too small for a header", ErrNotRing, len(seg))
	}
	switch ne.Uint64(seg[offMagic:]) {
	case Magic:
	case 0:
		return Header{}, ErrUninitialised
	default:
		return Header{}, ErrNotRing
	}
	if len(seg) < HeaderSize {
		return Header{}, corrupt("segment of %d bytes is smaller than the %d-byte header", len(seg), HeaderSize)
	}
	h := Header{
		Version:   ne.Uint32(seg[offVersion:]),
		Capacity:  ne.Uint64(seg[offCapacity:]),
		Flags:     ne.Uint32(seg[offFlags:]),
		WriterPID: int32(ne.Uint32(seg[offWriter:])),
		ReaderPID: int32(ne.Uint32(seg[offReader:])),
		Head:      ne.Uint64(seg[offHead:]),
		Tail:      ne.Uint64(seg[offTail:]),
	}
	if h.Version != Version {
		return Header{}, fmt.Errorf("ring layout version %d; this shmcat reads version %d", h.Version, Version)
	}
	if d := ne.Uint32(seg[offDataOff:]); d != HeaderSize {
		return Header{}, corrupt("data offset %d, want %d", d, HeaderSize)
	}
	if c := h.Capacity; c > MaxCapacity || !ValidCapacity(int64(c)) {
		return Header{}, corrupt("capacity %d is not a power of two from %d to %d", c, MinCapacity, uint64(MaxCapacity))
	}
	if room := uint64(len(seg) - HeaderSize); h.Capacity > room {
		return Header{}, corrupt("capacity %d runs past the end of the %d-byte segment", h.Capacity, len(seg))
	}
	if h.Flags&^flagsKnown != 0 {
		return Header{}, corrupt("unknown state flags %#x", h.Flags&^flagsKnown)
	}
	if h.WriterPID < 0 || h.WriterPID > maxPID || h.ReaderPID < 0 || h.ReaderPID > maxPID {
		return Header{}, corrupt("peer pids %d and %d out of range", h.WriterPID, h.ReaderPID)
	}
	if h.Fill() > h.Capacity {
		return Header{}, corrupt("head %d is more than the capacity ahead of tail %d", h.Head, h.Tail)
	}
	return h, nil
}

// initHeader writes a fresh header for a data area of capacity bytes into
// seg, which the caller has just created (all zeros). The magic is not
// written: Init stores it last, atomically, to publish the ring.
func initHeader(seg []byte, capacity uint64) {
	ne := binary.NativeEndian
	ne.PutUint32(seg[offVersion:], Version)
	ne.PutUint32(seg[offDataOff:], HeaderSize)
	ne.PutUint64(seg[offCapacity:], capacity)
}

// State names the flags for people.
func (h Header) State() string {
	f := h.Flags
	switch {
	case f&FlagReaderClosed != 0:
		return "reader closed"
	case f&FlagDone != 0:
		return "finished"
	case f&FlagEOF != 0:
		return "ended, draining"
	case f&FlagWriterAbort != 0:
		return "writer stopped, draining"
	case h.WriterPID != 0 || h.ReaderPID != 0:
		return "streaming"
	}
	return "idle"
}
