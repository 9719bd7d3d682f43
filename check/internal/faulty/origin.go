package faulty

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the DNS-rebinding defences (basic/transports/streamable-http.mdx,
// "Security & Endpoint"; HTTP-HOST and HTTP-CORS are hardening).

func init() {
	Register(&Variant{
		Name:   "origin-host-only",
		Defect: "the Origin check looks only at Host: when Host is a loopback name, Origin is dropped before the server sees it",
		Breaks: []spec.ID{spec.HttpOrigin},
		Only:   []string{"origin/origin"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if loopbackHostHeader(r.Host) {
					r.Header.Del("Origin")
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "origin-zone-panics",
		Defect: "an Origin with an IPv6 zone identifier makes origin normalisation dereference nil; the recovered panic is answered 500, not 403",
		Breaks: []spec.ID{spec.HttpOrigin},
		Only:   []string{"origin/origin"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.Header.Get("Origin"), "%") {
					http.Error(w, "internal server error", http.StatusInternalServerError)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "origin-any-loopback",
		Defect: "any loopback address on the server's port counts as its own origin (127.0.0.2, [::ffff:127.0.0.1])",
		Breaks: []spec.ID{spec.HttpOriginExact},
		Only:   []string{"origin/exact"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if u, err := url.Parse(r.Header.Get("Origin")); err == nil && wire.IsLoopbackHost(u.Hostname()) && loopbackHostHeader(r.Host) {
					if _, port, err := net.SplitHostPort(r.Host); err == nil && port == wire.EffectivePort(u) {
						r.Header.Set("Origin", u.Scheme+"://"+r.Host)
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "any-host",
		Defect: "any Host header is served (it is replaced by the address the request arrived at)",
		Breaks: []spec.ID{spec.HttpHost},
		Only:   []string{"origin/host"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
					r.Host = a.String()
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "cors-wildcard",
		Defect: "CORS preflights the server accepts are answered with Access-Control-Allow-Origin: *",
		Breaks: []spec.ID{spec.HttpCors},
		Only:   []string{"origin/cors"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					w = &wildcardCORS{ResponseWriter: w}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
}

// loopbackHostHeader reports a Host header (host[:port]) naming a
// loopback host.
func loopbackHostHeader(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	return wire.IsLoopbackHost(h)
}

// wildcardCORS sets Access-Control-Allow-Origin: * on a successful answer.
type wildcardCORS struct {
	http.ResponseWriter
	wrote bool
}

func (w *wildcardCORS) WriteHeader(code int) {
	if !w.wrote && code >= 200 && code < 300 {
		w.Header()["Access-Control-Allow-Origin"] = []string{"*"}
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *wildcardCORS) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
