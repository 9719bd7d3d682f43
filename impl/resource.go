package impl

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// The resource server's side of discovery and scopes (RFC 9728, RFC 6750,
// basic/authorization "Scope Selection Strategy").
//
// Protected Resource Metadata is served at both well-known forms of the
// resource URI: the path-suffixed one (/.well-known/oauth-protected-resource
// followed by the resource's path, RFC 9728 section 3.1) and the root one;
// its resource member is the resource URI the path-suffixed URL is built
// from. A 401 names the path-suffixed URL in resource_metadata and every
// scope of the server in one scope parameter.
//
// Scopes: tools/call needs mcp:tools; the transfer tool, which moves money
// between accounts, needs mcp:transfer besides. Nothing else needs a scope:
// discovery and listing are open to any valid token. mcp:transfer does not
// imply mcp:tools: the scopes are independent, so there is no hierarchy to
// account for. A token lacking a needed scope gets 403 with
// error="insufficient_scope" naming every scope the request needs.
// offline_access is never advertised: it is the authorization server's
// business, not a resource's.

// Scopes of the reference server.
const (
	ScopeTools    = "mcp:tools"
	ScopeTransfer = "mcp:transfer"
)

// scopesSupported are the scopes of the server, in metadata order.
var scopesSupported = []string{ScopeTools, ScopeTransfer}

// toolScopes are the scopes a tool needs besides ScopeTools.
var toolScopes = map[string][]string{
	"transfer": {ScopeTransfer},
}

// requiredScopes are the scopes a request needs.
func requiredScopes(x *exchange) []string {
	p, ok := x.params.(*callToolParams)
	if !ok || p.Name == nil {
		return nil
	}
	return append([]string{ScopeTools}, toolScopes[*p.Name]...)
}

// missingScopes reports whether g lacks one of need.
func (g grant) missingScopes(need []string) bool {
	if g.scopes == nil {
		return false
	}
	for _, s := range need {
		if !g.scopes[s] {
			return true
		}
	}
	return false
}

// wellKnownPRM is the well-known path of Protected Resource Metadata.
const wellKnownPRM = "/.well-known/oauth-protected-resource"

// resourceMetadataURL is the path-suffixed metadata URL of a resource URI
// (RFC 9728 section 3.1).
func resourceMetadataURL(resource string) string {
	u, _ := url.Parse(resource)
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + wellKnownPRM + p
}

// prmDocument is the Protected Resource Metadata of a resource.
func prmDocument(resource, issuer string) []byte {
	b, _ := json.Marshal(map[string]any{
		"resource":                 resource,
		"authorization_servers":    []string{issuer},
		"scopes_supported":         scopesSupported,
		"bearer_methods_supported": []string{"header"},
		"resource_name":            "mcpverify reference server",
	})
	return b
}

// servePRM answers a request for one of the well-known metadata paths.
func (s *Server) servePRM(w http.ResponseWriter, r *http.Request, doc []byte) {
	abandonBody(w, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = []string{"GET, HEAD"}
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header()["Cache-Control"] = []string{"max-age=300"}
	writeJSON(w, http.StatusOK, doc)
}

// prmDocuments are the metadata documents of a resource URI by path: the
// path-suffixed one names the resource URI; the root one names the
// resource URI it is built from, the origin (RFC 9728 section 3.3: the
// resource of a document is the identifier its URL is built from).
func prmDocuments(resource, issuer string) map[string][]byte {
	u, _ := url.Parse(resource)
	docs := map[string][]byte{wellKnownPRM: prmDocument(u.Scheme+"://"+u.Host, issuer)}
	if p := strings.TrimSuffix(u.EscapedPath(), "/"); p != "" {
		docs[wellKnownPRM+p] = prmDocument(resource, issuer)
	} else {
		docs[wellKnownPRM] = prmDocument(resource, issuer)
	}
	return docs
}

// challenge builds a Bearer challenge from parameters in order: pairs of
// name and value; values are quoted strings.
func challenge(params ...string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	for i := 0; i+1 < len(params); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(params[i])
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(params[i+1]))
		b.WriteByte('"')
	}
	return b.String()
}

// bearerToken reads the bearer token of a request's Authorization header
// (RFC 6750 section 2.1). A request with no credentials of the Bearer
// scheme is authMissing; with a malformed one (several Authorization
// headers, an empty token, more than one token, a token not in the
// token68 syntax) authMalformed.
func bearerToken(vals []string) (string, authFailure) {
	if len(vals) == 0 {
		return "", authMissing
	}
	if len(vals) > 1 {
		return "", authMalformed
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		// Another scheme is no bearer credential: a challenge without an
		// error code (RFC 6750, section 3.1).
		return "", authMissing
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || !isToken68(tok) {
		return "", authMalformed
	}
	return tok, authOK
}
