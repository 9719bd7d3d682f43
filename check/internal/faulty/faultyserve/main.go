// Command faultyserve serves one server of the faulty catalog (a broken
// variant of the reference server, a hostile server, or the reference
// itself) over Streamable HTTP or stdio, so that any checker can be run
// against it as a process: the kill matrix (make killmatrix) runs
// mcpverify check and the official conformance suite this way.
//
//	faultyserve -list
//	faultyserve -variant NAME [-http 127.0.0.1:0 | -stdio] [-dir DIR] [-issuer URL]
//
// Over HTTP it prints its URL on stderr as mcpverify serve --http does
// ("serving MCP 2026-07-28 on http://ADDR/mcp"). -dir is the directory a
// needs-dir variant is told to use ({workspace} of mcpverify check
// --sandbox); -issuer the authorization server a needs-issuer variant
// trusts ({issuer} of mcpverify check --auth-mock), http on loopback. The
// server's canonical URI is its URL.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// listEntry is one line of -list (JSON lines).
type listEntry struct {
	Name          string   `json:"name"`
	Kind          string   `json:"kind"`
	Breaks        []string `json:"breaks"`
	Defect        string   `json:"defect"`
	StateTTLMaxMs int64    `json:"stateTtlMaxMs,omitempty"`
}

// run is faultyserve with its arguments and streams; it serves until ctx
// is done (or, on stdio, until stdin ends). ready, if set, receives the
// URL once an HTTP server listens.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, ready chan<- string) int {
	fs := flag.NewFlagSet("faultyserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.Bool("list", false, "print every server of the catalog, one JSON object a line: name, kind (http, stdio, hostile, needs-dir, needs-issuer, needs-principals), breaks, defect")
	name := fs.String("variant", "", "serve the server `NAME` (faultyserve -list; \"reference\" is the unbroken reference server)")
	httpAddr := fs.String("http", "", "serve Streamable HTTP on the loopback `ADDR` (host:port), at http://ADDR/mcp")
	stdio := fs.Bool("stdio", false, "serve newline-delimited JSON-RPC on stdin and stdout")
	dir := fs.String("dir", "", "the `DIR` a needs-dir variant (or the reference) is told to use")
	issuer := fs.String("issuer", "", "the issuer `URL` of the authorization server a needs-issuer variant (or the reference) trusts: http on loopback, as mcpverify check --auth-mock serves it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "faultyserve: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	if *list {
		return printList(stdout)
	}
	e, err := faulty.Find(*name)
	if err != nil {
		return usage("%v", err)
	}
	switch {
	case *stdio == (*httpAddr != ""):
		return usage("want one of -http ADDR and -stdio")
	case *stdio && e.Kind != faulty.KindStdio && e.Name != faulty.Reference:
		return usage("%s is served over HTTP (kind %s)", e.Name, e.Kind)
	case *stdio && (*dir != "" || *issuer != ""):
		return usage("-dir and -issuer apply to -http")
	case e.Kind == faulty.KindDir && *dir == "":
		return usage("%s needs -dir", e.Name)
	case e.Kind == faulty.KindIssuer && *issuer == "":
		return usage("%s needs -issuer", e.Name)
	}
	if *stdio {
		if err := e.ServeStdio(ctx, stdin, stdout); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "faultyserve: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if err := checkIssuer(*issuer); err != nil {
		return usage("-issuer: %v", err)
	}
	host, _, err := net.SplitHostPort(*httpAddr)
	if err != nil || !wire.IsLoopbackHost(host) {
		return usage("-http %q: want a loopback host:port", *httpAddr)
	}
	return serveHTTP(ctx, e, *httpAddr, *dir, *issuer, stderr, ready)
}

// checkIssuer accepts "" or an http URL on a loopback host.
func checkIssuer(issuer string) error {
	if issuer == "" {
		return nil
	}
	u, err := http.NewRequest(http.MethodGet, issuer, nil)
	if err != nil {
		return err
	}
	if u.URL.Scheme != "http" || !wire.IsLoopbackHost(u.URL.Hostname()) {
		return fmt.Errorf("%q: want http://HOST:PORT on loopback", issuer)
	}
	return nil
}

func printList(stdout io.Writer) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, e := range faulty.Catalog() {
		l := listEntry{Name: e.Name, Kind: string(e.Kind), Breaks: []string{}, Defect: e.Defect, StateTTLMaxMs: e.StateTTLMax.Milliseconds()}
		for _, id := range e.Breaks {
			l.Breaks = append(l.Breaks, string(id))
		}
		if err := enc.Encode(l); err != nil {
			return exitError
		}
	}
	return exitOK
}

// serveHTTP serves e on addr until ctx is done.
func serveHTTP(ctx context.Context, e faulty.Entry, addr, dir, issuer string, stderr io.Writer, ready chan<- string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "faultyserve: %v\n", err)
		return exitError
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String() + impl.Endpoint
	s := faulty.Setup{Dir: dir}
	if issuer != "" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		s.Auth = faulty.AuthSetup{Issuer: issuer, Transport: tr, Resource: url}
	}
	stop := make(chan struct{})
	h, srv, err := e.HTTPHandler(s, stop)
	if err != nil {
		fmt.Fprintf(stderr, "faultyserve: %v\n", err)
		return exitError
	}
	hs := srv.HTTPServer()
	hs.Handler = h
	fmt.Fprintf(stderr, "faultyserve: serving MCP %s on %s (%s: %s)\n", wire.Version, url, e.Name, e.Defect)
	if ready != nil {
		ready <- url
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(srv.Listener(ln)) }()
	code := exitOK
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "faultyserve: %v\n", err)
		code = exitError
	case <-ctx.Done():
	}
	close(stop)
	srv.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if hs.Shutdown(sctx) != nil {
		hs.Close()
	}
	return code
}
