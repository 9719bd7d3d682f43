package target

import "time"

// Limits bound what a target reads from a server.
type Limits struct {
	// MaxResponseBytes bounds one response body (HTTP) or line (stdio).
	// Default 8 MiB.
	MaxResponseBytes int64
	// MaxMessages bounds the messages of one response stream. Default 10000.
	MaxMessages int
	// Timeout bounds one exchange. Default 10 s.
	Timeout time.Duration
	// ExitWait is how long closing a stdio server waits for it to exit
	// after its stdin is closed (and again, two thirds of it, after
	// SIGTERM, before SIGKILL). Default 3 s.
	ExitWait time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = 8 << 20
	}
	if l.MaxMessages <= 0 {
		l.MaxMessages = 10000
	}
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Second
	}
	if l.ExitWait <= 0 {
		l.ExitWait = 3 * time.Second
	}
	return l
}
