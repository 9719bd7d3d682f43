package authmock_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// FuzzAlteredToken: a minted token with one byte changed never verifies
// against the JWKS unless what it says is unchanged (Base64url has
// spellings that decode alike: the last character's unused bits).
func FuzzAlteredToken(f *testing.F) {
	s, err := authmock.New(authmock.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	var toks []string
	for _, alg := range []authmock.Alg{authmock.RS256, authmock.ES256} {
		tok, err := s.Mint(authmock.Claims{Subject: authmock.Alice, Resource: "http://127.0.0.1:8080/mcp", Alg: alg}, authmock.None)
		if err != nil {
			f.Fatal(err)
		}
		toks = append(toks, tok)
	}
	set := fetchJWKS(f, s)
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
