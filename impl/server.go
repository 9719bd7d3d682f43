package impl

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
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
	// DefaultMaxHandlesTotal bounds the live carts of all principals
	// together (each at most 100 products: a few GiB at the very worst,
	// kilobytes each as carts are used).
	DefaultMaxHandlesTotal = 1 << 16
	// DefaultTaskTTL is the lifetime of a task (its ttlMs) from its
	// creation: as long as a requestState's.
	DefaultTaskTTL = 10 * time.Minute
	// DefaultMaxTasks bounds the tasks one principal holds (a task counts
	// until it is purged, a minute after its lifetime): 100 tasks in 11
	// minutes, which a flood of tasks meets at once.
	DefaultMaxTasks = 100
	// DefaultMaxTasksTotal bounds the tasks of all principals together.
	DefaultMaxTasksTotal = 1 << 14
	// DefaultMaxConfirmationsPerPrincipal bounds the redeemed transfer
	// confirmations recorded for one principal. A record is kept for the
	// state lifetime plus a minute (11 minutes by default), so this allows
	// one caller about 15 confirmed transfers a second, sustained.
	DefaultMaxConfirmationsPerPrincipal = 10_000
	// DefaultMaxConfirmationsTotal bounds the redeemed confirmations
	// recorded for all principals together (some 100 bytes each in
	// memory).
	DefaultMaxConfirmationsTotal = 1 << 20
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
	// AllowedDirs are the directories whose files the server serves
	// (files.go): the read_file and list_directory tools (a relative path
	// is relative to the first) and one file:// resource template per
	// directory. Each is made absolute and opened as an os.Root in New, so
	// that no path, "..", or symlink leads outside it; a path that is
	// missing or not a directory makes New fail. The server never asks a
	// client for its roots. Nil: no file access at all (no such tools, no
	// templates).
	AllowedDirs []string

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
	// Tokens or Issuer, one principal may hold at most a quarter of it (and
	// at least one body of MaxBodyBytes). Over it, a request is refused at
	// once (503, or 429 over the principal's share). Default
	// DefaultMaxBodyBytesInFlight; at least MaxBodyBytes.
	MaxBodyBytesInFlight int64

	// MaxListens bounds the open subscriptions/listen streams of the
	// server, and MaxListensPerPrincipal those of one principal (with
	// Tokens or Issuer; without, every caller is the anonymous principal
	// and only MaxListens applies); it must be less than MaxListens, so that no one
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
	// every request is the anonymous principal "" (unless Issuer is set).
	// Static tokens carry every scope; they are checked before Issuer's
	// tokens. An empty, non-nil map lets no one in.
	Tokens map[string]string
	// Issuer is the issuer URL of the OAuth authorization server whose JWT
	// access tokens the server accepts (issuer.go): https, or http on a
	// loopback address. A bearer token not in Tokens is verified as a
	// token of this issuer, its principal iss + " " + sub. With Issuer the
	// server serves Protected Resource Metadata (resource.go) and its 401
	// challenges name it. Tokens and Issuer may be combined. "": no
	// issuer.
	Issuer string
	// Resource is the canonical URI of this MCP server, the audience its
	// tokens must name (e.g. "https://mcp.example.com/mcp"). Required with
	// Issuer: it is never derived from a request's Host.
	Resource string
	// IssuerFetchTimeout bounds one fetch of the issuer's metadata or key
	// set. Default DefaultIssuerFetchTimeout.
	IssuerFetchTimeout time.Duration
	// IssuerTransport, when set, carries the fetches of the issuer's
	// metadata and key set (and nothing else): e.g. a transport through a
	// proxy, one that trusts a private CA's TLS roots or presents a
	// client certificate, or, in tests, an in-memory authorization
	// server. The fetch timeout, size limit, refusal of redirects and the
	// https-or-loopback rule hold whatever it is. Nil: the default
	// transport (http.DefaultTransport).
	IssuerTransport http.RoundTripper
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
	// MaxHandlesTotal bounds the live carts of all principals together;
	// it must exceed MaxHandles, so that no principal alone reaches it.
	// Default DefaultMaxHandlesTotal (at least 2*MaxHandles).
	MaxHandlesTotal int
	// TaskTTL is the lifetime of a task from its creation, its ttlMs (the
	// tasks extension, tasks.go): past it, a task still running is stopped
	// and marked failed, and a minute later it is purged. Default
	// DefaultTaskTTL.
	TaskTTL time.Duration
	// MaxTasks bounds the tasks of one principal; over it, a tools/call
	// that would create a task is a tool execution error naming the
	// limit. Default DefaultMaxTasks.
	MaxTasks int
	// MaxTasksTotal bounds the tasks of all principals together; it must
	// exceed MaxTasks. Default DefaultMaxTasksTotal (at least
	// 2*MaxTasks).
	MaxTasksTotal int
	// MaxConfirmationsPerPrincipal bounds the redeemed single-use
	// confirmations recorded for one principal (each kept for StateTTL
	// plus a minute); past it, that principal's transfers are refused
	// until records expire, and no other principal's. Default
	// DefaultMaxConfirmationsPerPrincipal.
	MaxConfirmationsPerPrincipal int
	// MaxConfirmationsTotal bounds the records of all principals
	// together; it must exceed MaxConfirmationsPerPrincipal. Default
	// DefaultMaxConfirmationsTotal (at least twice the per-principal
	// limit).
	MaxConfirmationsTotal int
	// Store keeps what the instances of a deployment share: the redeemed
	// single-use confirmations of the transfer tool, the carts and the
	// tasks. Instances that share state keys must share a Store too (a
	// RedisStore), or a confirmation redeemed on one instance can be
	// redeemed again on another, and a cart or a task made on one is
	// unknown to the others. Default: a new MemoryStore on Now, good for this Server
	// only. New does not take ownership: the caller closes it.
	Store Store

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

	keys   *keyring
	states *stateCodec
	auth   *authenticator // nil: no authentication
	// prm are the Protected Resource Metadata documents by path (issuer
	// mode).
	prm     map[string][]byte
	store   Store
	reg     *registry
	hub     *hub
	tasks   *taskTable
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

// Panics returns how many requests a handler panicked on (each recovered
// and answered with an internal error): zero unless the server has a bug.
func (s *Server) Panics() int64 { return s.panics.Load() }

// New builds a Server. It fails on an invalid configuration (a state key
// shorter than MinStateKeyBytes, negative limits, an empty token or
// principal name in Tokens, an allowed directory that is missing or not a
// directory).
func New(cfg Config) (*Server, error) {
	if cfg.Name == "" {
		cfg.Name = "mcpverify-reference"
	}
	if cfg.Version == "" {
		cfg.Version = "0.1.0"
	}
	if cfg.MaxBodyBytes < 0 || cfg.MaxDepth < 0 || cfg.PageSize < 0 || cfg.StateTTL < 0 || cfg.KeepAlive < 0 || cfg.HandleTTL < 0 ||
		cfg.MaxHandles < 0 || cfg.MaxHandlesTotal < 0 || cfg.TaskTTL < 0 || cfg.MaxTasks < 0 || cfg.MaxTasksTotal < 0 || cfg.MaxConfirmationsPerPrincipal < 0 || cfg.MaxConfirmationsTotal < 0 {
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
	if cfg.TaskTTL == 0 {
		cfg.TaskTTL = DefaultTaskTTL
	}
	if err := cfg.storeQuotas(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = newMemoryStore(cfg.Now)
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
	auth, err := cfg.authenticator()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		now:        cfg.Now,
		serverInfo: wire.Implementation{Name: cfg.Name, Version: cfg.Version},
		keys:       ring,
		states:     &stateCodec{keys: ring, ttl: cfg.StateTTL, now: cfg.Now, rand: rand.Reader},
		auth:       auth,
		store:      cfg.Store,
		hub:        newHub(),
		closed:     make(chan struct{}),
	}
	if auth != nil && auth.jwt != nil {
		s.prm = prmDocuments(cfg.Resource, cfg.Issuer)
	}
	s.bodies, s.listens = cfg.quotas()
	s.slots = newDecodeSlots()
	s.meta = &wire.ResultMetaObject{ServerInfo: &s.serverInfo}
	s.tasks = newTaskTable(s)
	s.reg, err = newRegistry(s)
	if err != nil {
		return nil, err
	}
	s.methods = s.methodTable()
	return s, nil
}

// authenticator builds the authenticator of Tokens and Issuer; nil when
// neither is set.
func (cfg *Config) authenticator() (*authenticator, error) {
	if cfg.Tokens == nil && cfg.Issuer == "" {
		if cfg.Resource != "" {
			return nil, errors.New("impl: Config.Resource is set without Config.Issuer")
		}
		return nil, nil
	}
	auth, err := newAuthenticator(cfg.Tokens)
	if err != nil || cfg.Issuer == "" {
		return auth, err
	}
	if u, perr := url.Parse(cfg.Resource); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("impl: Config.Resource %q is not an absolute http(s) URI without query or fragment (required with Config.Issuer)", cfg.Resource)
	}
	if cfg.IssuerFetchTimeout <= 0 {
		cfg.IssuerFetchTimeout = DefaultIssuerFetchTimeout
	}
	keys, err := newIssuerKeys(cfg.Issuer, cfg.IssuerFetchTimeout, cfg.IssuerTransport, cfg.Now)
	if err != nil {
		return nil, err
	}
	auth.jwt = &verifier{keys: keys, resource: cfg.Resource, now: cfg.Now}
	auth.metadataURL = resourceMetadataURL(cfg.Resource)
	return auth, nil
}

// storeQuotas fills in the defaults of the per-principal and total limits
// of the Store and checks that no principal alone can reach a total.
func (cfg *Config) storeQuotas() error {
	for _, q := range []struct {
		perName, totalName string
		per, total         *int
		defPer, defTotal   int
	}{
		{"MaxHandles", "MaxHandlesTotal", &cfg.MaxHandles, &cfg.MaxHandlesTotal, DefaultMaxHandles, DefaultMaxHandlesTotal},
		{"MaxTasks", "MaxTasksTotal", &cfg.MaxTasks, &cfg.MaxTasksTotal, DefaultMaxTasks, DefaultMaxTasksTotal},
		{"MaxConfirmationsPerPrincipal", "MaxConfirmationsTotal", &cfg.MaxConfirmationsPerPrincipal, &cfg.MaxConfirmationsTotal, DefaultMaxConfirmationsPerPrincipal, DefaultMaxConfirmationsTotal},
	} {
		if *q.per == 0 {
			*q.per = q.defPer
		}
		if *q.total == 0 {
			*q.total = max(q.defTotal, 2**q.per)
		}
		if *q.total <= *q.per {
			return fmt.Errorf("impl: %s (%d) must exceed %s (%d), so that no principal alone reaches it", q.totalName, *q.total, q.perName, *q.per)
		}
	}
	return nil
}

// cartQuota, confirmationQuota and taskQuota are the Store quotas of cfg.
func (cfg *Config) cartQuota() Quota {
	return Quota{PerPrincipal: cfg.MaxHandles, Total: cfg.MaxHandlesTotal}
}

func (cfg *Config) confirmationQuota() Quota {
	return Quota{PerPrincipal: cfg.MaxConfirmationsPerPrincipal, Total: cfg.MaxConfirmationsTotal}
}

func (cfg *Config) taskQuota() Quota {
	return Quota{PerPrincipal: cfg.MaxTasks, Total: cfg.MaxTasksTotal}
}

// Close ends every open subscriptions/listen stream gracefully (the
// server's teardown of basic/patterns/subscriptions.mdx) and makes new
// listen requests fail, and stops the work of every task (tasks.go) and
// waits for it; a task stopped so reads cancelled. Call it before
// http.Server.Shutdown, which waits for open streams. Other requests are
// still served. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.hub.closeAll()
		s.tasks.close()
	})
	return nil
}

func sortedStrings(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}
