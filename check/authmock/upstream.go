package authmock

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// maxUpstreamRecords bounds what an UpstreamProbe keeps.
const maxUpstreamRecords = 256

// UpstreamProbe is a loopback HTTP service that answers every request
// with 200 and a small JSON body and records its method, path, query and
// headers (check.Upstream): a server under test pointed at it shows
// whether it passes its callers' tokens on.
type UpstreamProbe struct {
	ln   net.Listener
	hs   *http.Server
	url  string
	done chan struct{}

	mu   sync.Mutex
	reqs []check.UpstreamRequest
}

var _ check.Upstream = (*UpstreamProbe)(nil)

// NewUpstreamProbe listens on the loopback addr (host:port; port 0 picks
// one) and serves until Close.
func NewUpstreamProbe(addr string) (*UpstreamProbe, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !wire.IsLoopbackHost(host) {
		return nil, fmt.Errorf("authmock: upstream probe address %q: want a loopback host:port", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("authmock: upstream probe: %w", err)
	}
	p := &UpstreamProbe{ln: netutil.LimitListener(ln, maxConns), url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	p.hs = &http.Server{Handler: http.MaxBytesHandler(http.HandlerFunc(p.serve), maxBodyBytes), ReadHeaderTimeout: ioTimeout,
		ReadTimeout: ioTimeout, WriteTimeout: ioTimeout, IdleTimeout: ioTimeout, MaxHeaderBytes: maxHeaderBytes}
	go func() {
		defer close(p.done)
		p.hs.Serve(p.ln)
	}()
	return p, nil
}

func (p *UpstreamProbe) serve(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	p.mu.Lock()
	if len(p.reqs) < maxUpstreamRecords {
		p.reqs = append(p.reqs, check.UpstreamRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()})
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

// URL is the probe's base URL.
func (p *UpstreamProbe) URL() string { return p.url }

// Received returns the requests recorded so far (at most 256).
func (p *UpstreamProbe) Received() []check.UpstreamRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]check.UpstreamRequest(nil), p.reqs...)
}

// Close stops the probe and waits for its serving goroutine.
func (p *UpstreamProbe) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := p.hs.Shutdown(ctx)
	if err != nil {
		err = p.hs.Close()
	}
	<-p.done
	return err
}
