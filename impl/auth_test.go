package impl

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// Principals of the tests that authenticate.
const (
	tokAlice = "tok-alice-0123456789"
	tokBob   = "tok-bob-0123456789"
)

var testTokens = map[string]string{tokAlice: "alice", tokBob: "bob", "tok-alice-rotated": "alice"}

// callAs calls a tool as the holder of token ("" sends no Authorization),
// with request id 1.
func callAs(h *harness, token, name string, args map[string]any, extra map[string]any) *resp {
	h.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	p := map[string]any{"name": name, "arguments": args}
	for k, v := range extra {
		p[k] = v
	}
	r := rpc{Method: "tools/call", Params: p}
	if token != "" {
		r.Headers = map[string]string{"Authorization": "Bearer " + token}
	}
	return h.do(r)
}

// testClock is a settable clock, safe to read from the server's
// goroutines.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Unix(1_800_000_000, 0).UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestAuthChallenge(t *testing.T) {
	h := newHarness(t, Config{Tokens: testTokens})
	cases := []struct {
		name, auth string
		wantError  bool // error="invalid_token" in the challenge
	}{
		{"no header", "", false},
		{"another scheme", "Basic YWxpY2U6cHc=", false},
		{"unknown token", "Bearer not-a-token", true},
		{"empty bearer", "Bearer ", true},
		{"token of another case", "Bearer " + strings.ToUpper(tokAlice), true},
		{"token with a suffix", "Bearer " + tokAlice + "x", true},
		{"token prefix", "Bearer " + tokAlice[:len(tokAlice)-1], true},
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.auth != "" {
			hdr["Authorization"] = c.auth
		}
		r := h.do(rpc{ID: 7, Method: "tools/list", Headers: hdr})
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d %s", c.name, r.status, r.body)
			continue
		}
		ch := r.header.Get("WWW-Authenticate")
		if !strings.HasPrefix(ch, "Bearer ") || strings.Contains(ch, `error="invalid_token"`) != c.wantError {
			t.Errorf("%s: WWW-Authenticate %q", c.name, ch)
		}
		// No CORS header without an allowed Origin: the challenge is
		// exposed to cross-origin scripts only on a CORS response.
		if v, ok := r.header["Access-Control-Expose-Headers"]; ok {
			t.Errorf("%s: Access-Control-Expose-Headers %q without an Origin", c.name, v)
		}
		// Nothing of the body is read for a caller without credentials:
		// the error has no id.
		if r.errCode() != wire.CodeInvalidRequest || r.msg["id"] != nil {
			t.Errorf("%s: body %s; want a JSON-RPC error without id", c.name, r.body)
		}
	}
	// The scheme is case-insensitive; every token of a principal works.
	for _, auth := range []string{"Bearer " + tokAlice, "bearer " + tokAlice, "BEARER  " + tokAlice, "Bearer tok-alice-rotated"} {
		if r := h.do(rpc{Method: "tools/list", Headers: map[string]string{"Authorization": auth}}); r.status != 200 || get(r.result(), "tools") == nil {
			t.Errorf("%q: %d %s", auth, r.status, r.body)
		}
	}
	// Two Authorization headers: refused.
	if st := twoAuthorizations(t, h, "Bearer "+tokAlice, "Bearer "+tokBob); st != http.StatusUnauthorized {
		t.Errorf("two Authorization headers: HTTP %d", st)
	}
	// An unreadable body: 401 with an id-less error.
	r := h.do(rpc{Raw: []byte(`{"jsonrpc":`), Method: "tools/list"})
	if r.status != http.StatusUnauthorized || r.errCode() != wire.CodeInvalidRequest || r.msg["id"] != nil {
		t.Errorf("unreadable body: %d %s", r.status, r.body)
	}
	// A notification needs credentials too.
	r = h.do(rpc{Raw: []byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`), Method: "notifications/cancelled"})
	if r.status != http.StatusUnauthorized {
		t.Errorf("notification without a token: %d", r.status)
	}
}

// TestAuthAfterOriginAndHost: a DNS-rebinding page gets 403 whatever it
// sends; a CORS preflight (which carries no credentials) is answered.
func TestAuthAfterOriginAndHost(t *testing.T) {
	h := newHarness(t, Config{Tokens: testTokens})
	for name, hdr := range map[string]map[string]string{
		"bad Origin, no token":    {"Origin": "https://evil.example"},
		"bad Origin, valid token": {"Origin": "https://evil.example", "Authorization": "Bearer " + tokAlice},
		"bad Host, no token":      {"Host": "evil.example"},
	} {
		if r := h.do(rpc{Method: "tools/list", Headers: hdr}); r.status != http.StatusForbidden {
			t.Errorf("%s: HTTP %d, want 403", name, r.status)
		}
	}
	origin := "http://" + h.ts.Listener.Addr().String()
	req, _ := http.NewRequest("OPTIONS", h.url, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "authorization") {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
	// An allowed Origin without a token: 401, the challenge readable by the
	// page.
	r := h.do(rpc{Method: "tools/list", Headers: map[string]string{"Origin": origin}})
	if r.status != http.StatusUnauthorized || r.header.Get("Access-Control-Expose-Headers") != "WWW-Authenticate" {
		t.Errorf("allowed Origin, no token: %d %v", r.status, r.header)
	}
}

func TestAuthConfig(t *testing.T) {
	for name, toks := range map[string]map[string]string{
		"empty token":          {"": "alice"},
		"token with a space":   {"a b": "alice"},
		"empty principal name": {"tok": ""},
	} {
		if _, err := New(Config{Tokens: toks}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An empty, non-nil map: authentication on, nobody gets in.
	h := newHarness(t, Config{Tokens: map[string]string{}})
	if r := h.do(rpc{Method: "tools/list", Headers: map[string]string{"Authorization": "Bearer x"}}); r.status != http.StatusUnauthorized {
		t.Errorf("empty Tokens: %d", r.status)
	}
}

// TestStdioPrincipal: over stdio every request is Config.StdioPrincipal;
// a cart created there belongs to that principal over HTTP too.
func TestStdioPrincipal(t *testing.T) {
	s := newTestServer(t, Config{Tokens: testTokens, StdioPrincipal: "alice"})
	ts := newHarnessFor(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ss := newStdio(t, s, ctx)
	ss.sendRPC(rpc{Method: "tools/call", Params: map[string]any{"name": "cart_create", "arguments": map[string]any{}}})
	m := ss.next()
	id, _ := get(m, "result", "structuredContent", "cart_id").(string)
	if !wellFormedCartHandle(id) {
		t.Fatalf("cart_create on stdio: %v", m)
	}
	if r := callAs(ts, tokAlice, "cart_view", map[string]any{"cart_id": id}, nil); get(r.result(), "isError") == true {
		t.Errorf("alice over HTTP: %s", r.body)
	}
	if r := callAs(ts, tokBob, "cart_view", map[string]any{"cart_id": id}, nil); get(r.result(), "isError") != true {
		t.Errorf("bob over HTTP: %s", r.body)
	}
}

// newHarnessFor serves an existing Server over a loopback listener.
func newHarnessFor(t *testing.T, s *Server) *harness {
	t.Helper()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, s: s, ts: ts, url: ts.URL + Endpoint}
}

// twoAuthorizations sends tools/list with two Authorization headers and
// returns the HTTP status.
func twoAuthorizations(t *testing.T, h *harness, a, b string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", h.url, bytes.NewReader(rpc{Method: "tools/list"}.body()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Mcp-Method", "tools/list")
	req.Header.Set("MCP-Protocol-Version", wire.Version)
	req.Header["Authorization"] = []string{a, b}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
