package check

import (
	"context"
	"net/http"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// Request is one message to send, with its HTTP request line and headers.
type Request struct {
	// HTTPMethod is "POST" unless a check sends GET, DELETE or OPTIONS.
	HTTPMethod string
	// Header holds the HTTP headers exactly as they are to be sent (names
	// are not canonicalized; a "Host" entry sets the Host header).
	Header http.Header
	// Body is the POST body or the stdio line (without its newline).
	Body []byte
	// Notification: no response is expected (stdio waits for none).
	Notification bool
	// StopAfter ends reading the response after this many messages have
	// arrived, closing the stream (a cancellation on HTTP); 0 means read to
	// the end. Used for long-lived streams (subscriptions/listen).
	StopAfter int
	// Timeout bounds the exchange; 0 means the target's default.
	Timeout time.Duration
}

// Target is a server under test. Send never returns nil and never panics
// on anything the server does: a server that does not answer, answers
// slowly, or sends too much gets an exchange whose Outcome says so.
type Target interface {
	Send(ctx context.Context, r *Request) *wire.Exchange
	Transport() wire.Transport
	// Describe names the target in reports ("http://127.0.0.1:8080/mcp").
	Describe() string
	Close() error
}

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
