package impl

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// supportedVersions are the protocol versions this server serves. It serves
// only the revision mcpverify implements.
var supportedVersions = []string{wire.Version}

// Defaults of Config.
const (
	DefaultMaxBodyBytes = 4 << 20
	DefaultPageSize     = 100
	DefaultStateTTL     = 10 * time.Minute
	DefaultKeepAlive    = 15 * time.Second
	// DefaultHandleTTL is the lifetime of a cart (a server-minted state
	// handle) from its creation.
	DefaultHandleTTL = 30 * time.Minute
	// DefaultMaxHandles bounds the live carts of one principal.
	DefaultMaxHandles = 1000
	// MinStateKeyBytes is the minimum length of a key in Config.StateKeys.
	MinStateKeyBytes = 32

	// Defaults of the limits that bound what callers can make the server
	// hold (limits.go).
	DefaultMaxConns               = 512
	DefaultMaxHeaderBytes         = 64 << 10
	DefaultHeaderTimeout          = 10 * time.Second
	DefaultBodyTimeout            = 30 * time.Second
	DefaultMaxBodyBytesInFlight   = 32 << 20
	DefaultMaxMembers             = 10000
	DefaultMaxListens             = 256
	DefaultMaxListensPerPrincipal = 16
	DefaultMaxListenURIs          = 256
)

// Config configures a Server. The zero value is a working configuration.
type Config struct {
	// Name and Version are reported in _meta io.modelcontextprotocol/serverInfo
	// on every result. Defaults: "mcpverify-reference", "0.1.0".
	Name, Version string
	// Instructions is the instructions member of the DiscoverResult.
	Instructions string

	// AllowedOrigins are origins ("scheme://host[:port]", http or https)
	// whose browser requests are served besides the server's own: the
	// address a request's connection arrived at (http://127.0.0.1:8080 for
	// a server listening there). No other origin counts as own, not even
	// another spelling of loopback (http://localhost:8080 must be listed to
	// be served). A request whose Origin is present and not allowed gets
	// 403 (origin.go). New refuses a value that is not an origin.
	AllowedOrigins []string
	// AllowedHosts are the Host header values served ("host" or
	// "host:port", compared case-insensitively; a bare host matches any
	// port). Nil means the loopback names localhost, 127.0.0.1 and [::1].
	// Any other Host gets 403: a hardening against DNS rebinding beyond the
	// spec's Origin rule.
	AllowedHosts []string

	// MaxBodyBytes bounds an HTTP request body (413) and a stdio line.
	// Default DefaultMaxBodyBytes (4 MiB).
	MaxBodyBytes int64
	// MaxDepth bounds the nesting of arrays and objects in a message.
	// Default and upper bound: wire.MaxDepth.
	MaxDepth int
	// MaxMembers bounds the object members and array elements of one
	// message, counted together at every depth, as the message arrives and
	// before anything is decoded (-32602 with HTTP 400). Default
	// DefaultMaxMembers.
	MaxMembers int

	// The limits of Streamable HTTP (limits.go). What one connection, one
	// body or one caller can make the server hold is bounded, and so is
	// the sum; see the README's memory budget.
	//
	// MaxConns bounds the open connections of the listener returned by
	// Listener: further connections wait in the kernel's backlog. Default
	// DefaultMaxConns.
	MaxConns int
	// MaxHeaderBytes bounds the request line and headers (431 beyond).
	// Default DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// HeaderTimeout bounds the time to receive the request line and
	// headers, and how long a connection may stay idle between requests.
	// Default DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// BodyTimeout bounds the time to receive a body, from the moment the
	// handler starts reading it: a body not complete by then is answered
	// 408 and its connection closed. Responses are not bounded: a listen
	// stream lives as long as its client keeps it. Default
	// DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxBodyBytesInFlight bounds the request bodies being read and
	// decoded at once, weighed by their size (declared, or read so far)
	// and, for a body dense in members, by what decoding them costs. With
	// Tokens, one principal may hold at most a quarter of it (and at least
	// one body of MaxBodyBytes). Over it, a request is refused at once (503,
	// or 429 over the principal's share). Default
	// DefaultMaxBodyBytesInFlight; at least MaxBodyBytes.
	MaxBodyBytesInFlight int64

	// MaxListens bounds the open subscriptions/listen streams of the
	// server, and MaxListensPerPrincipal those of one principal (with
	// Tokens; without, every caller is the anonymous principal and only
	// MaxListens applies); it must be less than MaxListens, so that no one
	// principal holds them all. MaxListenURIs bounds the resource URIs one
	// listen names (their total length is bounded too, to
	// MaxListenURIs*256 bytes). Defaults DefaultMaxListens,
	// DefaultMaxListensPerPrincipal, DefaultMaxListenURIs.
	MaxListens, MaxListensPerPrincipal, MaxListenURIs int

	// StateKeys are the keys of requestState sealing and cursor MACs, each
	// at least MinStateKeyBytes long. The first seals; all open, so keys can
	// rotate: put the new key first and keep the old one until the longest
	// state lifetime has passed. Servers given the same keys accept each
	// other's requestState and cursors. Nil means one random key (state is
	// then good for this Server only).
	StateKeys [][]byte
	// StateTTL is how long a requestState stays valid. Default
	// DefaultStateTTL.
	StateTTL time.Duration

	// Tokens maps bearer tokens to principal names. When set, every HTTP
	// request must carry "Authorization: Bearer TOKEN" with a token listed
	// here, and is served as the principal it maps to; a request without
	// one, or with another, gets 401 with WWW-Authenticate: Bearer (after
	// the Host and Origin checks, before anything of the body is read or
	// anything served). Several tokens may
	// name one principal (token rotation). Nil: no authentication, and
	// every request is the anonymous principal "". This is a stand-in for
	// the OAuth resource server of the authorization spec (no Protected
	// Resource Metadata is served): it gives the server callers to bind
	// requestState and state handles to. An empty, non-nil map lets no one
	// in.
	Tokens map[string]string
	// StdioPrincipal is the principal of every request served by
	// ServeStdio: a stdio server takes its credentials from its
	// environment, not from requests (basic/authorization). Default ""
	// (anonymous).
	StdioPrincipal string

	// HandleTTL is the lifetime of a cart from its creation; the
	// cart_create tool states it in its description. Default
	// DefaultHandleTTL.
	HandleTTL time.Duration
	// MaxHandles bounds the live carts of one principal. Default
	// DefaultMaxHandles.
	MaxHandles int
	// Ledger records the single-use confirmations of the transfer tool
	// that were redeemed. Instances that share state keys must share a
	// Ledger too (e.g. one backed by Redis SET NX PX), or a confirmation
	// redeemed on one instance can be redeemed again on another. Default:
	// a new in-memory ledger, good for this Server only.
	Ledger Ledger

	// PageSize is the number of items on a page of tools/list,
	// prompts/list, resources/list and resources/templates/list. Default
	// DefaultPageSize.
	PageSize int

	// KeepAlive is the interval of SSE comment lines on a quiet
	// subscriptions/listen stream. Default DefaultKeepAlive.
	KeepAlive time.Duration

	// Logger receives the server's own diagnostics (never stdout).
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock (state expiry). Default time.Now.
	Now func() time.Time
}

// Server is the reference MCP server. It is safe for concurrent use; one
// Server may serve HTTP and stdio at the same time.
type Server struct {
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	serverInfo wire.Implementation
	// meta is the _meta of every result: the server's identity.
	meta *wire.ResultMetaObject

	keys    *keyring
	states  *stateCodec
	auth    *authenticator // nil: no authentication
	ledger  Ledger
	carts   *cartStore
	reg     *registry
	hub     *hub
	methods map[string]*methodSpec
	// bodies and listens are the quotas of limits.go; slots the decoding
	// slots of heavy bodies.
	bodies, listens *quota
	slots           chan struct{}

	closeOnce sync.Once
	closed    chan struct{}

	// panics counts requests on which a handler panicked (and was
	// recovered); tests assert it stays zero.
	panics atomic.Int64
	// running counts method handlers running now.
	running atomic.Int64
}

// panicked records a recovered panic.
func (s *Server) panicked(p any) {
	s.panics.Add(1)
	s.log.Error("recovered panic while serving a request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
}

// New builds a Server. It fails on an invalid configuration (a state key
// shorter than MinStateKeyBytes, negative limits, an empty token or
// principal name in Tokens).
func New(cfg Config) (*Server, error) {
	if cfg.Name == "" {
		cfg.Name = "mcpverify-reference"
	}
	if cfg.Version == "" {
		cfg.Version = "0.1.0"
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxDepth < 0 || cfg.PageSize < 0 || cfg.StateTTL < 0 || cfg.KeepAlive < 0 || cfg.HandleTTL < 0 || cfg.MaxHandles < 0 {
		return nil, errors.New("impl: negative limit in Config")
	}
	if err := cfg.setLimits(); err != nil {
		return nil, err
	}
	for _, o := range cfg.AllowedOrigins {
		if _, ok := normalizeOrigin(o); !ok {
			return nil, fmt.Errorf("impl: Config.AllowedOrigins: %q is not an origin (scheme://host[:port], http or https, no path)", o)
		}
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxDepth == 0 || cfg.MaxDepth > wire.MaxDepth {
		cfg.MaxDepth = wire.MaxDepth
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.StateTTL == 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.HandleTTL == 0 {
		cfg.HandleTTL = DefaultHandleTTL
	}
	if cfg.MaxHandles == 0 {
		cfg.MaxHandles = DefaultMaxHandles
	}
	if cfg.Ledger == nil {
		cfg.Ledger = NewMemoryLedger()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := cfg.StateKeys
	if len(keys) == 0 {
		k := make([]byte, MinStateKeyBytes)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("impl: random state key: %w", err)
		}
		keys = [][]byte{k}
	}
	ring, err := newKeyring(keys)
	if err != nil {
		return nil, err
	}
	var auth *authenticator
	if cfg.Tokens != nil {
		if auth, err = newAuthenticator(cfg.Tokens); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		now:        cfg.Now,
		serverInfo: wire.Implementation{Name: cfg.Name, Version: cfg.Version},
		keys:       ring,
		states:     &stateCodec{keys: ring, ttl: cfg.StateTTL, now: cfg.Now, rand: rand.Reader},
		auth:       auth,
		ledger:     cfg.Ledger,
		carts:      newCartStore(cfg.HandleTTL, cfg.MaxHandles, cfg.Now),
		hub:        newHub(),
		closed:     make(chan struct{}),
	}
	s.bodies, s.listens = cfg.quotas()
	s.slots = newDecodeSlots()
	s.meta = &wire.ResultMetaObject{ServerInfo: &s.serverInfo}
	s.reg, err = newRegistry(s)
	if err != nil {
		return nil, err
	}
	s.methods = s.methodTable()
	return s, nil
}

// Close ends every open subscriptions/listen stream gracefully (the
// server's teardown of basic/patterns/subscriptions.mdx) and makes new
// listen requests fail. Call it before http.Server.Shutdown, which waits
// for open streams. Other requests are still served. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.hub.closeAll()
	})
	return nil
}

func sortedStrings(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}
