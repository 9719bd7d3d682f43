package faulty

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Variants of the server as an OAuth resource server: the reference in
// issuer mode (authConfig), its metadata or challenge broken. No token is
// presented, so the issuer is never fetched.

// authConfig is the reference server in issuer mode at the in-process
// target's URL.
func authConfig() *impl.Config {
	return &impl.Config{Issuer: "http://127.0.0.1:9", Resource: "http://127.0.0.1:8080/mcp"}
}

// wellKnownPRM reports a request for a Protected Resource Metadata
// document.
func wellKnownPRM(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/.well-known/oauth-protected-resource")
}

// editPRM serves the metadata documents through edit.
func editPRM(next http.Handler, edit func(doc map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wellKnownPRM(r) {
			next.ServeHTTP(w, r)
			return
		}
		rec := recorded(next, r)
		var doc map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
			relay(w, rec, rec.Code)
			return
		}
		edit(doc)
		b, _ := json.Marshal(doc)
		relayBody(w, rec, rec.Code, b)
	})
}

// editChallenge rewrites the WWW-Authenticate challenge of 401 answers.
func editChallenge(next http.Handler, edit func(string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorded(next, r)
		if rec.Code == http.StatusUnauthorized {
			rec.Header().Set("WWW-Authenticate", edit(rec.Header().Get("WWW-Authenticate")))
		}
		relay(w, rec, rec.Code)
	})
}

// noPRM answers every metadata request with 404.
func noPRM(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wellKnownPRM(r) {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var challengeParamRE = regexp.MustCompile(`,?\s*(resource_metadata|scope)="[^"]*"`)

// withoutParam removes a parameter from a challenge.
func withoutParam(name string) func(string) string {
	return func(c string) string {
		return strings.TrimSuffix(challengeParamRE.ReplaceAllStringFunc(c, func(m string) string {
			if strings.Contains(m, name+"=") {
				return ""
			}
			return m
		}), ",")
	}
}

func init() {
	only := []string{"auth/metadata"}
	for _, v := range []*Variant{
		{Name: "prm-no-authorization-servers", Defect: "the Protected Resource Metadata names no authorization server", Breaks: []spec.ID{spec.AuthPrm},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return editPRM(next, func(d map[string]any) { delete(d, "authorization_servers") })
			}},
		{Name: "custom-auth-scheme", Defect: "the server requires bearer tokens but publishes no Protected Resource Metadata and names none in its challenge: authorization by a scheme of its own, outside the MCP Authorization specification", Breaks: []spec.ID{spec.HttpAuthorizationSpec},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return noPRM(editChallenge(next, withoutParam("resource_metadata")))
			}},
		{Name: "prm-as-plain-http", Defect: "the Protected Resource Metadata names an authorization server over plain http on a host that is not loopback", Breaks: []spec.ID{spec.AuthAsHttp},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return editPRM(next, func(d map[string]any) { d["authorization_servers"] = []string{"http://as.example.com"} })
			}},
		{Name: "prm-resource-origin", Defect: "the path-suffixed metadata names the origin as its resource, not the identifier its URL was built from", Breaks: []spec.ID{spec.AuthPrmResource},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return editPRM(next, func(d map[string]any) { d["resource"] = "http://127.0.0.1:8080" })
			}},
		{Name: "challenge-without-scope", Defect: "the 401 challenge names no scope, though the metadata lists scopes", Breaks: []spec.ID{spec.AuthChallengeScope},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return editChallenge(next, withoutParam("scope"))
			}},
		{Name: "offline-access-offered", Defect: "scopes_supported offers offline_access", Breaks: []spec.ID{spec.AuthNoOfflineAccess},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return editPRM(next, func(d map[string]any) {
					s, _ := d["scopes_supported"].([]any)
					d["scopes_supported"] = append(s, "offline_access")
				})
			}},
		{Name: "prm-challenge-dangling", Defect: "the 401 challenge names a metadata document that is not served, and no well-known URI serves one", Breaks: []spec.ID{spec.AuthPrmDiscovery},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler { return noPRM(next) }},
	} {
		v.Only, v.Config = only, authConfig()
		Register(v)
	}
}
