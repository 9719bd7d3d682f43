package authmock_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/go-jose/go-jose/v4"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// getVia fetches u through rt and decodes its JSON answer into v.
func getVia(t *testing.T, rt http.RoundTripper, u string, v any) *http.Response {
	t.Helper()
	res, err := (&http.Client{Transport: rt}).Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", u, err, b)
		}
	}
	return res
}

// TestMockInMemory: an in-memory server claims its issuer and serves its
// metadata, its JWKS and its token endpoint through Transport, inside a
// synctest bubble (no socket, no goroutine left behind).
func TestMockInMemory(t *testing.T) {
	s := newServer(t, authmock.Options{InMemory: true, MintEndpoint: true})
	synctest.Test(t, func(t *testing.T) {
		if s.Issuer() != authmock.DefaultInMemoryIssuer {
			t.Fatalf("issuer %q, want %q", s.Issuer(), authmock.DefaultInMemoryIssuer)
		}
		rt := s.Transport()
		var md authmock.Metadata
		res := getVia(t, rt, s.Issuer()+authmock.MetadataPath, &md)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || !jsonEq(md, s.Metadata()) {
			t.Fatalf("metadata: %s %q %+v", res.Status, res.Header.Get("Content-Type"), md)
		}
		if res.Request == nil || res.ContentLength <= 0 {
			t.Errorf("metadata answer: Request %v, ContentLength %d", res.Request, res.ContentLength)
		}
		var set jose.JSONWebKeySet
		if res := getVia(t, rt, md.JWKSURI, &set); res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/jwk-set+json" {
			t.Fatalf("JWKS: %s %q", res.Status, res.Header.Get("Content-Type"))
		}
		tok, err := s.Mint(authmock.Claims{Subject: authmock.Alice, Resource: "http://127.0.0.1:8080/mcp"}, authmock.None)
		if err != nil {
			t.Fatal(err)
		}
		if c := verified(t, set, tok); c["iss"] != authmock.DefaultInMemoryIssuer || c["sub"] != authmock.Alice {
			t.Errorf("claims %v", c)
		}

		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {authmock.ClientID}, "resource": {"http://127.0.0.1:8080/mcp"}}
		res, err = (&http.Client{Transport: rt}).PostForm(md.TokenEndpoint, form)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		err = json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || got["access_token"] == nil {
			t.Fatalf("token endpoint: %s %v %v", res.Status, got, err)
		}
		verified(t, set, got["access_token"].(string))

		// The body limit of the listener holds in memory too.
		big := url.Values{"grant_type": {strings.Repeat("x", 10<<10)}}
		res, err = (&http.Client{Transport: rt}).PostForm(md.TokenEndpoint, big)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("a 10 KiB form: %s, want 400", res.Status)
		}
		// The handler answers the same paths directly.
		rec := &recorder{header: http.Header{}}
		s.Handler().ServeHTTP(rec, mustRequest(t, "GET", s.Issuer()+authmock.JWKSPath))
		if rec.status != 200 {
			t.Errorf("Handler: JWKS %d", rec.status)
		}
		if res := getVia(t, rt, s.Issuer()+"/nothing", nil); res.StatusCode != 404 {
			t.Errorf("an unknown path: %s", res.Status)
		}
		if res := getVia(t, rt, s.Issuer()+authmock.MintPath+"?sub=bob&aud=http://127.0.0.1:8080/mcp", nil); res.StatusCode != 200 {
			t.Errorf("mint endpoint: %s", res.Status)
		}
	})
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(c int) {
	if r.status == 0 {
		r.status = c
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.WriteHeader(200); return len(b), nil }

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestMockInMemoryIssuer: an in-memory server claims the issuer it is
// given, an origin; New refuses another issuer, and an issuer for a
// listening server.
func TestMockInMemoryIssuer(t *testing.T) {
	s := newServer(t, authmock.Options{InMemory: true, Issuer: "https://as.example:8443"})
	var md authmock.Metadata
	getVia(t, s.Transport(), "https://as.example:8443"+authmock.MetadataPath, &md)
	if md.Issuer != "https://as.example:8443" || md.JWKSURI != "https://as.example:8443"+authmock.JWKSPath {
		t.Errorf("metadata %+v", md)
	}
	for _, iss := range []string{"https://as.example/", "https://as.example/tenant", "https://as.example?x=1", "https://as.example#f",
		"ftp://as.example", "https://u@as.example", "as.example", "http://"} {
		if _, err := authmock.New(authmock.Options{InMemory: true, Issuer: iss}); err == nil {
			t.Errorf("issuer %q accepted", iss)
		}
	}
	if s, err := authmock.New(authmock.Options{Issuer: "http://127.0.0.1:9"}); err == nil {
		s.Close()
		t.Error("an issuer for a listening server accepted")
	}
}

// TestMockTransportContext: a request whose context is done is not
// served, and its body is closed.
func TestMockTransportContext(t *testing.T) {
	s := newServer(t, authmock.Options{InMemory: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := &closeCounter{Reader: strings.NewReader("grant_type=client_credentials")}
	req, err := http.NewRequestWithContext(ctx, "POST", s.Issuer()+authmock.TokenPath, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transport().RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if body.closed != 1 {
		t.Errorf("body closed %d times", body.closed)
	}
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }
