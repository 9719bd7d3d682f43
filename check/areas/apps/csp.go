package apps

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// uiMeta is what a UI resource's contents declare in _meta.ui: the csp
// lists and the sandbox permissions it requests ("Servers declare which
// external origins their UI needs to access. Hosts use this to enforce
// appropriate CSP headers."; "Hosts MAY honor these").
type uiMeta struct {
	// CSP holds each list declared, by its name (a list that is not an
	// array of strings keeps its string members; Malformed says so).
	CSP map[string][]string
	// Malformed names members of csp that are not what the extension's
	// types say (a list that is not an array, an entry that is not a
	// string).
	Malformed []string
	// Permissions are the names of the permissions requested.
	Permissions []string
}

// readUIMeta reads _meta.ui of a resource's contents (or of its listing):
// leniently, keeping what can be read.
func readUIMeta(meta wire.Object, into *uiMeta) {
	var ui struct {
		CSP         map[string]wire.Value `json:"csp"`
		Permissions map[string]wire.Value `json:"permissions"`
	}
	raw, ok := meta["ui"]
	if !ok || wire.Unmarshal(raw, &ui) != nil {
		return
	}
	if into.CSP == nil {
		into.CSP = map[string][]string{}
	}
	for _, list := range cspLists {
		v, ok := ui.CSP[list]
		if !ok {
			continue
		}
		var items []wire.Value
		if wire.Unmarshal(v, &items) != nil {
			into.Malformed = append(into.Malformed, fmt.Sprintf("%s is %s, not an array of origins", list, clip(string(v))))
			continue
		}
		for i, it := range items {
			var s string
			if wire.Unmarshal(it, &s) != nil {
				into.Malformed = append(into.Malformed, fmt.Sprintf("%s[%d] is %s, not a string", list, i, clip(string(it))))
				continue
			}
			if !slices.Contains(into.CSP[list], s) {
				into.CSP[list] = append(into.CSP[list], s)
			}
		}
	}
	for _, p := range []string{"camera", "microphone", "geolocation", "clipboardWrite"} {
		if _, ok := ui.Permissions[p]; ok && !slices.Contains(into.Permissions, p) {
			into.Permissions = append(into.Permissions, p)
		}
	}
}

// clip bounds a server's string quoted in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// entryProblem says why an entry of a csp list is more than an origin over
// https or wss, "" when it is one; wildcard is set for a "*." host in
// resourceDomains, where the extension documents it ("Wildcard subdomains
// supported: `https://*.example.com`"), to be listed and not warned.
func entryProblem(list, entry string) (problem string, wildcard bool) {
	switch {
	case strings.ContainsAny(entry, " \t\r\n;,"):
		return "holds CSP syntax (a blank, ';' or ','): joined into a policy it adds sources or directives", false
	case strings.HasPrefix(entry, "'"):
		return "a CSP keyword, not an origin", false
	case entry == "*":
		return "a bare wildcard: every origin", false
	case entry == "":
		return "empty", false
	}
	scheme, rest, ok := strings.Cut(entry, "://")
	if !ok {
		if strings.HasSuffix(entry, ":") {
			return "a bare scheme: every host of it", false
		}
		return "no scheme: a host, not an origin (scheme://host[:port])", false
	}
	u, err := url.Parse(entry)
	if err != nil || u.Host == "" || strings.ContainsAny(rest, "@") {
		return "not an origin (scheme://host[:port])", false
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "a path or query: not an origin", false
	}
	switch strings.ToLower(scheme) {
	case "https", "wss":
	case "http", "ws":
		return "plain " + strings.ToLower(scheme) + ": code and data over an unauthenticated channel", false
	default:
		return "scheme " + scheme + ": not a web origin", false
	}
	host := u.Hostname()
	if strings.Contains(host, "*") {
		if list == resourceDomains && strings.HasPrefix(host, "*.") && !strings.Contains(host[2:], "*") {
			return "", true
		}
		if list == resourceDomains {
			return "a wildcard other than a leading \"*.\" subdomain", false
		}
		return "a wildcard in " + list + " (documented for resourceDomains only)", false
	}
	if u.Port() == "*" {
		return "a wildcard port", false
	}
	return "", false
}

// covers reports whether a csp entry allows an origin, read leniently, so
// that no load a host might allow is called blocked: an entry's path is
// ignored; a scheme-less entry matches any scheme; http: and ws: entries
// match their secure upgrades and each other (CSP3, "scheme-part
// match"), https: and wss: match each other; "*." matches subdomains, a
// "*" port any port, a bare "*" or a bare scheme every host.
func covers(entry, origin string) bool {
	entry = strings.TrimSpace(entry)
	oScheme, oHost, _ := strings.Cut(origin, "://")
	if entry == "*" {
		return true
	}
	eScheme, eRest, hasScheme := strings.Cut(entry, "://")
	if !hasScheme {
		if s, ok := strings.CutSuffix(entry, ":"); ok && !strings.ContainsAny(s, "/.") {
			return schemeMatches(strings.ToLower(s), oScheme)
		}
		eScheme, eRest = "", entry
	}
	if eScheme != "" && !schemeMatches(strings.ToLower(eScheme), oScheme) {
		return false
	}
	if i := strings.IndexAny(eRest, "/?#"); i >= 0 {
		eRest = eRest[:i]
	}
	eHost, ePort := splitHostPort(strings.ToLower(eRest))
	host, port := splitHostPort(oHost)
	switch {
	case ePort == "*":
	case ePort == "" && port == "":
	case ePort != "" && (ePort == port || port == "" && ePort == defaultPorts[oScheme]):
	default:
		return false
	}
	if sfx, ok := strings.CutPrefix(eHost, "*."); ok {
		return strings.HasSuffix(host, "."+sfx)
	}
	return eHost == host
}

func schemeMatches(entry, scheme string) bool {
	switch entry {
	case "http", "ws":
		_, web := defaultPorts[scheme]
		return web
	case "https", "wss":
		return scheme == "https" || scheme == "wss"
	}
	return entry == scheme
}

// splitHostPort splits "host:port" ("[v6]:port"); port is "" when absent.
func splitHostPort(hp string) (host, port string) {
	if strings.HasPrefix(hp, "[") {
		if i := strings.Index(hp, "]"); i >= 0 {
			host, rest := hp[:i+1], hp[i+1:]
			return host, strings.TrimPrefix(rest, ":")
		}
		return hp, ""
	}
	if i := strings.LastIndex(hp, ":"); i >= 0 {
		return hp[:i], hp[i+1:]
	}
	return hp, ""
}
