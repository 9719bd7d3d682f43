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

// TestOriginNormalForm pins what the Origin parser makes of each class of
// input, exactly: the normal form of what is an origin (scheme and host
// lowercased, the IP address canonical, the default port explicit) and a
// refusal of everything else, at the edges of each rule (the port range
// and its leading zero, the letters and digits of a label, the dotted
// quad, the brackets of an IPv6 address).
func TestOriginNormalForm(t *testing.T) {
	for origin, want := range map[string]string{
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
		"HTTP://Example.COM":           "http://example.com:80",
		"https://example.com":          "https://example.com:443",
		"HTTPS://example.com:8443":     "https://example.com:8443",
		"http://az09-_.example:1":      "http://az09-_.example:1",
		"http://a.b.c.d.example:65535": "http://a.b.c.d.example:65535",
		"http://123.example:9":         "http://123.example:9",
		"http://10.0.0.9:80":           "http://10.0.0.9:80",
		"http://[2001:DB8:0::1]:9000":  "http://[2001:db8::1]:9000",
		"http://[::1]":                 "http://[::1]:80",
		"https://[::ffff:127.0.0.1]":   "https://[::ffff:127.0.0.1]:443",
		"http://localhost:19":          "http://localhost:19",
		// Not origins.
		"":                          "",
		"example.com":               "",
		"ftp://example.com":         "",
		"http://":                   "",
		"http://:80":                "",
		"http://a..b":               "",
		"http://.example":           "",
		"http://example.":           "",
		"http://exa%6dple.com":      "",
		"http://ex ample.com":       "",
		"http://example.123":        "",
		"http://1.2.3":              "",
		"http://1.2.3.4.5":          "",
		"http://256.0.0.1":          "",
		"http://[127.0.0.1]:80":     "",
		"http://[::1":               "",
		"http://[::1]x":             "",
		"http://[::1]:":             "",
		"http://[fe80::1%25lo]:80":  "",
		"http://example.com:":       "",
		"http://example.com:0":      "",
		"http://example.com:080":    "",
		"http://example.com:65536":  "",
		"http://example.com:99999":  "",
		"http://example.com:123456": "",
		"http://example.com:8a":     "",
		"http://example.com:/8":     "",
		"http://example.com::80":    "",
		"http://example.com:80/":    "",
	} {
		got, ok := normalizeOrigin(origin)
		if ok != (want != "") || got != want {
			t.Errorf("normalizeOrigin(%q) = %q, %v; want %q", origin, got, ok, want)
		}
	}
}

// TestOwnOrigin: the server's own origin is the address the connection
// arrived at, IPv6 in brackets, an IPv4-mapped address as IPv4, https on
// TLS; without a known local address there is none.
func TestOwnOrigin(t *testing.T) {
	at := func(addr net.Addr, isTLS bool) *http.Request {
		r := &http.Request{}
		if isTLS {
			r.TLS = &tls.ConnectionState{}
		}
		if addr == nil {
			return r
		}
		return r.WithContext(context.WithValue(context.Background(), http.LocalAddrContextKey, addr))
	}
	for _, c := range []struct {
		r    *http.Request
		want string
	}{
		{at(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, false), "http://127.0.0.1:8080"},
		{at(&net.TCPAddr{IP: net.IPv6loopback, Port: 8443}, true), "https://[::1]:8443"},
		{at(&net.TCPAddr{IP: net.ParseIP("::ffff:10.1.2.3"), Port: 80}, false), "http://10.1.2.3:80"},
		{at(&net.UnixAddr{Name: "/run/mcp.sock", Net: "unix"}, false), ""},
		{at(nil, false), ""},
	} {
		if got := ownOrigin(c.r); got != c.want {
			t.Errorf("ownOrigin = %q, want %q", got, c.want)
		}
	}
}

// TestHostAllowed pins the Host rule: by default a loopback name on any
// port (localhost, any loopback IP address, bracketed or not, mapped or
// not, never with a zone); with configured hosts exactly those, each on
// its port or on any when it names none.
func TestHostAllowed(t *testing.T) {
	conf := newTestServer(t, Config{AllowedHosts: []string{"API.example.com:8443", "internal", "[2001:db8::1]:9000"}}).Handler().(*httpHandler)
	for _, c := range []struct {
		name  string
		h     *httpHandler
		hosts map[string]bool
	}{
		{"default", &httpHandler{}, map[string]bool{
			"localhost":          true,
			"LOCALHOST:8080":     true,
			"127.0.0.5:1":        true,
			"[::1]:80":           true,
			"[::1]":              true,
			"::1":                true,
			"[::ffff:127.0.0.1]": true,
			"":                   false,
			"example.com":        false,
			"localhost.evil.com": false,
			"10.0.0.1:8080":      false,
			"[fe80::1%25lo]:80":  false,
			"[::1%25lo]:80":      false,
		}},
		{"configured", conf, map[string]bool{
			"api.example.com:8443": true,
			"API.EXAMPLE.COM:8443": true,
			"api.example.com:443":  false,
			"api.example.com":      false,
			"internal":             true,
			"internal:1":           true,
			"INTERNAL:65535":       true,
			"[2001:db8::1]:9000":   true,
			"[2001:db8::1]:9001":   false,
			"localhost":            false,
			"127.0.0.1":            false,
			"":                     false,
		}},
	} {
		for host, want := range c.hosts {
			if got := c.h.hostAllowed(host); got != want {
				t.Errorf("%s hostAllowed(%q) = %v, want %v", c.name, host, got, want)
			}
		}
	}
}
