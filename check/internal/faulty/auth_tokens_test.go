package faulty

import (
	"context"
	"testing"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// TestAuthFlawedVerifier: a token that a flaw lets through is read as the
// principal the reference would name, iss + " " + sub, one a static token
// of tokenConfig names; the correct verifier refuses it and accepts the
// correct tokens.
func TestAuthFlawedVerifier(t *testing.T) {
	v := newVerifier(inMemoryAuth())
	ctx := context.Background()
	for _, tc := range []struct {
		f         flaw
		sub       string
		alg       authmock.Alg
		defect    authmock.Defect
		principal string
	}{
		{flawAudience, authmock.Bob, authmock.RS256, authmock.AudSibling, AuthIssuer + " bob"},
		{flawAudPrefix, authmock.Alice, authmock.ES256, authmock.AudSuffix, AuthIssuer + " alice"},
		{flawIssuer, authmock.Alice, authmock.RS256, authmock.IssOther, authmock.OtherIssuer + " alice"},
		{flawIssuer, authmock.Bob, authmock.ES256, authmock.IssTrailingSlash, AuthIssuer + "/ bob"},
		{flawExpiry, authmock.Bob, authmock.ES256, authmock.Expired, AuthIssuer + " bob"},
		{flawAlgNone, authmock.Alice, authmock.RS256, authmock.AlgNone, AuthIssuer + " alice"},
		{flawHS256, authmock.Bob, authmock.RS256, authmock.HS256PublicKey, AuthIssuer + " bob"},
	} {
		tok, err := AuthMock().Mint(authmock.Claims{Subject: tc.sub, Resource: authResource, Alg: tc.alg}, tc.defect)
		if err != nil {
			t.Fatal(err)
		}
		p, err := v.verify(ctx, tok, tc.f)
		if err != nil || p != tc.principal || !v.known[p] {
			t.Errorf("%s with flaw %d: %q %v, want %q", tc.defect, tc.f, p, err, tc.principal)
		}
		if _, err := v.verify(ctx, tok, flawNone); err == nil {
			t.Errorf("%s: the correct verifier accepts it", tc.defect)
		}
		for f := flawAudience; f <= flawHS256; f++ {
			if _, err := v.verify(ctx, tok, f); f != tc.f && err == nil && !(tc.f == flawAudPrefix && f == flawAudience) {
				t.Errorf("%s: flaw %d accepts it too", tc.defect, f)
			}
		}
		good, err := AuthMock().Mint(authmock.Claims{Subject: tc.sub, Resource: authResource, Alg: tc.alg}, authmock.None)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := v.verify(ctx, good, flawNone); err != nil || p != AuthIssuer+" "+tc.sub {
			t.Errorf("a correct %s token: %q %v", tc.alg, p, err)
		}
	}
}
