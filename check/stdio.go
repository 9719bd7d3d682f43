package check

import (
	"context"
	"errors"
	"io"

	"github.com/mcpverify/mcpverify/wire"
)

// StdioTarget drives a server over stdio: newline-delimited JSON-RPC on
// the process's stdin and stdout.
//
// (Stub: the stdio target is being written; constructors return an error.)
type StdioTarget struct{}

var errStdioUnimplemented = errors.New("stdio target: not implemented yet")

// NewStdioTarget starts argv as a subprocess and drives it over its
// standard streams; the server's stderr is captured (bounded) for the
// report and copied to stderr if non-nil.
func NewStdioTarget(argv []string, limits Limits, stderr io.Writer) (*StdioTarget, error) {
	return nil, errStdioUnimplemented
}

// NewStdioConnTarget drives a server already connected to the given
// streams (an in-process server, in tests).
func NewStdioConnTarget(name string, stdin io.WriteCloser, stdout io.Reader, limits Limits) *StdioTarget {
	return &StdioTarget{}
}

func (t *StdioTarget) Send(ctx context.Context, r *Request) *wire.Exchange {
	return &wire.Exchange{Transport: wire.Stdio, Body: r.Body, Outcome: wire.Dropped}
}
func (t *StdioTarget) Transport() wire.Transport { return wire.Stdio }
func (t *StdioTarget) Describe() string          { return "stdio" }
func (t *StdioTarget) Close() error              { return nil }

// Stderr returns what the server wrote to stderr (bounded).
func (t *StdioTarget) Stderr() string { return "" }
