package impl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// stdio (basic/transports/stdio.mdx).
//
//   - Messages are lines. A line over MaxBodyBytes is skipped up to its
//     newline and answered with an id-less -32600; the server keeps reading.
//   - Requests run concurrently; every message is written with one Write of
//     one line under a lock, so lines never interleave, and nothing but
//     JSON-RPC messages reaches out (diagnostics go to Config.Logger).
//   - notifications/cancelled cancels the referenced request: its context
//     ends and, from that moment, nothing more is written for it (the check
//     and the write happen under the same lock).
//   - At the end of input the server stops reading, ends its subscriptions
//     gracefully, lets the requests in flight finish (for at most
//     stdioGrace), and returns nil. When ctx ends it does the same and
//     returns ctx.Err().

// stdioGrace bounds how long ServeStdio waits for requests in flight once
// its input has ended.
const stdioGrace = 5 * time.Second

// maxStdioInFlight bounds the requests served at once; reading pauses
// beyond it.
const maxStdioInFlight = 256

// ServeStdio serves newline-delimited JSON-RPC from in to out until in ends
// or ctx is done.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	c := &stdioConn{s: s, out: out, inflight: map[string]*stdioReq{}, closing: make(chan struct{})}
	reqCtx, cancelAll := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAll()

	lines := make(chan stdioLine)
	stopRead := make(chan struct{})
	go c.readLines(in, lines, stopRead)
	defer close(stopRead)

	sem := make(chan struct{}, maxStdioInFlight)
	var readErr error
loop:
	for {
		select {
		case <-ctx.Done():
			readErr = ctx.Err()
			break loop
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			if l.err != nil {
				readErr = l.err
				break loop
			}
			if l.tooLong {
				c.write(nil, encodeError(wire.RequestID{}, errInvalidRequest(fmt.Sprintf("the line exceeds the limit of %d bytes", s.cfg.MaxBodyBytes))))
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				readErr = ctx.Err()
				break loop
			}
			c.handle(reqCtx, l.data, sem)
		}
	}

	// Shut down: end subscriptions gracefully, give the rest time to finish.
	close(c.closing)
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	t := time.NewTimer(stdioGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancelAll()
		<-done
	}
	if c.writeErr != nil {
		return c.writeErr
	}
	return readErr
}

type stdioLine struct {
	data    []byte
	tooLong bool
	err     error
}

// readLines reads lines of at most MaxBodyBytes and sends them on lines;
// it closes lines at EOF.
func (c *stdioConn) readLines(in io.Reader, lines chan<- stdioLine, stop <-chan struct{}) {
	defer close(lines)
	lr := wire.NewLineReader(in, c.s.cfg.MaxBodyBytes)
	for {
		line, tooLong, err := lr.Next()
		if tooLong || len(bytes.TrimSpace(line)) > 0 {
			select {
			case lines <- stdioLine{data: line, tooLong: tooLong}:
			case <-stop:
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				select {
				case lines <- stdioLine{err: err}:
				case <-stop:
				}
			}
			return
		}
	}
}

// stdioConn is one stdio session's output and requests in flight.
type stdioConn struct {
	s        *Server
	mu       sync.Mutex // guards out, inflight, writeErr
	out      io.Writer
	inflight map[string]*stdioReq
	writeErr error
	wg       sync.WaitGroup
	closing  chan struct{}
}

// stdioReq is a request in flight.
type stdioReq struct {
	id        wire.RequestID
	cancel    context.CancelFunc
	cancelled bool // by notifications/cancelled: write nothing more
	finished  bool
}

// write writes one message as one line. For a request's messages, nothing
// is written once the request was cancelled or answered.
func (c *stdioConn) write(r *stdioReq, msg []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r != nil && (r.cancelled || r.finished) {
		return errCancelled
	}
	if c.writeErr != nil {
		return c.writeErr
	}
	line := make([]byte, 0, len(msg)+1)
	line = append(line, msg...)
	line = append(line, '\n')
	if _, err := c.out.Write(line); err != nil {
		c.writeErr = err
		return err
	}
	return nil
}

// finish writes a request's response and retires it.
func (c *stdioConn) finish(r *stdioReq, msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg != nil && !r.cancelled && !r.finished && c.writeErr == nil {
		line := make([]byte, 0, len(msg)+1)
		line = append(line, msg...)
		line = append(line, '\n')
		if _, err := c.out.Write(line); err != nil {
			c.writeErr = err
		}
	}
	r.finished = true
	if c.inflight[r.id.Key()] == r {
		delete(c.inflight, r.id.Key())
	}
}

// handle serves one line: requests on their own goroutine, notifications
// inline.
func (c *stdioConn) handle(ctx context.Context, line []byte, sem chan struct{}) {
	release := func() { <-sem }
	msg, rerr, id := c.s.readMessage(line, nil)
	if rerr != nil {
		release()
		c.write(nil, encodeError(id, rerr))
		return
	}
	switch m := msg.(type) {
	case *wire.JSONRPCNotification:
		release()
		if m.Method == "notifications/cancelled" {
			c.cancel(m.Params)
		}
		return
	case *wire.JSONRPCRequest:
		reqCtx, cancel := context.WithCancel(ctx)
		r := &stdioReq{id: m.ID, cancel: cancel}
		c.mu.Lock()
		if _, dup := c.inflight[m.ID.Key()]; dup {
			c.mu.Unlock()
			cancel()
			release()
			c.write(nil, encodeError(m.ID, errInvalidRequest("request id "+m.ID.String()+" is already in flight")))
			return
		}
		c.inflight[m.ID.Key()] = r
		c.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer release()
			defer cancel()
			defer func() {
				if p := recover(); p != nil {
					c.s.panicked(p)
					c.finish(r, encodeError(m.ID, errInternal("the server failed on this request")))
				}
			}()
			c.serve(reqCtx, r, m)
		}()
	default:
		// A response from the client: clients send none in this revision,
		// and a response cannot be answered. Note it and go on.
		release()
		c.s.log.Warn("stdio: ignoring a response message from the client")
	}
}

func (c *stdioConn) serve(ctx context.Context, r *stdioReq, req *wire.JSONRPCRequest) {
	x, rerr := c.s.prepare(ctx, req, noChecks{})
	if rerr != nil {
		c.finish(r, encodeError(req.ID, rerr))
		return
	}
	x.principal = c.s.cfg.StdioPrincipal
	x.out = &stdioSink{c: c, r: r}
	x.closing = c.closing
	res, rerr := x.serve()
	if rerr == errGone {
		c.finish(r, nil) // retire without writing
		return
	}
	c.finish(r, responseFor(req.ID, res, rerr))
}

// cancel applies notifications/cancelled. Malformed or unknown references
// are ignored (cancellation.mdx).
func (c *stdioConn) cancel(params wire.Value) {
	var p struct {
		RequestID *wire.RequestID `json:"requestId"`
	}
	if len(params) == 0 || wire.Unmarshal(params, &p) != nil || p.RequestID == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.inflight[p.RequestID.Key()]; r != nil {
		r.cancelled = true
		r.cancel()
		delete(c.inflight, p.RequestID.Key())
	}
}

// stdioSink sends a request's notifications.
type stdioSink struct {
	c *stdioConn
	r *stdioReq
}

func (k *stdioSink) send(msg []byte) error { return k.c.write(k.r, msg) }
