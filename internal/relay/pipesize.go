package relay

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// PipeBuf is PIPE_BUF on Linux: a write of at most this many bytes to a
// pipe is atomic, never interleaved with another writer's.
const PipeBuf = 4096

// MaxPipeSizeFile is where the kernel's limit on F_SETPIPE_SZ for
// unprivileged processes is read and raised (sysctl fs.pipe-max-size).
const MaxPipeSizeFile = "/proc/sys/fs/pipe-max-size"

// SetPipeSize asks for a pipe buffer of n bytes (F_SETPIPE_SZ) and returns
// the capacity the kernel granted (n rounded up to a power-of-two number of
// pages). A refusal is explained with the limit that applies.
func SetPipeSize(fd int, n int64) (int, error) {
	if n <= 0 || n > 1<<31-1 {
		return 0, fmt.Errorf("pipe size %d is out of range (1 byte to 2 GiB)", n)
	}
	got, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, int(n))
	if err == nil {
		return got, nil
	}
	return 0, &PipeSizeError{Size: n, Err: err}
}

// PipeSizeError is a refused F_SETPIPE_SZ, explained.
type PipeSizeError struct {
	Size int64
	Err  error
}

func (e *PipeSizeError) Error() string {
	switch {
	case errors.Is(e.Err, unix.EPERM):
		max := readLimit(MaxPipeSizeFile)
		if max > 0 && e.Size > max {
			return fmt.Sprintf("pipe size %d is over fs.pipe-max-size (%d); raise it in %s or run as root", e.Size, max, MaxPipeSizeFile)
		}
		return fmt.Sprintf("pipe size %d refused: this user's pipes use more than fs.pipe-user-pages-hard allows (/proc/sys/fs/pipe-user-pages-hard)", e.Size)
	case errors.Is(e.Err, unix.EBUSY):
		return fmt.Sprintf("pipe size %d is smaller than the data the pipe holds now", e.Size)
	case errors.Is(e.Err, unix.ENOMEM):
		return fmt.Sprintf("pipe size %d: out of memory", e.Size)
	case errors.Is(e.Err, unix.EINVAL):
		return fmt.Sprintf("pipe size %d is not possible for this pipe (fs.pipe-max-size is %d, %s)", e.Size, readLimit(MaxPipeSizeFile), MaxPipeSizeFile)
	case errors.Is(e.Err, unix.EBADF):
		return "not a pipe"
	}
	return fmt.Sprintf("F_SETPIPE_SZ %d: %v", e.Size, e.Err)
}

func (e *PipeSizeError) Unwrap() error { return e.Err }

func readLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// Grow raises the capacity of the pipe fd to n bytes when it is smaller,
// as far as fs.pipe-max-size and the user's pipe page limits allow; it is
// best effort and never shrinks. Fewer, larger splices mean fewer wakeups
// of the processes at either end.
func Grow(fd int, n int) {
	cur, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil || cur >= n {
		return
	}
	if max := readLimit(MaxPipeSizeFile); max > 0 && int64(n) > max {
		n = int(max)
	}
	if n > cur {
		unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, n)
	}
}
