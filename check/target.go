package check

import (
	"context"
	"net"
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
	// Query is a raw query to add to the endpoint's URL (HTTP only).
	Query string
	// Credential records how the checker made the request's credential
	// (an authentication case); an HTTP target copies it into the
	// exchange.
	Credential *wire.Credential
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

// Clone copies r.
func (r *Request) Clone() *Request {
	c := *r
	c.Header = r.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Body = append([]byte(nil), r.Body...)
	return &c
}

// Connections. A target over connections (HTTP) carries a request on the
// connection its context names; other targets ignore it.

type laneKey struct{}

// FreshLane is the lane of OnFreshConnection.
const FreshLane = -1

// OnConnection returns a context under which a target over connections
// carries the request on lane n (n >= 1): each lane keeps at most one
// connection alive, reused from request to request until it closes, so
// that a check can interleave requests on two connections it tells apart
// (the exchange's Conn numbers the connection actually used). Lane 0 is
// the shared pool.
func OnConnection(ctx context.Context, lane int) context.Context {
	if lane < 0 {
		lane = 0
	}
	return context.WithValue(ctx, laneKey{}, lane)
}

// OnFreshConnection returns a context under which a target over
// connections opens a new connection for the request and closes it
// afterwards.
func OnFreshConnection(ctx context.Context) context.Context {
	return context.WithValue(ctx, laneKey{}, FreshLane)
}

// Lane is the lane ctx names: 0 (the shared pool), n >= 1, or FreshLane.
func Lane(ctx context.Context) int {
	lane, _ := ctx.Value(laneKey{}).(int)
	return lane
}

// Reconnector is a target over connections that can drop them: after
// FreshConnections, the next request of every lane opens a new one.
type Reconnector interface {
	FreshConnections()
}

// Dialer is a target over connections that can open a raw one to its
// server, for requests net/http would refuse to write (malformed header
// lines).
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Spawner is a target whose server is a process the checker started
// (--command): it can start another copy of it with the same command.
type Spawner interface {
	// Command is the command line; nil when the server is not a process
	// the checker started (Spawn then fails).
	Command() []string
	// Spawn starts another copy of the server; the caller closes it.
	Spawn() (Process, error)
}

// Process is a server process the checker started and controls.
type Process interface {
	Target
	// CloseInput closes the process's standard input.
	CloseInput()
	// WaitExit waits up to d for the process to exit; true if it did.
	WaitExit(d time.Duration) bool
	// ExitedNow reports whether the process has exited.
	ExitedNow() bool
}

// Relauncher is a target that can start its server again (a stdio
// command): a fresh process, a fresh session.
type Relauncher interface {
	Relaunch() (Target, error)
}

// RootsAnswerer is a target that answers the server's own roots/list
// requests (2025-11-25) with the file:// URIs given, and counts them.
type RootsAnswerer interface {
	AnswerRoots(uris []string)
	RootsAsked() int
}
