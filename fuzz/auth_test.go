package fuzz

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/authmock"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

const tokenResource = "http://127.0.0.1:8080/mcp"

// absent marks a claim or header member left out of a token.
type absent struct{}

// The values each member of a drawn token takes, the correct one first.
// Times are an hour from now or absent, never near a boundary: what the
// clock skew allows does not decide them.
var (
	tokenTypes = []any{"at+jwt", "AT+JWT", "application/at+jwt", "JWT", "", absent{}}
	tokenKids  = []string{authmock.KidRSA, authmock.KidEC}
	tokenSubs  = []any{"alice", "", absent{}}
	tokenTimes = []int64{+3600, -3600, 0} // 0: absent
)

// tokenIssuers and tokenAudiences depend on the mock's issuer.
func tokenIssuers(iss string) []any {
	return []any{iss, iss + "/", authmock.OtherIssuer, strings.ToUpper(iss), absent{}}
}

var tokenAudiences = []any{
	tokenResource,
	"HTTP://127.0.0.1:8080/mcp", // scheme and host compare case-insensitively
	tokenResource + "/",
	"http://127.0.0.1:8080",
	"http://127.0.0.1:8080/mcp-other",
	"http://127.0.0.1:8081/mcp",
	[]string{"http://other.example/", tokenResource},
	[]string{"http://other.example/"},
	"http://127.0.0.1:8080/MCP",
	absent{},
}

// tokenOK is the reference server's rule for an access token, stated
// apart from its code (impl/issuer.go): typ at+jwt (a media type, any
// case, with or without "application/"), the trusted issuer exactly, an
// exp not past, no nbf or iat in the future, an aud naming the resource
// (scheme and host in any case; in an array too), and a subject.
func tokenOK(typ, iss, aud, sub any, exp, nbf, iat int64, issuer string) bool {
	t, _ := typ.(string)
	t = strings.ToLower(t)
	audOK := false
	switch a := aud.(type) {
	case string:
		audOK = a == tokenResource || a == "HTTP://127.0.0.1:8080/mcp"
	case []string:
		audOK = len(a) == 2
	}
	s, _ := sub.(string)
	return (t == "at+jwt" || t == "application/at+jwt") && iss == issuer && exp > 0 && nbf <= 0 && iat <= 0 && audOK && s != ""
}

// FuzzTokenClaims draws an access token member by member (typ, kid, iss,
// aud, sub, exp, nbf, iat), signs it with the trusted issuer's published
// key, and presents it to the reference server in issuer mode: it serves
// exactly the tokens tokenOK accepts and answers every other with 401 and
// an invalid_token challenge.
func FuzzTokenClaims(f *testing.F) {
	// The seeds: the correct token (exp in an hour, no nbf or iat), and
	// each token that differs from it in one member.
	correct := [8]uint8{0, 0, 0, 0, 0, 0, 2, 2}
	sizes := [8]int{len(tokenTypes), len(tokenKids), len(tokenIssuers("")), len(tokenAudiences), len(tokenSubs), len(tokenTimes), len(tokenTimes), len(tokenTimes)}
	for i, n := range sizes {
		for j := range n {
			c := correct
			c[i] = uint8(j)
			f.Add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], "mcp:tools")
		}
	}
	mock, err := authmock.New(authmock.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	defer mock.Close()
	srv, err := impl.New(impl.Config{Issuer: mock.Issuer(), IssuerTransport: mock.Transport(), Resource: tokenResource})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	tgt := target.InProcess(srv.Handler(), target.Limits{Timeout: 5 * time.Second})
	defer tgt.Close()
	issuers := tokenIssuers(mock.Issuer())

	f.Fuzz(func(t *testing.T, typ, kid, iss, aud, sub, exp, nbf, iat uint8, scope string) {
		pick := func(xs []any, i uint8) any { return xs[int(i)%len(xs)] }
		now := time.Now().Unix()
		at := func(i uint8) int64 { return tokenTimes[int(i)%len(tokenTimes)] }
		header := map[string]any{"kid": tokenKids[int(kid)%len(tokenKids)]}
		claims := map[string]any{"scope": scope, "client_id": authmock.ClientID}
		set := func(m map[string]any, k string, v any) {
			if _, no := v.(absent); !no {
				m[k] = v
			}
		}
		ty, is, au, su := pick(tokenTypes, typ), pick(issuers, iss), pick(tokenAudiences, aud), pick(tokenSubs, sub)
		set(header, "typ", ty)
		set(claims, "iss", is)
		set(claims, "aud", au)
		set(claims, "sub", su)
		for name, off := range map[string]int64{"exp": at(exp), "nbf": at(nbf), "iat": at(iat)} {
			if off != 0 {
				claims[name] = now + off
			}
		}
		tok, err := mock.SignJWT(header, claims)
		if err != nil {
			t.Fatal(err)
		}
		r := check.DefaultClient.Request(wire.IntID(1), "tools/list", nil, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		ex := tgt.Send(context.Background(), r)
		want := tokenOK(ty, is, au, su, at(exp), at(nbf), at(iat), mock.Issuer())
		switch {
		case want && ex.Status != http.StatusOK:
			t.Fatalf("a valid token (header %v, claims %v) refused: HTTP %d %s", header, claims, ex.Status, ex.RespBody)
		case !want && ex.Status != http.StatusUnauthorized:
			t.Fatalf("an invalid token (header %v, claims %v) answered with HTTP %d, want 401", header, claims, ex.Status)
		case !want:
			c, ok := wire.BearerChallenge(ex.RespHeader)
			if e, _ := c.Param("error"); !ok || e != "invalid_token" {
				t.Fatalf("an invalid token refused with the challenge %q, want error=\"invalid_token\"", wire.HeaderValues(ex.RespHeader, "WWW-Authenticate"))
			}
		}
	})
}

// FuzzAlteredToken: a minted token with one byte changed never verifies
// against the JWKS unless what it says is unchanged (Base64url has
// spellings that decode alike: the last character's unused bits).
func FuzzAlteredToken(f *testing.F) {
	s, err := authmock.New(authmock.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	var toks []string
	for _, alg := range []authmock.Alg{authmock.RS256, authmock.ES256} {
		tok, err := s.Mint(authmock.Claims{Subject: authmock.Alice, Resource: tokenResource, Alg: alg}, authmock.None)
		if err != nil {
			f.Fatal(err)
		}
		toks = append(toks, tok)
	}
	set := jwks(f, s)
	for i := range 8 {
		f.Add(i%2 == 0, uint16(i*37), byte(1<<i))
	}
	f.Fuzz(func(t *testing.T, es bool, at uint16, x byte) {
		orig := toks[0]
		if es {
			orig = toks[1]
		}
		if x == 0 {
			x = 1
		}
		b := []byte(orig)
		b[int(at)%len(b)] ^= x
		alt := string(b)
		p, err := josejwt.ParseSigned(alt, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil {
			return
		}
		keys := set.Key(p.Headers[0].KeyID)
		if len(keys) != 1 {
			return
		}
		var c map[string]any
		if p.Claims(keys[0].Key, &c) != nil {
			return
		}
		if !sameDecoded(orig, alt) {
			t.Fatalf("an altered token verified: %q (was %q)", alt, orig)
		}
	})
}

// sameDecoded reports whether two compact JWTs decode to the same bytes,
// segment by segment.
func sameDecoded(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		x, err1 := base64.RawURLEncoding.DecodeString(as[i])
		y, err2 := base64.RawURLEncoding.DecodeString(bs[i])
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// jwks fetches the mock's published key set, in memory.
func jwks(t testing.TB, s *authmock.Server) jose.JSONWebKeySet {
	t.Helper()
	resp, err := (&http.Client{Transport: s.Transport()}).Get(s.Metadata().JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	return set
}
