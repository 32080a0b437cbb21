//go:build !amd64

package fifo

// sysOpen is open(2)'s number; -1 where there is only openat(2).
const sysOpen = -1
