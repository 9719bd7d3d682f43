package authmock

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// Paths served under the issuer URL.
const (
	MetadataPath = "/.well-known/oauth-authorization-server"
	JWKSPath     = "/jwks.json"
	TokenPath    = "/token"
	// AuthorizePath is the authorization endpoint, which refuses every
	// request: the mock offers no interactive flow.
	AuthorizePath = "/authorize"
	// MintPath is the minting endpoint, served only with Options.MintEndpoint.
	MintPath = "/mint"
)

// ClientID is the one client the token endpoint knows: it answers the
// client_credentials grant for it, with the subject ClientID.
const ClientID = "mcpverify-checker"

// Bounds on what the server reads and holds.
const (
	maxConns       = 64
	maxHeaderBytes = 8 << 10
	maxBodyBytes   = 8 << 10
	ioTimeout      = 10 * time.Second
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Addr is the loopback host:port to listen on (default 127.0.0.1:0, a
	// free port). New refuses an address that is not loopback.
	Addr string
	// KeysFile, when set, names a keys file written by SaveKeys to load
	// the signing keys from; otherwise New generates them.
	KeysFile string
	// MintEndpoint serves MintPath: GET /mint?sub=alice&aud=URL answers a
	// token as text (optional: defect=NAME, alg=RS256|ES256, scope=...).
	MintEndpoint bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// TTL is the lifetime of a correct token (default 10 minutes).
	TTL time.Duration
	// TLS serves https, with a certificate for the loopback names signed
	// by a certificate authority made at start (the issuer is then
	// https://ADDR); CAFile, if set, receives the authority's certificate
	// (PEM), for the server under test to trust. Not with InMemory.
	TLS    bool
	CAFile string
	// InMemory makes a server without a listener: it is reached only
	// through Handler and Transport (no sockets, no goroutines), e.g.
	// inside a testing/synctest bubble. Addr is then unused.
	InMemory bool
	// Issuer is the issuer identifier an in-memory server claims, an
	// origin: http or https, a host and an optional port, no path (not
	// even "/"), query, fragment or user information (default
	// DefaultInMemoryIssuer). A listening server's issuer is its address:
	// New refuses Issuer without InMemory.
	Issuer string
}

// DefaultInMemoryIssuer is the issuer of an in-memory server by default:
// a loopback address nothing listens on, which the server claims without
// serving it (reach it through Transport).
const DefaultInMemoryIssuer = "http://127.0.0.1:9"

// Server is a running mock authorization server. Its methods are safe for
// concurrent use.
type Server struct {
	keys    *keys
	issuer  string
	now     func() time.Time
	ttl     time.Duration
	mint    bool
	handler http.Handler
	tls     *tlsFiles

	// The listener and its server; nil for an in-memory server.
	ln   net.Listener
	hs   *http.Server
	done chan struct{}
	once sync.Once
}

// New creates the signing keys (or loads them from opts.KeysFile) and
// starts serving the metadata, the JWKS and the token endpoint on a
// loopback listener, or, with opts.InMemory, only through Handler and
// Transport. Close stops it.
func New(opts Options) (*Server, error) {
	var issuer, addr string
	if opts.InMemory {
		issuer = opts.Issuer
		if issuer == "" {
			issuer = DefaultInMemoryIssuer
		}
		if err := originOnly(issuer); err != nil {
			return nil, err
		}
	} else {
		if opts.Issuer != "" {
			return nil, fmt.Errorf("authmock: issuer %q: only an in-memory server claims an issuer; a listening server's issuer is its address", opts.Issuer)
		}
		addr = opts.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("authmock: address %q: want host:port: %w", addr, err)
		}
		if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("authmock: address %q: want a loopback address", addr)
		}
	}
	var k *keys
	var err error
	if opts.KeysFile != "" {
		k, err = loadKeys(opts.KeysFile)
	} else {
		k, err = generateKeys()
	}
	if err != nil {
		return nil, err
	}
	s := &Server{keys: k, issuer: issuer, now: opts.Now, ttl: opts.TTL, mint: opts.MintEndpoint}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 10 * time.Minute
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+MetadataPath, s.serveMetadata)
	mux.HandleFunc("GET "+JWKSPath, s.serveJWKS)
	mux.HandleFunc("POST "+TokenPath, s.serveToken)
	mux.HandleFunc(AuthorizePath, serveAuthorize)
	if s.mint {
		mux.HandleFunc("GET "+MintPath, s.serveMint)
	}
	s.handler = http.MaxBytesHandler(mux, maxBodyBytes)
	if opts.InMemory {
		if opts.TLS {
			return nil, fmt.Errorf("authmock: an in-memory server has no TLS")
		}
		return s, nil
	}
	scheme := "http"
	if opts.TLS {
		if s.tls, err = newTLS(s.now()); err != nil {
			return nil, fmt.Errorf("authmock: TLS: %w", err)
		}
		if opts.CAFile != "" {
			if err := s.writeCA(opts.CAFile); err != nil {
				return nil, err
			}
		}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("authmock: %w", err)
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{s.tls.cert}, MinVersion: tls.VersionTLS12})
	}
	s.issuer = scheme + "://" + ln.Addr().String()
	s.ln, s.done = netutil.LimitListener(ln, maxConns), make(chan struct{})
	s.hs = &http.Server{Handler: s.handler, ReadHeaderTimeout: ioTimeout, ReadTimeout: ioTimeout,
		WriteTimeout: ioTimeout, IdleTimeout: ioTimeout, MaxHeaderBytes: maxHeaderBytes}
	go func() {
		defer close(s.done)
		s.hs.Serve(s.ln)
	}()
	return s, nil
}

// originOnly checks that an in-memory issuer is an origin: the mock
// serves its documents at the root, so an issuer with a path would name a
// metadata URL (RFC 8414 section 3) it does not serve.
func originOnly(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" {
		return fmt.Errorf("authmock: issuer %q: want an origin, http(s)://host[:port] without a trailing slash", issuer)
	}
	return nil
}

// Handler is the server's HTTP handler (what the listener serves, with
// its body limit): metadata, JWKS, token endpoint, authorization endpoint
// and, with Options.MintEndpoint, the minting endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Issuer is the issuer identifier: http://HOST:PORT of the listener (or
// Options.Issuer in memory), the metadata's issuer and every correct
// token's iss.
func (s *Server) Issuer() string { return s.issuer }

// Close stops the server: it closes the listener and every connection
// and returns when the serving goroutine has ended. It does nothing for
// an in-memory server.
func (s *Server) Close() error {
	if s.hs == nil {
		return nil
	}
	var err error
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err = s.hs.Shutdown(ctx); err != nil {
			err = s.hs.Close()
		}
		<-s.done
	})
	return err
}

// Metadata is the RFC 8414 authorization server metadata document.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
}

// Metadata returns the document served at MetadataPath.
func (s *Server) Metadata() Metadata {
	return Metadata{
		Issuer:                            s.issuer,
		AuthorizationEndpoint:             s.issuer + AuthorizePath,
		JWKSURI:                           s.issuer + JWKSPath,
		TokenEndpoint:                     s.issuer + TokenPath,
		ResponseTypesSupported:            []string{"code"},
		GrantTypesSupported:               []string{"client_credentials"},
		TokenEndpointAuthMethodsSupported: []string{"none"},
		ScopesSupported:                   []string{DefaultScope},
		CodeChallengeMethodsSupported:     []string{"S256"},
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Metadata())
}

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	json.NewEncoder(w).Encode(s.keys.publicSet())
}

// serveToken answers the client_credentials grant for ClientID (a public
// client: no secret) with a correct RS256 token whose audience is the
// resource parameter (RFC 8707), required. Anything else is a 400 with an
// RFC 6749 error code.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, tokenError("invalid_request", "the body is not a form of at most 8 KiB"))
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "client_credentials":
		writeJSON(w, http.StatusBadRequest, tokenError("unsupported_grant_type", "only client_credentials is supported"))
	case f.Get("client_id") != ClientID:
		writeJSON(w, http.StatusBadRequest, tokenError("invalid_client", "the only client is "+ClientID))
	case len(f["resource"]) != 1 || f.Get("resource") == "":
		writeJSON(w, http.StatusBadRequest, tokenError("invalid_target", "one resource parameter is required"))
	default:
		scope := f.Get("scope")
		if scope == "" {
			scope = DefaultScope
		}
		tok, err := s.Mint(Claims{Subject: ClientID, Resource: f.Get("resource"), Scope: scope}, None)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, tokenError("invalid_target", err.Error()))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.ttl / time.Second), "scope": scope})
	}
}

// serveAuthorize refuses every authorization request (RFC 6749 4.1.2.1
// would redirect the error to a registered redirect_uri; the mock has no
// registered client with one, so it answers directly).
func serveAuthorize(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusBadRequest, tokenError("access_denied", "the mock authorization server offers no interactive authorization: use the client_credentials grant"))
}

func tokenError(code, desc string) map[string]string {
	return map[string]string{"error": code, "error_description": desc}
}

// serveMint answers GET /mint?sub=NAME&aud=URL[&defect=NAME][&alg=ES256][&scope=S]
// with the token as text. It is served only on loopback and only when
// Options.MintEndpoint is set.
func (s *Server) serveMint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, ok := DefectByName(q.Get("defect"))
	if !ok {
		http.Error(w, "unknown defect "+q.Get("defect"), http.StatusBadRequest)
		return
	}
	tok, err := s.Mint(Claims{Subject: q.Get("sub"), Resource: q.Get("aud"), Scope: q.Get("scope"), Alg: Alg(q.Get("alg"))}, d)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, tok)
}
