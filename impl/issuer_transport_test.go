package impl

import (
	"net/http"
	"sync"
	"testing"
)

// recordingTransport records the URLs it carries and passes them on.
type recordingTransport struct {
	mu   sync.Mutex
	urls []string
	next http.RoundTripper
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.urls = append(rt.urls, r.URL.String())
	rt.mu.Unlock()
	return rt.next.RoundTrip(r)
}

// TestIssuerTransport: with Config.IssuerTransport, the issuer's metadata
// and key set are fetched through it, and only they; its redirects are
// still not followed.
func TestIssuerTransport(t *testing.T) {
	iss := newTestIssuer(t, nil)
	rt := &recordingTransport{next: http.DefaultTransport}
	clock := newTestClock()
	h := issuerHarness(t, iss, clock, func(c *Config) { c.IssuerTransport = rt })
	if r := callWith(h, "Bearer "+iss.rs256(iss.claims(clock.Now()))); r.status != 200 || r.errCode() != 0 {
		t.Fatalf("a correct token: HTTP %d %s", r.status, r.body)
	}
	want := []string{iss.ts.URL + "/.well-known/oauth-authorization-server/tenant", iss.ts.URL + "/jwks"}
	if len(rt.urls) != len(want) || rt.urls[0] != want[0] || rt.urls[1] != want[1] {
		t.Errorf("fetched through the transport: %q, want %q", rt.urls, want)
	}

	// A key set that redirects: the transport carries the first request,
	// the redirect is not followed, the token cannot be checked (503).
	iss2 := newTestIssuer(t, nil)
	iss2.metadata = map[string]any{"issuer": iss2.url, "jwks_uri": iss2.ts.URL + "/moved"}
	rt2 := &recordingTransport{next: http.DefaultTransport}
	h2 := issuerHarness(t, iss2, clock, func(c *Config) { c.IssuerTransport = rt2 })
	if r := callWith(h2, "Bearer "+iss2.rs256(iss2.claims(clock.Now()))); r.status != http.StatusServiceUnavailable {
		t.Errorf("a redirecting key set: HTTP %d, want 503", r.status)
	}
	if len(rt2.urls) != 2 || rt2.urls[1] != iss2.ts.URL+"/moved" {
		t.Errorf("fetched through the transport: %q", rt2.urls)
	}
}
