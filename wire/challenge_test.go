package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []Challenge
		err  bool
	}{
		{in: []string{`Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read files:write"`},
			want: []Challenge{{Scheme: "Bearer", Params: map[string]string{"resource_metadata": "https://mcp.example.com/.well-known/oauth-protected-resource", "scope": "files:read files:write"}}}},
		{in: []string{`Bearer error="insufficient_scope",scope="a b" , Resource_Metadata=x`},
			want: []Challenge{{Scheme: "Bearer", Params: map[string]string{"error": "insufficient_scope", "scope": "a b", "resource_metadata": "x"}}}},
		{in: []string{`Basic realm="a\"b", Bearer`, `DPoP algs="ES256"`},
			want: []Challenge{{Scheme: "Basic", Params: map[string]string{"realm": `a"b`}}, {Scheme: "Bearer"}, {Scheme: "DPoP", Params: map[string]string{"algs": "ES256"}}}},
		{in: []string{`Negotiate abc+/=, Bearer realm=x`},
			want: []Challenge{{Scheme: "Negotiate", Token68: "abc+/="}, {Scheme: "Bearer", Params: map[string]string{"realm": "x"}}}},
		{in: []string{`Bearer scope="unterminated`}, err: true},
		{in: []string{`Bearer a="1", a="2"`}, err: true},
		{in: []string{"Bearer a=\"\\\f\""}, err: true}, // a quoted-pair of a control character
		{in: []string{`="x"`}, err: true},
		{in: []string{strings.Repeat("a", 17<<10)}, err: true},
	} {
		got, err := ParseChallenges(tc.in...)
		if (err != nil) != tc.err || err != nil && !errors.Is(err, ErrChallenge) {
			t.Errorf("%q: error %v, want error %v", tc.in, err, tc.err)
		}
		if !tc.err {
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%q (-want +got):\n%s", tc.in, d)
			}
		}
	}
	c, ok := BearerChallenge(map[string][]string{"Www-Authenticate": {`bearer scope="s"`}})
	if v, _ := c.Param("SCOPE"); !ok || v != "s" {
		t.Errorf("BearerChallenge: %+v %v", c, ok)
	}
}

// FuzzParseChallenges: parsing never panics; what parses without error
// formats to a list that parses back to the same challenges.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{`Bearer resource_metadata="https://x/.well-known/oauth-protected-resource", scope="a b"`,
		`Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"`,
		`Basic realm="a\"b", Bearer`, `Negotiate abc+/=, Bearer realm=x`, `Bearer ,,, x=`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseChallenges(s)
		if err != nil {
			return
		}
		parts := make([]string, len(cs))
		for i, c := range cs {
			parts[i] = c.String()
		}
		again, err := ParseChallenges(strings.Join(parts, ", "))
		if err != nil {
			t.Fatalf("%q parsed to %q, which does not parse: %v", s, parts, err)
		}
		if d := cmp.Diff(cs, again); d != "" {
			t.Fatalf("%q: round trip through %q changed it (-first +again):\n%s", s, parts, d)
		}
	})
}
