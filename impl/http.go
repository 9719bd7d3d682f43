package impl

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/mcpverify/mcpverify/wire"
)

// Streamable HTTP (basic/transports/streamable-http.mdx).
//
// Every request goes through these steps, in this order; the first that
// fails answers:
//
//  1. the path is the MCP endpoint, /mcp (else 404);
//  2. the Host header names this server (else 403): a hardening against DNS
//     rebinding beyond the spec's Origin rule (origin.go);
//  3. an Origin header, when present, is the server's own or configured
//     (else 403 with a JSON-RPC error without id; origin.go), and then
//     echoed in Access-Control-Allow-Origin, never a wildcard;
//  4. POST (OPTIONS answers CORS preflight; anything else is 405);
//  5. with Config.Tokens or Config.Issuer, the request carries a bearer
//     token that names a principal (else 401 with WWW-Authenticate: Bearer,
//     at once: the body is not read, so the error has no id, and the
//     connection closes; auth.go, issuer.go);
//  6. Content-Type is application/json (else 415);
//  7. the body is read within the limits (limits.go): its size (413), the
//     time to receive it (408), its nesting (-32600) and member count
//     (-32602) as it arrives, and its weight among the bodies in flight
//     (429 over the principal's share, 503 over the server's);
//  8. the body is JSON (else -32700) and a JSON-RPC message (else -32600,
//     with the id when it can be read); a response is refused (clients send
//     none);
//  9. the mirrored standard headers (headers.go): MCP-Protocol-Version and
//     Mcp-Method are present, once, and Mcp-Method equals the body's
//     method; no two Mcp-Param-* names differ only by '-' and '_' (else
//     400 with -32020). This holds for notifications too: every POST
//     carries the standard headers (Server Validation); a notification
//     that passes, and whose MCP-Protocol-Version names a version this
//     server serves and matches its _meta's when it has one, is accepted
//     with 202 and no body; one that does not gets the HTTP error status
//     and JSON-RPC error (without id) a request would get;
//  10. the core's envelope checks (core.go), with this transport's copies
//     checked in between: MCP-Protocol-Version against the body's _meta
//     (-32020), Mcp-Name against params.name or params.uri, and each
//     Mcp-Param-* of the called tool's x-mcp-header parameters against the
//     arguments (headers.go); the body's weight is then given back;
//  11. the method runs, as the request's principal. Its answer is
//     application/json, unless it sends a notification first (progress or
//     log messages, which it only does for a request that asked with a
//     progressToken or a logLevel, and the listen stream): then the
//     response is an SSE stream that carries the notifications, ends with
//     the response and has X-Accel-Buffering: no.
//
// Closing the connection cancels the request: its context ends, the method
// stops, and nothing more is written. Mcp-Session-Id and Last-Event-ID are
// ignored; no session is ever minted.
//
// In issuer mode, once the request is read, a tools/call whose token lacks
// a scope the tool needs gets 403 with error="insufficient_scope" and the
// request's id (resource.go). Protected Resource Metadata is served at its
// well-known paths to GET, after the Host and Origin checks and without
// credentials.

// Endpoint is the path of the MCP endpoint served by Handler.
const Endpoint = "/mcp"

var (
	hdrJSON = []string{"application/json"}
	hdrSSE  = []string{"text/event-stream"}
)

// Handler returns the Streamable HTTP handler of the MCP endpoint, /mcp.
// Serve it with HTTPServer and Listener (limits.go) for the limits on
// connections and headers that net/http enforces before the handler runs.
func (s *Server) Handler() http.Handler {
	h := &httpHandler{s: s, origins: map[string]bool{}}
	for _, o := range s.cfg.AllowedOrigins {
		if n, ok := normalizeOrigin(o); ok {
			h.origins[n] = true
		}
	}
	if s.cfg.AllowedHosts != nil {
		for _, a := range s.cfg.AllowedHosts {
			host, port := splitHost(a)
			h.hosts = append(h.hosts, hostRule{host: strings.ToLower(host), port: port})
		}
	}
	return h
}

type httpHandler struct {
	s       *Server
	origins map[string]bool // the configured origins, normalised
	hosts   []hostRule      // nil: loopback names
}

type hostRule struct {
	host string
	port string // "" matches any port
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	sk := &httpSink{w: w, ctx: r.Context()}
	defer func() {
		if p := recover(); p != nil {
			s.panicked(p)
			if !sk.started && !sk.wrote {
				writeJSON(w, http.StatusInternalServerError, encodeError(wire.RequestID{}, errInternal("the server failed on this request")))
			}
		}
	}()
	prm := s.prm[r.URL.Path]
	if r.URL.Path != Endpoint && prm == nil {
		abandonBody(w, r)
		http.NotFound(w, r)
		return
	}
	if !h.hostAllowed(r.Host) {
		abandonBody(w, r)
		writeJSON(w, http.StatusForbidden, encodeError(wire.RequestID{}, &rpcError{code: wire.CodeInvalidRequest, msg: fmt.Sprintf("Invalid Request: Host %q is not served here", r.Host)}))
		return
	}
	if vals := r.Header["Origin"]; len(vals) > 0 {
		if len(vals) > 1 || !h.originAllowed(vals[0], r) {
			abandonBody(w, r)
			writeJSON(w, http.StatusForbidden, encodeError(wire.RequestID{}, &rpcError{code: wire.CodeInvalidRequest, msg: "Invalid Request: Origin not allowed"}))
			return
		}
		hdr := w.Header()
		hdr["Access-Control-Allow-Origin"] = []string{vals[0]}
		hdr["Vary"] = []string{"Origin"}
	}
	if prm != nil {
		s.servePRM(w, r, prm)
		return
	}
	switch r.Method {
	case http.MethodPost:
	case http.MethodOptions:
		abandonBody(w, r)
		h.preflight(w, r)
		return
	default:
		// streamable-http.mdx: GET (the removed stream) and DELETE (the
		// removed session end) are 405.
		abandonBody(w, r)
		w.Header()["Allow"] = []string{"POST, OPTIONS"}
		http.Error(w, "method not allowed: POST JSON-RPC messages to this endpoint", http.StatusMethodNotAllowed)
		return
	}
	var g grant
	if s.auth != nil {
		var why authFailure
		if g, why = s.auth.authenticate(r.Context(), r.Header); why != authOK {
			// Nothing of the body is read for a caller without credentials.
			abandonBody(w, r)
			s.auth.unauthorized(w, why)
			return
		}
	}
	principal := g.principal
	if ct := r.Header["Content-Type"]; len(ct) != 1 || !isJSONMediaType(ct[0]) {
		abandonBody(w, r)
		writeJSON(w, http.StatusUnsupportedMediaType, encodeError(wire.RequestID{}, errInvalidRequest("Content-Type must be application/json")))
		return
	}

	b, rerr := s.readBody(w, r, principal)
	defer b.release()
	if rerr == nil {
		rerr = s.awaitSlot(r.Context(), b)
	}
	if rerr != nil {
		if !b.complete {
			abandonBody(w, r)
		}
		if rerr.status == http.StatusServiceUnavailable || rerr.status == http.StatusTooManyRequests {
			w.Header()["Retry-After"] = []string{"1"}
		}
		writeJSON(w, rerr.httpStatus(), encodeError(wire.RequestID{}, rerr))
		return
	}
	msg, rerr, id := s.readMessage(b.buf, &b.shape)
	if rerr != nil {
		writeJSON(w, rerr.httpStatus(), encodeError(id, rerr))
		return
	}
	var req *wire.JSONRPCRequest
	switch m := msg.(type) {
	case *wire.JSONRPCRequest:
		req = m
	case *wire.JSONRPCNotification:
		// streamable-http.mdx: an accepted notification is 202 with no body;
		// one that cannot be accepted gets an HTTP error status. This
		// revision defines no client notification over HTTP (cancellation
		// is closing the stream), so there is nothing more to do.
		if err := checkNotification(r.Header, m); err != nil {
			writeJSON(w, err.httpStatus(), encodeError(wire.RequestID{}, err))
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		writeJSON(w, http.StatusBadRequest, encodeError(wire.RequestID{}, errInvalidRequest("clients send requests and notifications, not responses")))
		return
	}

	if err := forMethod(req.Method, checkStandardHeaders(r.Header, req.Method)); err != nil {
		writeJSON(w, err.httpStatus(), encodeError(req.ID, err))
		return
	}
	x, rerr := s.prepare(r.Context(), req, httpChecks{h: r.Header, s: s})
	if rerr != nil {
		writeJSON(w, rerr.httpStatus(), encodeError(req.ID, rerr))
		return
	}
	if need := requiredScopes(x); s.auth != nil && g.missingScopes(need) {
		s.auth.forbidden(w, req.ID, need)
		return
	}
	// The body and the raw params are decoded: let them go, for a listen
	// stream keeps this frame for as long as it lives.
	b.release()
	b.buf, req.Params = nil, nil
	x.principal = principal
	if acceptsSSE(r.Header) {
		x.out = sk
	}
	x.closing = s.closed
	res, rerr := x.serve()
	if rerr == errGone {
		return
	}
	sk.final(responseFor(req.ID, res, rerr), statusOf(rerr))
}

func statusOf(e *rpcError) int {
	if e == nil {
		return http.StatusOK
	}
	return e.httpStatus()
}

// preflight answers a CORS preflight. The Origin was already checked; the
// answer names it exactly (never "*") and lists the headers asked for only
// when every one of them is a header this endpoint reads.
func (h *httpHandler) preflight(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr["Allow"] = []string{"POST, OPTIONS"}
	if len(r.Header["Origin"]) == 0 || r.Header.Get("Access-Control-Request-Method") != http.MethodPost {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	hdr["Access-Control-Allow-Methods"] = []string{"POST"}
	hdr.Add("Vary", "Access-Control-Request-Method")
	hdr.Add("Vary", "Access-Control-Request-Headers")
	hdr["Access-Control-Max-Age"] = []string{"600"}
	if asked := r.Header.Values("Access-Control-Request-Headers"); len(asked) > 0 {
		var names []string
		ok := true
		for _, line := range asked {
			for _, n := range strings.Split(line, ",") {
				n = strings.ToLower(strings.TrimSpace(n))
				if n == "" {
					continue
				}
				if !corsHeaderAllowed(n) {
					ok = false
				}
				names = append(names, n)
			}
		}
		if ok && len(names) > 0 {
			hdr["Access-Control-Allow-Headers"] = []string{strings.Join(names, ", ")}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func corsHeaderAllowed(n string) bool {
	switch n {
	case "content-type", "accept", "authorization", "mcp-protocol-version", "mcp-method", "mcp-name":
		return true
	}
	return strings.HasPrefix(n, "mcp-param-") && wire.IsToken(n)
}

func isJSONMediaType(v string) bool {
	if v == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/json"
}

// acceptsSSE reports whether the client accepts an event stream. Clients
// must list both types; one that lists only application/json gets JSON and
// no notifications.
func acceptsSSE(h http.Header) bool {
	vals := h["Accept"]
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if strings.Contains(v, "text/event-stream") || strings.Contains(v, "*/*") || strings.Contains(v, "text/*") {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	hdr := w.Header()
	hdr["Content-Type"] = hdrJSON
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// httpSink writes the answer to one HTTP request: JSON, or an SSE stream
// started by the first notification.
type httpSink struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	ctx     context.Context
	started bool // SSE headers written
	wrote   bool // a JSON answer written
	dead    bool // cancelled or broken: write nothing more
}

func (k *httpSink) send(msg []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.event(msg)
}

// event writes one SSE event; k.mu is held.
func (k *httpSink) event(msg []byte) error {
	if k.dead || k.ctx.Err() != nil {
		k.dead = true
		return errCancelled
	}
	if !k.started {
		hdr := k.w.Header()
		hdr["Content-Type"] = hdrSSE
		hdr["Cache-Control"] = []string{"no-cache, no-store"}
		hdr["X-Accel-Buffering"] = []string{"no"}
		k.w.WriteHeader(http.StatusOK)
		k.started = true
	}
	b := make([]byte, 0, len(msg)+8)
	b = append(b, "data: "...)
	b = append(b, msg...)
	b = append(b, "\n\n"...)
	if _, err := k.w.Write(b); err != nil {
		k.dead = true
		return err
	}
	if err := http.NewResponseController(k.w).Flush(); err != nil {
		k.dead = true
		return err
	}
	return nil
}

func (k *httpSink) keepAlive() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead || k.ctx.Err() != nil || !k.started {
		k.dead = true
		return errCancelled
	}
	if _, err := io.WriteString(k.w, ":\n\n"); err != nil {
		k.dead = true
		return err
	}
	return http.NewResponseController(k.w).Flush()
}

// final writes the response: the last event of a stream, or the JSON body.
func (k *httpSink) final(msg []byte, status int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.started {
		k.event(msg)
		k.dead = true
		return
	}
	if k.dead || k.ctx.Err() != nil {
		return
	}
	k.wrote = true
	writeJSON(k.w, status, msg)
}
