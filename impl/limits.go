package impl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/mcpverify/mcpverify/wire"
)

// Limits: what a caller can make the server hold.
//
// Nothing is read or held for a caller before its credentials are checked
// (http.go authenticates on the headers, before the body). After that,
// every quantity a request can make the server hold is bounded for one
// request, for one principal and for the server:
//
//   - connections: Listener caps them (Config.MaxConns, with
//     golang.org/x/net/netutil); the request line and headers are bounded
//     in size (MaxHeaderBytes) and time (HeaderTimeout), as is the idle
//     time between requests;
//   - a body: its size (MaxBodyBytes: 413, before reading when it is
//     declared), the time to receive it (BodyTimeout: 408, with a read
//     deadline on the connection that is lifted once the body is in, so
//     that a long response such as a listen stream is not cut), and its
//     nesting and member count, counted as it arrives (MaxDepth,
//     MaxMembers: the read stops at the first byte over);
//   - bodies in flight: the bytes being read and decoded at once, weighed
//     by size and member count (MaxBodyBytesInFlight; per principal, a
//     quarter of it): the quota bodies. A request over it is refused at
//     once rather than queued, so a flood of large bodies cannot stall
//     small requests behind it in a queue;
//   - listen streams: per principal, for the server, and their URIs per
//     listen (subscriptions.go): the quota listens.
//
// HTTPServer sets no ReadTimeout or WriteTimeout: net/http's ReadTimeout
// covers the whole request and, once it passes, its background read fails
// and cancels the request's context, which would end every listen stream
// after that long; the body deadline does the same work per request.

// memberCost is the weight of one object member or array element of a
// body in the quota of bodies in flight: about what decoding one costs in
// memory, so that a body dense in members weighs what it will cost, not
// its bytes.
const memberCost = 128

// idleTimeout is how long an idle keep-alive connection keeps its place
// among Config.MaxConns.
const idleTimeout = 30 * time.Second

// setLimits fills in the defaults of the limits and checks them.
func (cfg *Config) setLimits() error {
	if cfg.MaxMembers < 0 || cfg.MaxConns < 0 || cfg.MaxHeaderBytes < 0 || cfg.HeaderTimeout < 0 || cfg.BodyTimeout < 0 ||
		cfg.MaxBodyBytesInFlight < 0 || cfg.MaxListens < 0 || cfg.MaxListensPerPrincipal < 0 || cfg.MaxListenURIs < 0 {
		return errors.New("impl: negative limit in Config")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.MaxMembers, DefaultMaxMembers)
	def(&cfg.MaxConns, DefaultMaxConns)
	def(&cfg.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&cfg.MaxListens, DefaultMaxListens)
	def(&cfg.MaxListensPerPrincipal, min(DefaultMaxListensPerPrincipal, max(cfg.MaxListens-1, 1)))
	def(&cfg.MaxListenURIs, DefaultMaxListenURIs)
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.MaxBodyBytesInFlight == 0 {
		cfg.MaxBodyBytesInFlight = max(DefaultMaxBodyBytesInFlight, cfg.MaxBodyBytes)
	}
	if cfg.MaxBodyBytesInFlight < cfg.MaxBodyBytes {
		return fmt.Errorf("impl: Config.MaxBodyBytesInFlight (%d) is less than MaxBodyBytes (%d): no body of the largest size could be read", cfg.MaxBodyBytesInFlight, cfg.MaxBodyBytes)
	}
	if cfg.MaxListens > 1 && cfg.MaxListensPerPrincipal >= cfg.MaxListens {
		return fmt.Errorf("impl: Config.MaxListensPerPrincipal (%d) must be less than MaxListens (%d), so that no one principal holds every listen stream", cfg.MaxListensPerPrincipal, cfg.MaxListens)
	}
	return nil
}

// quotas builds the quotas of a configuration whose limits are set. The
// per-principal shares apply when the server tells principals apart
// (Tokens or Issuer); without, every caller is the anonymous principal, and only the
// server's limit applies.
func (cfg *Config) quotas() (bodies, listens *quota) {
	bodyShare, listenShare := cfg.MaxBodyBytesInFlight, int64(cfg.MaxListens)
	if cfg.Tokens != nil || cfg.Issuer != "" {
		bodyShare = max(cfg.MaxBodyBytesInFlight/4, cfg.MaxBodyBytes)
		listenShare = int64(cfg.MaxListensPerPrincipal)
	}
	bodies = newQuota("bytes of request bodies in flight", "Config.MaxBodyBytesInFlight", cfg.MaxBodyBytesInFlight, bodyShare)
	listens = newQuota("open listen streams", "Config.MaxListens", int64(cfg.MaxListens), listenShare)
	listens.shareLimit = "Config.MaxListensPerPrincipal"
	return bodies, listens
}

// HTTPServer returns an http.Server for Handler with the limits of the
// Config: MaxHeaderBytes, HeaderTimeout for the request line and headers
// and for idle connections (at most 30 s idle). Serve it on Listener(ln),
// which caps the connections. It sets no ReadTimeout or WriteTimeout (see
// limits.go): the handler bounds each body's read itself.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		IdleTimeout:       min(s.cfg.HeaderTimeout, idleTimeout),
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
	}
}

// Listener wraps ln so that at most Config.MaxConns of its connections
// are open at once; Accept waits while they are, and further connections
// wait in the kernel's backlog.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, s.cfg.MaxConns)
}

// quota bounds a quantity held on behalf of callers (bytes of bodies in
// flight, open listen streams): in all, and for each principal. take never
// waits: it takes the amount, or refuses and names the limit it would
// cross.
type quota struct {
	what       string // what is counted, for messages
	limit      string // the Config field of the server's limit
	shareLimit string // the Config field of a principal's share
	total      int64
	share      int64
	mu         sync.Mutex
	used       int64
	by         map[string]int64
}

func newQuota(what, limit string, total, share int64) *quota {
	return &quota{what: what, limit: limit, shareLimit: limit, total: total, share: share, by: map[string]int64{}}
}

// take takes n for principal; the error names the limit n would cross:
// 429 for the principal's share, 503 for the server's.
func (q *quota) take(principal string, n int64) *rpcError {
	q.mu.Lock()
	defer q.mu.Unlock()
	if mine := q.by[principal]; q.share < q.total && mine+n > q.share {
		return errLimit(http.StatusTooManyRequests, "%s would be %d for this principal, over its share of %d (%s)", q.what, mine+n, q.share, q.shareLimit)
	}
	if q.used+n > q.total {
		return errLimit(http.StatusServiceUnavailable, "%s would be %d, over the server's limit of %d (%s)", q.what, q.used+n, q.total, q.limit)
	}
	q.used += n
	q.by[principal] += n
	return nil
}

// give returns n taken for principal.
func (q *quota) give(principal string, n int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.used -= n
	if q.by[principal] -= n; q.by[principal] <= 0 {
		delete(q.by, principal)
	}
}

// held reports what principal holds, and what all hold.
func (q *quota) held(principal string) (mine, all int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.by[principal], q.used
}

// body is a request body read within the limits, holding its weight in
// the quota of bodies in flight until release, and for a heavy body one of
// the server's decoding slots.
type body struct {
	buf      []byte
	shape    wire.Shape
	q        *quota
	who      string
	weight   int64
	complete bool          // read to its end (else the connection must close)
	slot     chan struct{} // the decoding slot held, or nil
}

// release gives the body's weight and slot back; the bytes stay readable.
// It is idempotent.
func (b *body) release() {
	if b.weight > 0 {
		b.q.give(b.who, b.weight)
		b.weight = 0
	}
	if b.slot != nil {
		<-b.slot
		b.slot = nil
	}
}

// heavyWeight is the weight from which a body is heavy: it is decoded only
// while it holds one of the server's decoding slots, of which there are
// half as many as CPUs (at least one). Decoding a body of 4 MiB and 10,000
// members takes some 100 ms of CPU; ten at once on every CPU would stall
// the small requests behind them, so the others wait (not running) for a
// slot, at most BodyTimeout (then 503), and the small requests keep the
// other CPUs.
const heavyWeight = 256 << 10

func newDecodeSlots() chan struct{} {
	return make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))
}

// awaitSlot takes a decoding slot for a heavy body.
func (s *Server) awaitSlot(ctx context.Context, b *body) *rpcError {
	if b.weight < heavyWeight {
		return nil
	}
	t := time.NewTimer(s.cfg.BodyTimeout)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		b.slot = s.slots
		return nil
	case <-t.C:
		return errLimit(http.StatusServiceUnavailable, "no decoding slot for a large body came free within %v (Config.BodyTimeout): %d large bodies are decoded at once", s.cfg.BodyTimeout, cap(s.slots))
	case <-ctx.Done():
		return errLimit(http.StatusServiceUnavailable, "the request ended while waiting for a decoding slot")
	}
}

// grow makes the body's weight at least n.
func (b *body) grow(n int64) *rpcError {
	if n <= b.weight {
		return nil
	}
	if err := b.q.take(b.who, n-b.weight); err != nil {
		return err
	}
	b.weight = n
	return nil
}

// bodyChunk is the first buffer of a body of unknown length, and the step
// by which its weight grows as it arrives.
const bodyChunk = 32 << 10

// readBody reads r's body within the limits: its size, the time to
// receive it, its shape (depth, members) as it arrives, and its weight in
// the quota of bodies in flight, taken for principal before each part is
// read. On failure the body is released; the error's status says why
// (413, 408, 400, 429, 503) and, when the body was not read to its end,
// the caller must close the connection.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, principal string) (*body, *rpcError) {
	b := &body{q: s.bodies, who: principal}
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return b, errTooLarge(fmt.Sprintf("the body is %d bytes; the limit is %d (Config.MaxBodyBytes)", r.ContentLength, limit))
	}
	// The buffer grows as the body arrives, up to ceiling: a body declared
	// large and sent slowly, or refused early, costs what arrived.
	ceiling := limit + 1
	if r.ContentLength >= 0 {
		ceiling = r.ContentLength
	}
	if err := b.grow(min(ceiling, max(r.ContentLength, bodyChunk))); err != nil {
		return b, err
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)) == nil {
		defer func() {
			if b.complete {
				// Lifted as soon as the body is in: the connection's
				// background read, which notices a client that goes
				// away, must not time out.
				rc.SetReadDeadline(time.Time{})
			} else {
				abandonBody(w, r)
			}
		}()
	}
	b.buf = make([]byte, 0, min(ceiling, bodyChunk))
	var one [1]byte
	for {
		var n int
		var err error
		switch {
		case len(b.buf) < cap(b.buf):
			n, err = r.Body.Read(b.buf[len(b.buf):cap(b.buf)])
		case int64(cap(b.buf)) >= ceiling:
			// All that was declared is in: look for the end.
			if n, err = r.Body.Read(one[:]); n > 0 {
				return b, errTooLarge(fmt.Sprintf("the body is longer than its Content-Length of %d", r.ContentLength))
			}
		default:
			next := min(2*int64(cap(b.buf)), ceiling)
			if rerr := b.grow(min(next, limit)); rerr != nil {
				return b, rerr
			}
			b.buf = append(make([]byte, 0, next), b.buf...)
			continue
		}
		part := b.buf[len(b.buf) : len(b.buf)+n]
		b.buf = b.buf[:len(b.buf)+n]
		if int64(len(b.buf)) > limit {
			return b, errTooLarge(fmt.Sprintf("the body exceeds the limit of %d bytes (Config.MaxBodyBytes)", limit))
		}
		b.shape.Scan(part)
		if rerr := s.checkShape(&b.shape); rerr != nil {
			return b, rerr
		}
		if rerr := b.grow(int64(b.shape.Members) * memberCost); rerr != nil {
			return b, rerr
		}
		switch {
		case err == io.EOF:
			b.complete = true
			return b, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return b, &rpcError{code: wire.CodeInvalidRequest, status: http.StatusRequestTimeout,
				msg: fmt.Sprintf("Invalid Request: the body did not arrive within %v (Config.BodyTimeout)", s.cfg.BodyTimeout)}
		case err != nil:
			return b, errInvalidRequest("could not read the body")
		}
	}
}

// abandonBody makes sure nothing more of r's body is read, when it is
// answered before its body is read to the end: the connection closes after
// the answer, and its read deadline passes now, for net/http would
// otherwise read what is left of the body (up to 256 KiB) before answering
// or after, as long as the client cares to take sending it. Call it before
// writing the answer.
func abandonBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	w.Header()["Connection"] = []string{"close"}
	http.NewResponseController(w).SetReadDeadline(time.Now())
}

// checkShape refuses a message nested or populated beyond the limits.
func (s *Server) checkShape(sh *wire.Shape) *rpcError {
	if sh.Depth > s.cfg.MaxDepth {
		return errInvalidRequest("nesting depth " + strconv.Itoa(sh.Depth) + " exceeds the limit of " + strconv.Itoa(s.cfg.MaxDepth))
	}
	if sh.Members > s.cfg.MaxMembers {
		return errBadParams("the message holds more than %d object members and array elements in all (Config.MaxMembers)", s.cfg.MaxMembers)
	}
	return nil
}

func errTooLarge(detail string) *rpcError {
	return &rpcError{code: wire.CodeInvalidRequest, msg: "Invalid Request: " + detail, status: http.StatusRequestEntityTooLarge}
}
