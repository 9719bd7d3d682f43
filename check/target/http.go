package target

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// HTTP drives a server over Streamable HTTP at one URL.
type HTTP struct {
	url    string
	client *http.Client
	limits Limits
	start  time.Time

	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// stop, if set, stops an in-process server (Close).
	stop func()

	mu    sync.Mutex
	conns map[net.Conn]int
	// firstErr is the first request that got no response (FirstError).
	firstErr firstError
	// lanes are the clients of OnConnection (lane >= 1) and
	// OnFreshConnection (freshLane), made on first use.
	lanes map[int]*http.Client
}

// NewHTTP returns a target for the MCP endpoint at url. It keeps
// connections alive (so that checks can compare answers on one connection
// and on fresh ones), never follows redirects, ignores proxy settings, and
// bounds every response by limits.
func NewHTTP(url string, limits Limits) *HTTP {
	return newHTTP(url, limits, (&net.Dialer{Timeout: 5 * time.Second}).DialContext)
}

func newHTTP(url string, limits Limits, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *HTTP {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		MaxIdleConnsPerHost: 8,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
		// Response headers are bounded too (the default is 10 MiB).
		MaxResponseHeaderBytes: 1 << 20,
	}
	return &HTTP{
		url: url,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		limits: limits.withDefaults(),
		start:  time.Now(),
		conns:  map[net.Conn]int{},
		dial:   dial,
	}
}

// DialContext opens a connection to the server as the target does (for
// checks that write raw requests).
func (t *HTTP) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return t.dial(ctx, network, addr)
}

func (t *HTTP) Transport() wire.Transport { return wire.HTTP }
func (t *HTTP) Describe() string          { return t.url }

// Close closes idle connections.
func (t *HTTP) Close() error {
	t.FreshConnections()
	if t.stop != nil {
		t.stop()
	}
	return nil
}

// FreshConnections closes idle connections (of every lane, see
// OnConnection), so that the next request opens a new one.
func (t *HTTP) FreshConnections() {
	t.client.CloseIdleConnections()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.lanes {
		c.CloseIdleConnections()
	}
}

// clientFor returns the client of the lane ctx names.
func (t *HTTP) clientFor(ctx context.Context) *http.Client {
	lane := check.Lane(ctx)
	if lane == 0 {
		return t.client
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.lanes[lane]; c != nil {
		return c
	}
	base, ok := t.client.Transport.(*http.Transport)
	if !ok {
		return t.client
	}
	tr := base.Clone()
	if lane == check.FreshLane {
		tr.DisableKeepAlives = true
	} else {
		tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 1, 1
	}
	c := &http.Client{Transport: tr, CheckRedirect: t.client.CheckRedirect}
	if t.lanes == nil {
		t.lanes = map[int]*http.Client{}
	}
	t.lanes[lane] = c
	return c
}

func (t *HTTP) connID(c net.Conn) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.conns[c]; ok {
		return id
	}
	id := len(t.conns) + 1
	t.conns[c] = id
	return id
}

var errStop = errors.New("stop reading")

// Send performs one exchange.
func (t *HTTP) Send(ctx context.Context, r *check.Request) *wire.Exchange {
	method := r.HTTPMethod
	if method == "" {
		method = http.MethodPost
	}
	ex := &wire.Exchange{Transport: wire.HTTP, HTTPMethod: method, Header: r.Header.Clone(), Body: r.Body, At: time.Since(t.start), Credential: r.Credential}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = t.limits.Timeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if len(r.Body) > 0 {
		body = bytes.NewReader(r.Body)
	}
	u := t.url
	if r.Query != "" {
		u += "?" + r.Query
		ex.Query = r.Query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.firstErr.note(err)
		ex.Outcome = wire.Dropped
		return ex
	}
	req.Header = http.Header{}
	for k, vs := range r.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			if len(vs) > 0 {
				req.Host = vs[0]
			}
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { ex.Conn = t.connID(info.Conn) },
	}))
	sent := time.Now()
	resp, err := t.clientFor(ctx).Do(req)
	if err != nil {
		ex.Outcome = outcomeOf(ctx, err)
		if ex.Outcome == wire.TimedOut {
			err = timeoutError(parent, timeout)
		}
		t.firstErr.note(err)
		return ex
	}
	defer resp.Body.Close()
	ex.Status, ex.RespHeader = resp.StatusCode, resp.Header
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	limited := &capReader{r: resp.Body, max: t.limits.MaxResponseBytes}
	if n := resp.ContentLength; n > 0 {
		limited.grow(min(n, t.limits.MaxResponseBytes)) // one buffer of the announced size, not a doubling series
	}
	if ct == "text/event-stream" {
		n, end := 0, int64(0)
		stop := r.StopAfter
		err = wire.ParseSSE(limited, wire.MaxSSEEvent, func(ev wire.SSEEvent) error {
			n, end = n+1, ev.End
			if (stop > 0 && n >= stop) || n >= t.limits.MaxMessages {
				return errStop
			}
			return nil
		})
		ex.RespBody = limited.buf
		if errors.Is(err, errStop) {
			// The stream as read up to the last message taken, not the
			// messages read ahead past it.
			ex.RespBody = ex.RespBody[:end]
		}
		switch {
		case errors.Is(err, errStop) && n >= t.limits.MaxMessages:
			ex.Outcome = wire.Truncated
		case errors.Is(err, errStop):
			ex.Outcome, ex.CancelAt = wire.Cancelled, time.Since(sent)
		case err != nil:
			ex.Outcome = readOutcome(ctx, limited, err)
		}
		trimTruncated(ex, true)
		return ex
	}
	_, err = io.Copy(io.Discard, limited)
	ex.RespBody = limited.buf
	if err != nil {
		ex.Outcome = readOutcome(ctx, limited, err)
	}
	trimTruncated(ex, false)
	return ex
}

// retainedTruncated bounds what an exchange keeps of a response that did
// not end (cut off at a limit, timed out or dropped): such a body is
// evidence, not data, and a server that sends gigabytes, or streams for as
// long as it is let, on every request must not make the run hold
// MaxResponseBytes (and its decoded messages) per exchange: checks keep
// their exchanges as evidence.
const retainedTruncated = 256 << 10

// trimTruncated keeps at most retainedTruncated bytes of the body of a
// response that did not end, in a copy (the read buffer may be twice
// MaxResponseBytes); an SSE body is cut after its last complete event
// within that prefix.
//
// A complete body is kept whole when it is JSON (in a copy of its own size:
// the read buffer may be larger); a large complete body that is not JSON
// (a server that answers megabytes of garbage on every request) is kept
// as a prefix like a truncated one: it is evidence of the same defect.
func trimTruncated(ex *wire.Exchange, sse bool) {
	switch ex.Outcome {
	case wire.Truncated, wire.TimedOut, wire.Dropped:
	case wire.Complete:
		if len(ex.RespBody) <= retainedTruncated || sse || wire.ValidJSONLax(ex.RespBody) {
			if cap(ex.RespBody)-len(ex.RespBody) > retainedTruncated {
				ex.RespBody = bytes.Clone(ex.RespBody)
			}
			return
		}
	default:
		return
	}
	if len(ex.RespBody) <= retainedTruncated {
		return
	}
	b := ex.RespBody[:retainedTruncated]
	if sse {
		end := 0
		for _, sep := range []string{"\n\n", "\r\r", "\r\n\r\n"} {
			if i := bytes.LastIndex(b, []byte(sep)); i >= 0 && i+len(sep) > end {
				end = i + len(sep)
			}
		}
		if end > 0 {
			b = b[:end]
		}
	}
	ex.RespBody = bytes.Clone(b)
}

// capReader copies what it reads into buf, up to max bytes, and then fails.
type capReader struct {
	r    io.Reader
	max  int64
	buf  []byte
	over bool
}

var errTooLarge = errors.New("response over the size limit")

// grow makes room for n bytes in all: the buffer doubles, but never past
// the limit (a body cut at the limit costs the limit, not twice it).
func (c *capReader) grow(n int64) {
	if n <= int64(cap(c.buf)) {
		return
	}
	n = min(max(n, 2*int64(cap(c.buf)), 4096), c.max)
	b := make([]byte, len(c.buf), n)
	copy(b, c.buf)
	c.buf = b
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(c.buf)) >= c.max {
		c.over = true
		return 0, errTooLarge
	}
	if rem := c.max - int64(len(c.buf)); int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.grow(int64(len(c.buf) + n))
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

func outcomeOf(ctx context.Context, err error) wire.Outcome {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return wire.TimedOut
	}
	return wire.Dropped
}

func readOutcome(ctx context.Context, c *capReader, err error) wire.Outcome {
	if c.over || errors.Is(err, errTooLarge) || errors.Is(err, wire.ErrSSETooLarge) {
		return wire.Truncated
	}
	return outcomeOf(ctx, err)
}
