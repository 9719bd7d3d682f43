package impl

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// fuzzOwn is the address the fuzzed requests arrive at.
var fuzzOwn = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}

// fuzzConfigured are the configured origins of the fuzzed handler.
var fuzzConfigured = []string{"https://app.example.com", "http://[2001:db8::1]:9000", "http://localhost:3000"}

// FuzzOrigin checks the Origin and Host parser on any input: it never
// panics, and an Origin is allowed exactly when its normalised form is a
// configured origin or the server's own (the address the request arrived
// at); normalising is idempotent; and what is allowed reads the same to
// net/url (scheme, host and port): no origin is allowed that another
// parser reads as another one.
func FuzzOrigin(f *testing.F) {
	for _, o := range []string{
		"http://127.0.0.1:8080", "HTTP://127.0.0.1:8080", "https://127.0.0.1:8080",
		"http://[::1%25lo]:8080", "http://[::1%lo]:8080", "http://[fe80::1%25eth0]:8080",
		"http://127.0.0.2:8080", "http://[::ffff:127.0.0.1]:8080", "http://[::1]:8080",
		"http://localhost:8080", "http://localhost:3000", "http://LOCALHOST:3000",
		"https://app.example.com", "https://app.example.com:443", "https://app.example.com:0443",
		"http://[2001:db8:0::1]:9000", "http://[2001:DB8::1]:9000",
		"null", "", "http://", "http://:8080", "http://127.0.0.1:", "http://127.0.0.1:65536",
		"http://127.1:8080", "http://0x7f.0.0.1:8080", "http://127.0.0.1.:8080", "http://127.0.0.1:8080/",
		"http://user@127.0.0.1:8080", "http://127.0.0.1:8080@evil.test", "http://127.0.0.1%2e:8080",
		"http://[::1]]:8080", "http://[:8080", "http://[]:8080", "file://", "chrome-extension://abc",
		"http://xn--bcher-kva.example:8080", "http://127.0.0.1:8080?x", "http://127.0.0.1:8080#x",
		"http://127.0.0.1\t:8080", "http://127.0.0.1:+8080", "http://127.0.0.1:8080:8080",
	} {
		f.Add(o, "127.0.0.1:8080", false)
	}
	f.Add("https://127.0.0.1:8080", "[::1%25lo]:8080", true)
	f.Add("http://localhost:3000", "LOCALHOST", false)
	s, err := New(Config{AllowedOrigins: fuzzConfigured})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler().(*httpHandler)
	own := map[bool]string{false: "http://127.0.0.1:8080", true: "https://127.0.0.1:8080"}
	configured := map[string]bool{}
	for _, o := range fuzzConfigured {
		n, ok := normalizeOrigin(o)
		if !ok {
			f.Fatalf("configured %q does not normalise", o)
		}
		configured[n] = true
	}
	f.Fuzz(func(t *testing.T, origin, host string, isTLS bool) {
		r := &http.Request{Host: host}
		if isTLS {
			r.TLS = &tls.ConnectionState{}
		}
		r = r.WithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, net.Addr(fuzzOwn)))
		h.hostAllowed(host)
		allowed := h.originAllowed(origin, r)
		n, ok := normalizeOrigin(origin)
		if allowed != (ok && (configured[n] || n == own[isTLS])) {
			t.Fatalf("Origin %q (normalised %q, %v): allowed %v", origin, n, ok, allowed)
		}
		if !ok {
			return
		}
		if n2, ok2 := normalizeOrigin(n); !ok2 || n2 != n {
			t.Fatalf("normalising %q gives %q, then %q (%v)", origin, n, n2, ok2)
		}
		if !allowed {
			return
		}
		u, err := url.Parse(origin)
		if err != nil || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			t.Fatalf("allowed %q, which net/url reads as %#v (%v)", origin, u, err)
		}
		want, _ := url.Parse(n)
		if !strings.EqualFold(u.Scheme, want.Scheme) || !sameHost(u.Hostname(), want.Hostname()) || effectivePort(u) != want.Port() {
			t.Fatalf("allowed %q as %q, which net/url reads as %s://%s port %s", origin, n, u.Scheme, u.Hostname(), effectivePort(u))
		}
	})
}

func sameHost(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	return err1 == nil && err2 == nil && x == y
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return strings.TrimLeft(p, "0")
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
