package impl

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// Origin and Host (streamable-http.mdx, "Security & Endpoint": a present,
// invalid Origin gets 403, against DNS rebinding).
//
// An Origin is allowed when, normalised, it is one of the server's own
// origins or one configured (Config.AllowedOrigins). The server's own
// origin is the address the request's connection arrived at, as the
// server listens on it: http://127.0.0.1:8080 for a server on
// 127.0.0.1:8080 (https when the connection is TLS). Nothing else counts
// as own: not another loopback address (127.0.0.2, [::ffff:127.0.0.1]),
// which another process may serve, and not http://localhost:8080, which a
// browser may send to another socket on that port ([::1]:8080); such
// origins are allowed only when configured.
//
// The Origin parser is strict and total: an origin is the RFC 6454
// serialisation scheme "://" host [":" port] with scheme http or https;
// the host a DNS name of letters, digits, '-' and '_' in non-empty labels,
// a dotted-quad IPv4 address, or a bracketed IPv6 address without a zone
// identifier; the port decimal, 1 to 65535, without leading zeros. Anything
// else (userinfo, a path, even "/", percent escapes, a zone, "null", a
// numeric host that is no dotted quad) is not an origin and gets 403.

// normalizeOrigin puts an origin in the form scheme://host:port, lower
// case, the IP address canonical and the port explicit; ok is false for
// anything that is not an http(s) origin.
func normalizeOrigin(o string) (string, bool) {
	scheme, rest, found := strings.Cut(o, "://")
	if !found {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	port := ""
	switch scheme {
	case "http":
		port = "80"
	case "https":
		port = "443"
	default:
		return "", false
	}
	var host string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", false
		}
		a, err := netip.ParseAddr(rest[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		host, rest = "["+a.String()+"]", rest[end+1:]
	} else {
		end := strings.IndexByte(rest, ':')
		if end < 0 {
			end = len(rest)
		}
		var ok bool
		if host, ok = originHostName(rest[:end]); !ok {
			return "", false
		}
		rest = rest[end:]
	}
	if rest != "" {
		p, ok := originPort(rest)
		if !ok {
			return "", false
		}
		port = p
	}
	return scheme + "://" + host + ":" + port, true
}

// originHostName checks a host that is not bracketed: a DNS name or a
// dotted-quad IPv4 address, returned in lower case.
func originHostName(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	h = strings.ToLower(h)
	numeric := true
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return "", false
		}
		numeric = true
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c == '-', c == '_':
				numeric = false
			default:
				return "", false
			}
		}
	}
	if numeric {
		// A name whose last label is a number is an IPv4 address to a
		// browser (which would have sent it as a dotted quad): only the
		// dotted quad itself is accepted.
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is4() {
			return "", false
		}
	}
	return h, true
}

// originPort checks ":port": decimal, 1-65535, no leading zero.
func originPort(s string) (string, bool) {
	p := strings.TrimPrefix(s, ":")
	if len(p) == len(s) || p == "" || len(p) > 5 || p[0] == '0' {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "", false
		}
	}
	if n, _ := strconv.Atoi(p); n > 65535 {
		return "", false
	}
	return p, true
}

// ownOrigin is the origin of the address r's connection arrived at, or ""
// when it is not known.
func ownOrigin(r *http.Request) string {
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if addr == nil {
		return ""
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	a := ap.Addr().Unmap().WithZone("")
	host := a.String()
	if a.Is6() {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + strconv.Itoa(int(ap.Port()))
}

// originAllowed checks an Origin header: allowed exactly when its
// normalised form is configured or the server's own.
func (h *httpHandler) originAllowed(origin string, r *http.Request) bool {
	n, ok := normalizeOrigin(origin)
	if !ok {
		return false
	}
	return h.origins[n] || n == ownOrigin(r)
}

// hostAllowed checks the Host header: a configured host[:port], or by
// default a loopback name (localhost, or a loopback IP address) on any
// port.
func (h *httpHandler) hostAllowed(hostport string) bool {
	if hostport == "" {
		return false
	}
	host, port := splitHost(hostport)
	host = strings.ToLower(host)
	if h.hosts == nil {
		return isLoopbackName(host)
	}
	for _, rule := range h.hosts {
		if rule.host == host && (rule.port == "" || rule.port == port) {
			return true
		}
	}
	return false
}

// splitHost splits "host", "host:port", "[v6]" or "[v6]:port".
func splitHost(hp string) (host, port string) {
	if h, p, err := net.SplitHostPort(hp); err == nil {
		return h, p
	}
	return strings.TrimSuffix(strings.TrimPrefix(hp, "["), "]"), ""
}

// isLoopbackName: localhost, or a loopback IP address without a zone.
func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && a.Unmap().IsLoopback()
}
