package authmock_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// flaw is a check that a resource server under test leaves out.
type flaw int

const (
	flawless flaw = iota
	noAudience
	audPrefix
	noIssuer
	noExpiry
	queryToken
)

// resourceServer is a resource server trusting the mock's issuer, as
// strict as RFC 9068 or with one flaw. It answers 200 or the status of
// its refusal.
func resourceServer(t *testing.T, s *authmock.Server, resource string, f flaw) http.Handler {
	set := fetchJWKS(t, s)
	canon := func(u string) string {
		p, err := url.Parse(u)
		if err != nil {
			return ""
		}
		p.Scheme, p.Host = strings.ToLower(p.Scheme), strings.ToLower(p.Host)
		return p.String()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs := r.Header.Values("Authorization")
		if f == queryToken && len(hs) == 0 && r.URL.Query().Get("access_token") != "" {
			hs = []string{"Bearer " + r.URL.Query().Get("access_token")}
		}
		if len(hs) == 0 {
			w.WriteHeader(401)
			return
		}
		scheme, tok, _ := strings.Cut(hs[0], " ")
		if len(hs) != 1 || !strings.EqualFold(scheme, "Bearer") || strings.ContainsAny(tok, " ,") {
			w.WriteHeader(400)
			return
		}
		p, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil || p.Headers[0].ExtraHeaders[jose.HeaderType] != authmock.TokenType {
			w.WriteHeader(401)
			return
		}
		ks := set.Key(p.Headers[0].KeyID)
		var c josejwt.Claims
		if len(ks) != 1 || ks[0].Algorithm != p.Headers[0].Algorithm || p.Claims(ks[0].Key, &c) != nil {
			w.WriteHeader(401)
			return
		}
		exp := josejwt.Expected{Issuer: s.Issuer(), Time: time.Now()}
		if f == noIssuer {
			exp.Issuer = ""
		}
		if f == noExpiry {
			exp.Time = time.Unix(c.NotBefore.Time().Unix(), 0)
		}
		if c.ValidateWithLeeway(exp, time.Minute) != nil || f != noExpiry && c.IssuedAt != nil && c.IssuedAt.Time().After(time.Now().Add(time.Minute)) {
			w.WriteHeader(401)
			return
		}
		ok := f == noAudience
		for _, a := range c.Audience {
			ok = ok || canon(a) == canon(resource) || f == audPrefix && strings.HasPrefix(canon(a), canon(resource))
		}
		if !ok {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(200)
	})
}

// outcomes sends every case to h and returns the names of those whose
// status does not fit the case's Expect.
func outcomes(t *testing.T, cases []authmock.Case, h http.Handler, resource string) []string {
	var bad []string
	for _, c := range cases {
		r := httptest.NewRequest("POST", resource, nil)
		if err := c.Apply(r); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Code
		fits := map[authmock.Expect]bool{
			authmock.ExpectServed:     got == 200,
			authmock.Expect401:        got == 401,
			authmock.Expect4xx:        got >= 400 && got < 500,
			authmock.ExpectReportOnly: true,
		}[c.Expect]
		if !fits {
			bad = append(bad, c.Name)
		}
	}
	slices.Sort(bad)
	return bad
}

func TestCases(t *testing.T) {
	s := newServer(t, authmock.Options{})
	const res = "http://127.0.0.1:8080/mcp"
	cs := s.Cases(res)
	if len(cs) < 25 {
		t.Fatalf("%d cases, want at least 25", len(cs))
	}
	names := map[string]bool{}
	defects := map[authmock.Defect]bool{}
	for _, c := range cs {
		if c.Name == "" || names[c.Name] || c.Description == "" || c.Apply == nil {
			t.Errorf("case %+v: empty or repeated", c)
		}
		names[c.Name] = true
		defects[c.Defect] = true
	}
	// Every defect but the two equivalent forms a resource with a port
	// and a path does not have.
	if len(defects) != len(authmock.Defects())-2 || defects[authmock.AudDefaultPort] || defects[authmock.AudTrailingSlash] {
		t.Errorf("the cases carry %d defects of %d", len(defects), len(authmock.Defects()))
	}
	// A correct resource server meets every expectation.
	if bad := outcomes(t, cs, resourceServer(t, s, res, flawless), res); len(bad) > 0 {
		t.Errorf("a correct resource server misses %v", bad)
	}
	// A flawed one is caught by the cases of its flaw, and only by them.
	for f, want := range map[flaw][]string{
		noAudience: {"aud-array-without-resource", "aud-extra-segment", "aud-missing", "aud-other-host", "aud-other-port", "aud-other-scheme", "aud-path-prefix", "aud-sibling", "aud-suffix"},
		audPrefix:  {"aud-extra-segment", "aud-suffix"},
		noIssuer:   {"iss-other", "iss-trailing-slash"},
		noExpiry:   {"expired", "not-yet-valid"},
		queryToken: {"token-in-query"},
	} {
		if bad := outcomes(t, cs, resourceServer(t, s, res, f), res); !slices.Equal(bad, want) {
			t.Errorf("flaw %d caught by %v, want %v", f, bad, want)
		}
	}
}

func TestCasesHeaders(t *testing.T) {
	s := newServer(t, authmock.Options{})
	const res = "https://mcp.example.com/"
	for _, c := range s.Cases(res) {
		if c.Defect == authmock.AudPathPrefix {
			t.Error("a path prefix case for a resource without a path")
		}
		r := httptest.NewRequest("POST", res, nil)
		r.Header.Set("Authorization", "Bearer stale")
		if err := c.Apply(r); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		h := r.Header.Get("Authorization")
		switch c.Name {
		case "no-token", "token-in-query":
			if h != "" {
				t.Errorf("%s: Authorization %q", c.Name, h)
			}
			if (r.URL.Query().Get("access_token") != "") != (c.Name == "token-in-query") {
				t.Errorf("%s: query %q", c.Name, r.URL.RawQuery)
			}
		case "two-authorization-headers":
			if hs := r.Header.Values("Authorization"); len(hs) != 2 || !strings.HasPrefix(hs[0], "Bearer ey") || !strings.HasPrefix(hs[1], "Bearer ey") {
				t.Errorf("%s: Authorization %q", c.Name, hs)
			}
		case "empty-bearer":
			if h != "Bearer " {
				t.Errorf("%s: Authorization %q", c.Name, h)
			}
		case "two-tokens":
			if strings.Count(h, "Bearer ") != 2 || strings.Count(h, ",") != 1 {
				t.Errorf("%s: Authorization %q", c.Name, h)
			}
		case "bearer-lowercase":
			if !strings.HasPrefix(h, "bearer ey") {
				t.Errorf("%s: Authorization %q", c.Name, h)
			}
		default:
			if !strings.HasPrefix(h, "Bearer ey") || strings.Count(h, ".") != 2 {
				t.Errorf("%s: Authorization %q", c.Name, h)
			}
		}
		if c.Expect.String() == "" || strings.Contains(c.Expect.String(), "?") {
			t.Errorf("%s: expect %q", c.Name, c.Expect)
		}
	}
}
