// Package region cuts the part of a mapped window that shmcat and mmapcat
// print: a C string (-z), or the content before the trailing NUL padding
// (shmcat's default, mmapcat's --trim).
package region

import "bytes"

// CString returns w up to its first NUL byte, or all of w.
func CString(w []byte) []byte {
	if i := bytes.IndexByte(w, 0); i >= 0 {
		return w[:i]
	}
	return w
}

// TrimNUL returns w without its trailing NUL bytes.
func TrimNUL(w []byte) []byte {
	i := len(w)
	for i > 0 && w[i-1] == 0 {
		i--
	}
	return w[:i]
}
