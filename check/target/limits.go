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
	return l
}
