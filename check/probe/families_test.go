package probe

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/check"
)

// TestHostileOriginsFamily: for targets of every shape, the generated
// Origins are hostile by the model's reading (never the own origin, never
// another loopback spelling of the same server) and cover the classes.
func TestHostileOriginsFamily(t *testing.T) {
	for _, target := range []string{
		"http://127.0.0.1:8080/mcp",
		"http://localhost:3000/mcp",
		"http://[::1]:9000/mcp",
		"https://mcp.example.com/mcp",
		"https://mcp.example.com:8443/mcp",
		"http://127.0.0.1:65535/mcp",
	} {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		e := check.NewEnv(context.Background(), check.Options{Seed: 1})
		cases := HostileOrigins(e, u)
		if len(cases) < 12 {
			t.Errorf("%s: only %d cases", target, len(cases))
		}
		seen := map[string]bool{}
		for _, c := range cases {
			if seen[c.Origin] {
				t.Errorf("%s: %q twice", target, c.Origin)
			}
			seen[c.Origin] = true
			if strings.EqualFold(c.Origin, OwnOrigin(u)) || !ModelOriginInvalid(c.Origin, u.Host, nil) {
				t.Errorf("%s: %q (%s) is valid", target, c.Origin, c.Why)
			}
			if SameServerLoopbackAlias(c.Origin, u) {
				t.Errorf("%s: %q names the same server", target, c.Origin)
			}
		}
		for _, want := range []string{"null", "evil.test"} {
			found := false
			for o := range seen {
				found = found || strings.Contains(o, want)
			}
			if !found {
				t.Errorf("%s: no case with %q", target, want)
			}
		}
		// Configured origins are not hostile.
		e.Opts.Model.AllowedOrigins = []string{"null"}
		for _, c := range HostileOrigins(e, u) {
			if c.Origin == "null" {
				t.Errorf("%s: the configured origin null was generated", target)
			}
		}
	}
	u, _ := url.Parse("http://127.0.0.1:8080/mcp")
	for _, alias := range []string{"http://localhost:8080", "http://[::1]:8080", "https://127.0.0.1:8080", "http://127.0.0.2:8080"} {
		if !SameServerLoopbackAlias(alias, u) {
			t.Errorf("%s is another spelling of %s", alias, u.Host)
		}
	}
	for _, foreign := range []string{"http://localhost:8081", "http://evil.test:8080", "http://0.0.0.0:8080", "null"} {
		if SameServerLoopbackAlias(foreign, u) {
			t.Errorf("%s is not the server at %s", foreign, u.Host)
		}
	}
}
