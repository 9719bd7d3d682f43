//go:build unix

package impl

import "syscall"

// openNonblock makes opening a FIFO return at once instead of waiting for
// a writer (files.go).
const openNonblock = syscall.O_NONBLOCK
