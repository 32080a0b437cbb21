package fifo

import "golang.org/x/sys/unix"

// sysOpen is open(2)'s number, for a thread blocked in it; arm64 and the
// newer architectures have openat(2) only.
const sysOpen = unix.SYS_OPEN
