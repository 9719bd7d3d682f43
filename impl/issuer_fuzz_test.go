package impl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// FuzzAudience: two audiences are equal exactly when they differ at most
// in the ASCII case of the scheme and host: equal ones differ only in the
// case of ASCII letters, byte for byte equal after the
// authority; the relation is reflexive and symmetric; uppercasing the
// scheme and host of a URI keeps it equal.
func FuzzAudience(f *testing.F) {
	for _, s := range [][2]string{
		{testResource, testResource},
		{testResource, "HTTPS://MCP.EXAMPLE.COM/mcp"},
		{testResource, "https://mcp.example.com/MCP"},
		{testResource, "https://mcp.example.com:443/mcp"},
		{testResource, "https://mcp.example.com/mcp/"},
		{testResource, "https://mcp.example.com"},
		{"https://U@Host/p", "https://u@host/p"},
		{"urn:x", "URN:x"},
		{"", "://"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		eq := audienceEqual(a, b)
		if eq != audienceEqual(b, a) || !audienceEqual(a, a) {
			t.Fatalf("not reflexive or symmetric: %q %q", a, b)
		}
		if eq && (len(a) != len(b) || !asciiFold(a, b)) {
			t.Fatalf("%q and %q equal but differ beyond case", a, b)
		}
		if eq && tail(a) != tail(b) {
			t.Fatalf("%q and %q equal but differ after the authority", a, b)
		}
		if up := upperSchemeHost(a); !audienceEqual(a, up) {
			t.Fatalf("%q and %q (scheme and host uppercased) differ", a, up)
		}
	})
}

// tail is what follows the authority of a URI ("" for another string).
func tail(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return rest[i:]
	}
	return ""
}

// upperSchemeHost uppercases the scheme and the host of a
// "scheme://[userinfo@]host..." URI, written independently of
// canonicalAudience: by URL syntax, the authority ends at the first of
// "/?#" and the userinfo at its last "@".
func upperSchemeHost(s string) string {
	i := strings.Index(s, "://")
	if i <= 0 || strings.ContainsAny(s[:i], "/?#") {
		return s
	}
	end := len(s)
	if j := strings.IndexAny(s[i+3:], "/?#"); j >= 0 {
		end = i + 3 + j
	}
	hostStart := i + 3
	if at := strings.LastIndexByte(s[hostStart:end], '@'); at >= 0 {
		hostStart += at + 1
	}
	return asciiUpper(s[:i]) + s[i:hostStart] + asciiUpper(s[hostStart:end]) + s[end:]
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// asciiFold reports whether a and b differ only in the case of ASCII
// letters.
func asciiFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x != y && (x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z') {
			return false
		}
	}
	return true
}

// FuzzAuthorization: reading an Authorization header, and verifying what
// it carries, never panics; a token read is one token68 with no space;
// challenges built from any values read back to the same values.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{"", "Bearer abc", "bearer  a.b.c", "Bearer a b", "Bearer ", "Basic x", "Bearer a,b", "Bearer ====",
		"Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYTEifQ.e30.AAAA"} {
		f.Add(s, "scope", `a "quoted" \ value`)
	}
	v := &authenticator{jwt: &verifier{keys: &issuerKeys{issuer: "https://as.example", now: time.Now, fetched: time.Now(), interval: time.Hour, jwksURI: "x", keys: nil}, resource: testResource, now: time.Now}}
	f.Fuzz(func(t *testing.T, header, name, value string) {
		tok, why := bearerToken([]string{header})
		if why == authOK && (tok == "" || strings.ContainsAny(tok, " \t") || !isToken68(tok)) {
			t.Fatalf("%q read as token %q", header, tok)
		}
		v.authenticate(context.Background(), map[string][]string{"Authorization": {header}})
		if !isToken68(name) || strings.ContainsAny(name, "=/") {
			return // a parameter name is a token; the server's are words
		}
		p, ok := parseChallenge(challenge(name, value, "error", "invalid_token"))
		if !ok || p[name] != value && name != "error" {
			t.Fatalf("challenge of %q=%q read back as %v (%v)", name, value, p, ok)
		}
	})
}

// BenchmarkJWTVerify measures the verification of one access token with
// the key set cached: parse, signature, claims.
func BenchmarkJWTVerify(b *testing.B) {
	iss := newTestIssuer(b, nil)
	clock := newTestClock()
	s := newTestServer(b, Config{Issuer: iss.url, Resource: testResource, Now: clock.Now})
	c := iss.claims(clock.Now())
	for name, tok := range map[string]string{
		"RS256": iss.rs256(c),
		"ES256": iss.mint(jose.ES256, "ec1", iss.ec, c),
	} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			if _, err := s.auth.jwt.verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.auth.jwt.verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}

// TestAudienceEqual pins the audience comparison on the cases where a
// looser one would let a token of another resource in: the scheme and
// host fold ASCII case (every letter, A and Z included), the userinfo,
// path, port and trailing slash never do, and an empty userinfo is read
// as one.
func TestAudienceEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"HTTPS://AZ.Example.COM/mcp", "https://az.example.com/mcp", true},
		{"https://u@AZ.example/p", "https://u@az.example/p", true},
		{"https://@AZ.example/p", "https://@az.example/p", true},
		{"https://@mcp.example.com", "https://mcp.example.com", false},
		{"https://ab@mcp.example.com/", "https://ac@mcp.example.com/", false},
		{"https://aB@mcp.example.com/", "https://ab@mcp.example.com/", false},
		{"https://Alice@mcp.example.com/", "https://alice@mcp.example.com/", false},
		{"https://mcp.example.com/MCP", "https://mcp.example.com/mcp", false},
		{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp", false},
		{"https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp", false},
		{"https://mcp.example.com.evil/mcp", "https://mcp.example.com/mcp", false},
		{"urn:X", "urn:x", false},
	} {
		if got := audienceEqual(c.a, c.b); got != c.want {
			t.Errorf("audienceEqual(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
