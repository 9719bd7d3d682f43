package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

var metadataIDs = []spec.ID{spec.AuthPrm, spec.AuthPrmDiscovery, spec.AuthPrmResource, spec.AuthChallengeScope, spec.AuthNoOfflineAccess, spec.AuthAsHttp, spec.HttpAuthorizationSpec}

func init() {
	check.Register(&check.Check{
		Name:  "auth/metadata",
		IDs:   metadataIDs,
		Needs: httpOnly,
		// A server that requires credentials the checker was not given
		// answers discovery with 401: its era is unknown.
		Eras: []check.Era{check.Modern, check.DualEra, check.UnknownEra},
		Run:  checkMetadata,
	})
}

// challengeParam reads a parameter of the Bearer challenge of a
// WWW-Authenticate value.
func challengeParam(challenge, name string) (string, bool) {
	c, ok := wire.BearerChallenge(map[string][]string{"WWW-Authenticate": {challenge}})
	if !ok {
		return "", false
	}
	return c.Param(name)
}

// prmDoc is what the checks read of a Protected Resource Metadata document.
type prmDoc struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported"`
}

// fetchPRM GETs a metadata document, bounded in time and size (nil, and
// why, when none is served there).
func fetchPRM(ctx context.Context, e *check.Env, u string) (*prmDoc, string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err.Error()
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if d, ok := e.Target(0).(check.Dialer); ok {
		c.Transport = &http.Transport{DialContext: d.DialContext}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	var d prmDoc
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&d); err != nil {
		return nil, "not a JSON document: " + err.Error()
	}
	return &d, ""
}

// found is a metadata document served at url, built from the resource
// identifier resource ("" for the URL a challenge names).
type found struct{ url, resource string }

// discoverPRM fetches the metadata documents of the target at u: the one
// the challenge's resource_metadata names, and the path-suffixed and root
// well-known URIs (RFC 9728 section 3.1); tried says why each URL that
// served none did not.
func discoverPRM(e *check.Env, challenge string, u *url.URL) (docs []found, parsed []*prmDoc, tried []string) {
	if rm, ok := challengeParam(challenge, "resource_metadata"); ok {
		if d, why := fetchPRM(e.Ctx, e, rm); d != nil {
			docs, parsed = append(docs, found{rm, ""}), append(parsed, d)
		} else {
			tried = append(tried, fmt.Sprintf("%s (from the challenge): %s", rm, why))
		}
	}
	for _, wk := range wellKnown(u) {
		if i := slices.IndexFunc(docs, func(f found) bool { return f.url == wk[0] }); i >= 0 {
			docs[i].resource = wk[1]
			continue
		}
		if d, why := fetchPRM(e.Ctx, e, wk[0]); d != nil {
			docs, parsed = append(docs, found{wk[0], wk[1]}), append(parsed, d)
		} else {
			tried = append(tried, fmt.Sprintf("%s: %s", wk[0], why))
		}
	}
	return docs, parsed, tried
}

// wellKnown returns the path-suffixed and the root well-known URIs of the
// target (RFC 9728 section 3.1), each with the resource identifier it was
// built from.
func wellKnown(u *url.URL) [][2]string {
	origin := u.Scheme + "://" + u.Host
	path := strings.TrimSuffix(u.Path, "/")
	out := [][2]string{}
	if path != "" {
		out = append(out, [2]string{origin + "/.well-known/oauth-protected-resource" + path, origin + path})
	}
	return append(out, [2]string{origin + "/.well-known/oauth-protected-resource", origin})
}

// checkMetadata: on a server that answers a request without credentials
// with 401, the metadata must be discoverable by one of the challenge's
// resource_metadata and the two well-known URIs, name an authorization
// server, and name as its resource the identifier its URL was built from;
// the challenge should carry a scope, and offline_access should be in
// neither. A 401 with no metadata at all and no resource_metadata in its
// challenge is a scheme of the server's own (CORE-AUTH-CUSTOM, MAY): the
// AUTH- requirements are skipped, and HTTP-AUTHORIZATION-SPEC (SHOULD:
// a server on HTTP that supports authorization follows the MCP
// Authorization specification) warns.
func checkMetadata(e *check.Env) {
	u, err := probe.TargetURL(e, 0)
	if err != nil {
		probe.InconclusiveAll(e, metadataIDs, "%v", err)
		return
	}
	o := e.Send(e.RequestAs(e.AsAnonymous(e.Client), e.ListMethod(), map[string]any{}))
	if !o.Answered() || o.Ex.Status != http.StatusUnauthorized {
		probe.SkipAll(e, metadataIDs, "%s without credentials was %s, not refused with 401: the server does not require authorization", e.ListMethod(), o.Describe())
		return
	}
	challenge := o.Ex.RespHeader.Get("WWW-Authenticate")
	docs, parsed, tried := discoverPRM(e, challenge, u)
	if len(docs) == 0 {
		if _, named := challengeParam(challenge, "resource_metadata"); named {
			e.Violation(spec.AuthPrmDiscovery, "the 401 challenge (%q) names a metadata document that is not served, and neither well-known URI serves one: %s", challenge, strings.Join(tried, "; "))
			probe.SkipAll(e, []spec.ID{spec.AuthPrm, spec.AuthPrmResource, spec.AuthChallengeScope, spec.AuthNoOfflineAccess, spec.AuthAsHttp, spec.HttpAuthorizationSpec}, "no Protected Resource Metadata is served")
			return
		}
		// Custom authentication is the server's to choose (CORE-AUTH-CUSTOM,
		// MAY): nothing to judge by the AUTH- requirements; but a server
		// on HTTP that supports authorization SHOULD follow the MCP
		// Authorization specification.
		e.Violation(spec.HttpAuthorizationSpec, "%s without credentials got 401 (WWW-Authenticate %q) and no Protected Resource Metadata is served (%s): authorization by a scheme of the server's own, which clients may negotiate (CORE-AUTH-CUSTOM, MAY), where a server on HTTP SHOULD follow the MCP Authorization specification",
			e.ListMethod(), challenge, strings.Join(tried, "; "))
		probe.SkipAll(e, metadataIDs[:len(metadataIDs)-1], "no Protected Resource Metadata is served: an authorization scheme of the server's own (CORE-AUTH-CUSTOM), which the AUTH- requirements do not judge")
		return
	}
	e.Pass(spec.AuthPrmDiscovery, "the metadata is served at %s", docs[0].url)
	e.Pass(spec.HttpAuthorizationSpec, "the server follows the MCP Authorization specification's discovery (Protected Resource Metadata at %s); the AUTH- requirements judge the rest", docs[0].url)
	var noAS, badRes, passRes, plainAS, servers []string
	var scopes []string
	for i, f := range docs {
		d := parsed[i]
		scopes = append(scopes, d.ScopesSupported...)
		if len(d.AuthorizationServers) == 0 {
			noAS = append(noAS, f.url)
		}
		for _, as := range d.AuthorizationServers {
			servers = append(servers, as)
			if u, err := url.Parse(as); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && wire.IsLoopbackHost(u.Hostname())) {
				plainAS = append(plainAS, as)
			}
		}
		if f.resource != "" {
			if d.Resource != f.resource {
				badRes = append(badRes, fmt.Sprintf("%s names %q, not %q", f.url, d.Resource, f.resource))
			} else {
				passRes = append(passRes, f.url)
			}
		}
	}
	if len(noAS) > 0 {
		e.Violation(spec.AuthPrm, "the Protected Resource Metadata at %s names no authorization server (authorization_servers is missing or empty)", strings.Join(noAS, ", "))
	} else {
		e.Pass(spec.AuthPrm, "every metadata document served (%d) names an authorization server", len(docs))
	}
	switch {
	case len(badRes) > 0:
		e.Violation(spec.AuthPrmResource, "the metadata's resource is not the identifier its URL was built from (RFC 9728 section 3.3): %s", strings.Join(badRes, "; "))
	case len(passRes) > 0:
		e.Pass(spec.AuthPrmResource, "the metadata at %s names the identifier its URL was built from", strings.Join(passRes, ", "))
	default:
		e.Skip(spec.AuthPrmResource, "the metadata is served only at the URL the challenge names, which is built from no identifier the checker knows")
	}
	scope, hasScope := challengeParam(challenge, "scope")
	switch {
	case hasScope && scope != "":
		e.Pass(spec.AuthChallengeScope, "the 401 challenge names the scopes %q", scope)
	case len(scopes) == 0:
		e.Skip(spec.AuthChallengeScope, "the server lists no scopes (scopes_supported) and its challenge names none")
	default:
		e.Violation(spec.AuthChallengeScope, "the 401 challenge (%q) has no scope parameter, though the metadata lists scopes %v", challenge, scopes)
	}
	switch {
	case len(plainAS) > 0:
		e.Violation(spec.AuthAsHttp, "the metadata names authorization servers that are neither https nor on a loopback host: %s (tokens and codes would travel in the clear)", strings.Join(plainAS, ", "))
	case len(servers) > 0:
		e.Pass(spec.AuthAsHttp, "every authorization server named is https or on a loopback host (%s)", strings.Join(servers, ", "))
	default:
		e.Skip(spec.AuthAsHttp, "the metadata names no authorization server")
	}
	if slices.Contains(strings.Fields(scope), "offline_access") || slices.Contains(scopes, "offline_access") {
		e.Violation(spec.AuthNoOfflineAccess, "offline_access is offered (challenge scope %q, scopes_supported %v): refresh tokens are not a resource requirement", scope, scopes)
	} else {
		e.Pass(spec.AuthNoOfflineAccess, "neither the challenge nor scopes_supported names offline_access")
	}
}
