package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

func init() {
	register(&command{name: "serve", summary: "serve the reference MCP server over Streamable HTTP or stdio", run: runServe})
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runServe(e *env, args []string) int {
	fs := newFlagSet(e, "serve", "[--http ADDR | --stdio] [flags]")
	httpAddr := fs.String("http", "", "serve Streamable HTTP on `ADDR` (host:port), at http://ADDR/mcp (default 127.0.0.1:0, a free port; the URL is printed to stderr)")
	stdio := fs.Bool("stdio", false, "serve newline-delimited JSON-RPC on stdin and stdout")
	allowRemote := fs.Bool("allow-remote", false, "allow --http on an address that is not loopback")
	var stateKeys, origins, hosts, tokens stringList
	fs.Var(&stateKeys, "state-key", "a requestState/cursor key, `HEX` of at least 32 bytes; repeat to rotate: the first seals, all open (default: a random key)")
	issuer := fs.String("issuer", "", "accept JWT access tokens of the OAuth authorization server `URL` (https, or http on loopback) and serve Protected Resource Metadata naming it; combines with --token (static tokens are checked first)")
	issuerCA := fs.String("issuer-ca", "", "with --issuer, trust the certificate authorities of the PEM `FILE` (besides the system's) for the issuer's metadata and keys, e.g. the one mcpverify mock-as --tls-ca writes")
	resource := fs.String("resource", "", "with --issuer, the canonical `URI` of this server, the audience its tokens must name (default http://ADDR/mcp of the listening address)")
	fs.Var(&tokens, "token", "require bearer tokens over HTTP: `NAME=SECRET` makes \"Authorization: Bearer SECRET\" the principal NAME; repeatable (several secrets may name one principal); requests without a listed token get 401 (default: no authentication, every request is anonymous). Secrets on a command line are visible to other local users: prefer MCPVERIFY_TOKENS (NAME=SECRET,...)")
	principal := fs.String("principal", "", "with --stdio, the principal `NAME` of every request (stdio takes credentials from its environment; default anonymous)")
	stateTTL := fs.Duration("state-ttl", impl.DefaultStateTTL, "lifetime of a requestState")
	handleTTL := fs.Duration("handle-ttl", impl.DefaultHandleTTL, "lifetime of a cart (a state handle) from its creation")
	store := fs.String("store", "", "keep the redeemed single-use confirmations and the carts in the Redis at `URL` (redis://[:PASSWORD@]HOST:PORT/DB, rediss:// for TLS); every instance given the same --state-key must be given the same --store (default: this process's memory; or MCPVERIFY_STORE, which keeps a password off the command line)")
	maxConfirmations := fs.Int("max-confirmations", impl.DefaultMaxConfirmationsPerPrincipal, "redeemed confirmations recorded per principal (each kept for --state-ttl plus a minute); past it, that principal's transfers are refused")
	maxConfirmationsTotal := fs.Int("max-confirmations-total", impl.DefaultMaxConfirmationsTotal, "redeemed confirmations recorded for all principals together; must exceed --max-confirmations")
	maxCarts := fs.Int("max-carts", impl.DefaultMaxHandles, "live carts per principal")
	maxCartsTotal := fs.Int("max-carts-total", impl.DefaultMaxHandlesTotal, "live carts of all principals together; must exceed --max-carts")
	fs.Var(&origins, "allowed-origin", "an `ORIGIN` (scheme://host[:port]) whose browser requests are served; repeatable (default: loopback origins on the server's port)")
	fs.Var(&hosts, "allowed-host", "a `HOST`[:port] accepted in the Host header; repeatable (default: localhost, 127.0.0.1, [::1])")
	var dirs stringList
	fs.Var(&dirs, "allowed-dir", "serve the files under the directory `DIR`: the tools read_file and list_directory (their relative paths are relative to the first DIR) and a file:// resource template per DIR; repeatable; nothing outside the DIRs is served (default: no file access)")
	maxBody := fs.Int64("max-body", impl.DefaultMaxBodyBytes, "largest request body or stdio line, in `bytes`")
	pageSize := fs.Int("page-size", impl.DefaultPageSize, "items per page of the list methods")
	verbose := fs.Bool("v", false, "log the server's diagnostics to stderr")
	if code := fs.parse(args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return fs.usageError("unexpected argument %q", fs.Arg(0))
	}
	if *stdio && *httpAddr != "" {
		fmt.Fprintln(e.stderr, "mcpverify serve: --http and --stdio are exclusive")
		return ExitUsage
	}
	if *principal != "" && !*stdio {
		fmt.Fprintln(e.stderr, "mcpverify serve: --principal applies to --stdio; over HTTP the principal comes from --token")
		return ExitUsage
	}
	if len(tokens) > 0 && *stdio {
		fmt.Fprintln(e.stderr, "mcpverify serve: --token applies to --http; on stdio use --principal")
		return ExitUsage
	}
	if env := os.Getenv("MCPVERIFY_TOKENS"); env != "" && !*stdio {
		tokens = append(strings.Split(env, ","), tokens...)
	}
	if (*issuer != "" || *resource != "") && *stdio {
		fmt.Fprintln(e.stderr, "mcpverify serve: --issuer and --resource apply to --http")
		return ExitUsage
	}
	if *issuerCA != "" && *issuer == "" {
		fmt.Fprintln(e.stderr, "mcpverify serve: --issuer-ca needs --issuer")
		return ExitUsage
	}
	if *resource != "" && *issuer == "" {
		fmt.Fprintln(e.stderr, "mcpverify serve: --resource needs --issuer")
		return ExitUsage
	}
	if *stateTTL <= 0 || *handleTTL <= 0 {
		fmt.Fprintln(e.stderr, "mcpverify serve: --state-ttl and --handle-ttl must be positive")
		return ExitUsage
	}
	if *maxConfirmations <= 0 || *maxConfirmationsTotal <= 0 || *maxCarts <= 0 || *maxCartsTotal <= 0 {
		fmt.Fprintln(e.stderr, "mcpverify serve: --max-confirmations, --max-confirmations-total, --max-carts and --max-carts-total must be positive")
		return ExitUsage
	}
	if *maxConfirmationsTotal <= *maxConfirmations || *maxCartsTotal <= *maxCarts {
		fmt.Fprintln(e.stderr, "mcpverify serve: --max-confirmations-total must exceed --max-confirmations, and --max-carts-total --max-carts, so that no principal alone reaches a total")
		return ExitUsage
	}
	if *store == "" {
		*store = os.Getenv("MCPVERIFY_STORE")
	}
	if *store != "" && !strings.HasPrefix(*store, "redis://") && !strings.HasPrefix(*store, "rediss://") && !strings.HasPrefix(*store, "unix://") {
		fmt.Fprintln(e.stderr, "mcpverify serve: --store wants a Redis URL: redis://HOST:PORT/DB (or rediss://, unix://)")
		return ExitUsage
	}
	cfg := impl.Config{MaxBodyBytes: *maxBody, PageSize: *pageSize, StdioPrincipal: *principal, Issuer: *issuer, Resource: *resource, StateTTL: *stateTTL, HandleTTL: *handleTTL,
		MaxConfirmationsPerPrincipal: *maxConfirmations, MaxConfirmationsTotal: *maxConfirmationsTotal, MaxHandles: *maxCarts, MaxHandlesTotal: *maxCartsTotal}
	if *issuerCA != "" {
		rt, err := transportTrusting(*issuerCA)
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify serve: --issuer-ca: %v\n", err)
			return ExitUsage
		}
		cfg.IssuerTransport = rt
	}
	for _, t := range tokens {
		name, secret, ok := strings.Cut(t, "=")
		if !ok || name == "" || secret == "" {
			fmt.Fprintln(e.stderr, "mcpverify serve: --token wants NAME=SECRET")
			return ExitUsage
		}
		if cfg.Tokens == nil {
			cfg.Tokens = map[string]string{}
		}
		if prev, dup := cfg.Tokens[secret]; dup && prev != name {
			fmt.Fprintln(e.stderr, "mcpverify serve: one --token secret names two principals")
			return ExitUsage
		}
		cfg.Tokens[secret] = name
	}
	for _, k := range stateKeys {
		b, err := hex.DecodeString(k)
		if err != nil || len(b) < impl.MinStateKeyBytes {
			fmt.Fprintf(e.stderr, "mcpverify serve: --state-key must be hex of at least %d bytes\n", impl.MinStateKeyBytes)
			return ExitUsage
		}
		cfg.StateKeys = append(cfg.StateKeys, b)
	}
	if len(origins) > 0 {
		cfg.AllowedOrigins = origins
	}
	if len(hosts) > 0 {
		cfg.AllowedHosts = hosts
	}
	if len(dirs) > 0 {
		cfg.AllowedDirs = dirs
	}
	level := slog.LevelError + 1
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	if *store != "" {
		rs, err := impl.OpenRedisStore(e.ctx, *store, impl.RedisOptions{})
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify serve: --store: %v\n", err)
			return ExitCannotRun
		}
		defer rs.Close()
		cfg.Store = rs
	}
	var (
		ln   net.Listener
		host string
		err  error
	)
	if !*stdio {
		addr := *httpAddr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		host, _, err = net.SplitHostPort(addr)
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify serve: --http %q: want host:port\n", addr)
			return ExitUsage
		}
		if !wire.IsLoopbackHost(host) && !*allowRemote {
			fmt.Fprintf(e.stderr, "mcpverify serve: refusing to listen on %q, which is not a loopback address (a local MCP server should bind only to localhost); pass --allow-remote to do it anyway\n", addr)
			return ExitUsage
		}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintf(e.stderr, "mcpverify serve: %v\n", err)
			return ExitCannotRun
		}
		defer ln.Close()
		if cfg.Issuer != "" && cfg.Resource == "" {
			cfg.Resource = "http://" + ln.Addr().String() + impl.Endpoint
		}
	}
	srv, err := impl.New(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify serve: %v\n", err)
		return ExitUsage
	}
	if *stdio {
		err := srv.ServeStdio(e.ctx, e.stdin, e.stdout)
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(e.stderr, "mcpverify serve: %v\n", err)
			return ExitCannotRun
		}
		return ExitOK
	}
	hs := srv.HTTPServer()
	fmt.Fprintf(e.stderr, "mcpverify: serving MCP %s on http://%s%s\n", "2026-07-28", ln.Addr(), impl.Endpoint)
	if *store != "" {
		fmt.Fprintln(e.stderr, "mcpverify: single-use confirmations and carts are kept in the Redis store (--store)")
	}
	if cfg.Tokens != nil {
		names := map[string]bool{}
		for _, n := range cfg.Tokens {
			names[n] = true
		}
		fmt.Fprintf(e.stderr, "mcpverify: bearer tokens required (%d token(s), %d principal(s))\n", len(cfg.Tokens), len(names))
	}
	if cfg.Issuer != "" {
		fmt.Fprintf(e.stderr, "mcpverify: access tokens of %s accepted for the resource %s\n", cfg.Issuer, cfg.Resource)
	}
	if len(dirs) > 0 {
		fmt.Fprintf(e.stderr, "mcpverify: serving the files under %d allowed director%s (--allowed-dir)\n", len(dirs), map[bool]string{true: "y", false: "ies"}[len(dirs) == 1])
	}
	if !wire.IsLoopbackHost(host) && len(hosts) == 0 {
		fmt.Fprintln(e.stderr, "mcpverify: note: only loopback Host headers are accepted; add --allowed-host for remote clients")
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(srv.Listener(ln)) }()
	select {
	case err := <-errc:
		fmt.Fprintf(e.stderr, "mcpverify serve: %v\n", err)
		return ExitCannotRun
	case <-e.ctx.Done():
	}
	// End subscriptions gracefully first: Shutdown waits for open streams.
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		hs.Close()
	}
	return ExitOK
}

// transportTrusting is the default transport, trusting the certificate
// authorities of the PEM file besides the system's.
func transportTrusting(caFile string) (http.RoundTripper, error) {
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}
