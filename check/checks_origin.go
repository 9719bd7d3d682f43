package check

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks against DNS rebinding (basic/transports/streamable-http.mdx,
// "Security & Endpoint"): a present, invalid Origin gets 403 (HTTP-ORIGIN, a
// MUST); beyond the spec, a local server refuses a foreign Host (HTTP-HOST)
// and answers no CORS preflight with a wildcard (HTTP-CORS), both
// HARDENING.
//
// Every case is generated from the target URL's own origin (scheme, host,
// port) and has exactly one thing wrong; each family has a baseline: the
// same request with the own Origin (or none) and the own Host, served.
// Every probe names its Host explicitly, so that the model sees the Host
// the Origin is compared with.

func init() {
	register(&Check{
		Name:       "origin/origin",
		IDs:        []spec.ID{spec.HttpOrigin},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkOriginFamily,
	})
	register(&Check{
		Name:       "origin/host",
		IDs:        []spec.ID{spec.HttpHost},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      needsLoopbackTarget,
		Run:        checkHostFamily,
	})
	register(&Check{
		Name:       "origin/cors",
		IDs:        []spec.ID{spec.HttpCors},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkCORSPreflight,
	})
}

// targetURL returns the URL of instance i (an HTTP target describes itself
// by its URL).
func targetURL(e *Env, i int) (*url.URL, error) {
	raw := e.Target(i).Describe()
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("target %q is not a URL: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q is not an http(s) URL", raw)
	}
	return u, nil
}

// targetOwnOrigin is the target's own origin, as a browser serializes it for a
// page served from the target's URL.
func targetOwnOrigin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// urlEffectivePort is the URL's port, or its scheme's default.
func urlEffectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// isLoopbackHostName reports localhost, *.localhost excluded, and loopback
// addresses (127/8, ::1, IPv4-mapped loopback).
func isLoopbackHostName(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i]
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// needsLoopbackTarget: the Host family applies to local servers; a remote
// server legitimately serves its public Host names.
func needsLoopbackTarget(e *Env) string {
	u, err := targetURL(e, 0)
	if err != nil {
		return err.Error()
	}
	if !isLoopbackHostName(u.Hostname()) {
		return fmt.Sprintf("the target %s is not on a loopback host: a remote server legitimately serves the Host names it is published under", u.Host)
	}
	return ""
}

// modelOriginInvalid restates the model's reading of HTTP-ORIGIN (an Origin
// is valid when configured, or when its host:port is the request's Host),
// so that the family holds only Origins the model will judge: a probe the
// model considers valid would prove nothing.
func modelOriginInvalid(origin, host string, allowed []string) bool {
	if slices.Contains(allowed, origin) {
		return false
	}
	if origin == "null" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true
	}
	return !strings.EqualFold(u.Host, host)
}

// sameServerLoopbackAlias reports an Origin that names the target by another
// loopback spelling on the same port (http://localhost:P for a server at
// 127.0.0.1:P, [::1]...): a page there is served by the same server, so a
// server may accept it; it is no hostile case.
func sameServerLoopbackAlias(origin string, target *url.URL) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return false
	}
	return isLoopbackHostName(target.Hostname()) && isLoopbackHostName(u.Hostname()) && urlEffectivePort(u) == urlEffectivePort(target)
}

// hostileOriginCase is one hostile Origin and what makes it hostile.
type hostileOriginCase struct{ origin, why string }

// hostileOrigins generates the family from the target's own origin: the
// opaque origin null; another port; the other scheme; non-web schemes;
// look-alike hosts (suffix, prefix, subdomain, nip.io), in upper case too;
// a trailing dot; userinfo tricks; foreign and loopback IPv6 and IPv4
// forms; 0.0.0.0; a plainly foreign origin. Cases that name the same server
// by another loopback spelling, and cases the model reads as valid, are
// left out (see sameServerLoopbackAlias, modelOriginInvalid).
func hostileOrigins(e *Env, u *url.URL) []hostileOriginCase {
	scheme, host, port := u.Scheme, u.Hostname(), u.Port()
	other := "https"
	if scheme == "https" {
		other = "http"
	}
	ipv6 := strings.Contains(host, ":")
	bracket := func(h string) string {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	withPort := func(h, p string) string {
		if p == "" {
			return bracket(h)
		}
		return net.JoinHostPort(h, p)
	}
	ep, _ := strconv.Atoi(urlEffectivePort(u))
	alt := strconv.Itoa(ep + 1)
	if ep >= 65535 {
		alt = strconv.Itoa(ep - 1)
	}
	ext := strings.Repeat("a", 16) + randLetters(e, 16)
	var cs []hostileOriginCase
	add := func(o, why string) { cs = append(cs, hostileOriginCase{o, why}) }
	add("null", "the opaque origin null (sandboxed frames, file: pages, cross-origin redirects)")
	add(scheme+"://"+withPort(host, alt), "another port on the same host (another web server there)")
	if port != "" {
		add(scheme+"://"+bracket(host), "the same host on the scheme's default port")
	}
	add(other+"://"+withPort(host, port), "the other scheme")
	add(other+"://"+bracket(host), "the other scheme on its default port")
	add("file://", "a file: page")
	add("chrome-extension://"+ext, "a browser extension")
	add("https://evil.test", "a foreign origin")
	add(scheme+"://"+withPort("evil.test", port), "a foreign host on the same port")
	add(scheme+"://"+withPort("0.0.0.0", port), "0.0.0.0, which browsers route to the local host")
	add(scheme+"://"+withPort("2001:db8::1", port), "a foreign IPv6 address")
	add(scheme+"://"+withPort("::ffff:c000:201", port), "a foreign IPv4-mapped IPv6 address")
	add(scheme+"://"+withPort(host, port)+"@evil.test", "userinfo that spells the own origin before a foreign host")
	add(scheme+"://evil.test@"+withPort(host, port), "userinfo naming a foreign host before the own host")
	if !isLoopbackHostName(host) {
		add(scheme+"://"+withPort("localhost", port), "localhost, for a remote server")
		add(scheme+"://"+withPort("127.0.0.1", port), "127.0.0.1, for a remote server")
		add(scheme+"://"+withPort("::1", port), "[::1], for a remote server")
	} else {
		add(scheme+"://"+withPort("localhost", alt), "localhost on a foreign port")
		add(scheme+"://"+withPort("127.0.0.1", alt), "127.0.0.1 on a foreign port")
		add(scheme+"://"+withPort("::1", alt), "[::1] on a foreign port")
	}
	if !ipv6 {
		add(scheme+"://"+withPort(host+".evil.test", port), "a look-alike: the host as a subdomain of a foreign domain")
		add(scheme+"://"+withPort(host+"evil.test", port), "a look-alike: the host as a prefix of a foreign name")
		add(scheme+"://"+withPort("evil-"+host, port), "a look-alike: a foreign name ending in the host")
		add(scheme+"://"+withPort("evil."+host, port), "a subdomain of the host")
		add(strings.ToUpper(scheme+"://"+withPort(host+".evil.test", port)), "an upper-case look-alike")
		add(scheme+"://"+withPort(host+".", port), "the host with a trailing dot (another name to the browser)")
		if net.ParseIP(host) != nil {
			add(scheme+"://"+withPort(host+".nip.io", port), "a wildcard-DNS name that resolves to the host's address")
		}
		add(scheme+"://"+withPort("localhost.evil.test", port), "a look-alike of localhost")
	}
	var out []hostileOriginCase
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.origin] || sameServerLoopbackAlias(c.origin, u) || !modelOriginInvalid(c.origin, u.Host, e.Opts.Model.AllowedOrigins) {
			continue
		}
		seen[c.origin] = true
		out = append(out, c)
	}
	return out
}

// originProbeBaseline finds a served request for instance i's URL: the list
// baseline with the own Host and the own Origin, else with no Origin. It
// returns the request builder (with the Host set) and a description of the
// baseline.
func originProbeBaseline(e *Env, i int, u *url.URL) (func() *Request, string, bool) {
	mk := func() *Request {
		r := baselineListRequest(e)
		SetHeader(r, "Host", Str(u.Host))
		return r
	}
	own := targetOwnOrigin(u)
	if o := e.SendTo(i, withHeaderValue(mk(), "Origin", own)); o.Accepted() {
		return mk, "the own Origin " + own, true
	}
	if o := e.SendTo(i, mk()); o.Accepted() {
		return mk, "no Origin (the own Origin " + own + " was refused too)", true
	}
	return nil, "", false
}

// baselineListRequest builds the list request ListBaseline would send, with a
// fresh id.
func baselineListRequest(e *Env) *Request {
	return e.Request(baselineMethod(e), map[string]any{})
}

// checkOriginFamily sends the baseline with each hostile Origin (and the
// own Host) to every instance: each must get 403. The model judges the
// status; the check passes only when every case got 403 after a served
// baseline.
func checkOriginFamily(e *Env) {
	total := 0
	var examples []string
	for i := 0; i < e.Instances(); i++ {
		u, err := targetURL(e, i)
		if err != nil {
			e.Inconclusive(spec.HttpOrigin, "%v", err)
			return
		}
		mk, base, ok := originProbeBaseline(e, i, u)
		if !ok {
			e.Inconclusive(spec.HttpOrigin, "the server did not serve the baseline request (with the own Origin %s, nor without an Origin)", targetOwnOrigin(u))
			return
		}
		cases := hostileOrigins(e, u)
		for _, c := range cases {
			if e.Ctx.Err() != nil {
				return
			}
			o := e.SendTo(i, withHeaderValue(mk(), "Origin", c.origin))
			if _, bad := o.Violated(spec.HttpOrigin); bad {
				return // the model reported it, with the case
			}
			switch {
			case !o.Answered():
				e.Inconclusive(spec.HttpOrigin, "Origin %q (%s): %s", c.origin, c.why, o.Describe())
				return
			case o.Ex.Status != 403:
				// The model reads the Origin as valid after all; not judged.
				e.Inconclusive(spec.HttpOrigin, "Origin %q (%s): %s, and the model did not judge it", c.origin, c.why, o.Describe())
				return
			}
			total++
			if len(examples) < 5 {
				examples = append(examples, c.origin)
			}
		}
		if i == 0 && len(cases) == 0 {
			e.Inconclusive(spec.HttpOrigin, "no hostile Origin could be generated for %s", u.Host)
			return
		}
		if i == e.Instances()-1 {
			e.Pass(spec.HttpOrigin, "%d hostile Origins (%s ...) were answered with 403, while the same request with %s was served",
				total, strings.Join(examples, ", "), base)
		}
	}
}

// hostileHostCase is one foreign Host, with the Origin a browser would send
// along, if any.
type hostileHostCase struct{ host, origin, why string }

// hostileHosts generates foreign Host values for a local target: a foreign
// name with and without the port, look-alikes of the host and of
// localhost, a wildcard-DNS name, upper case, and the DNS-rebinding request
// as a browser sends it (the attacker's name as Host and as Origin, which
// then agree).
func hostileHosts(u *url.URL) []hostileHostCase {
	host, port := u.Hostname(), u.Port()
	withPort := func(h string) string {
		if port == "" {
			return h
		}
		return net.JoinHostPort(h, port)
	}
	cs := []hostileHostCase{
		{host: withPort("evil.test"), why: "a foreign name"},
		{host: "evil.test", why: "a foreign name without a port"},
		{host: withPort("localhost.evil.test"), why: "a look-alike of localhost"},
		{host: withPort("127.0.0.1.nip.io"), why: "a wildcard-DNS name that resolves to 127.0.0.1"},
		{host: strings.ToUpper(withPort("evil.test")), why: "a foreign name in upper case"},
		{host: withPort("rebind.evil.test"), origin: u.Scheme + "://" + withPort("rebind.evil.test"), why: "a DNS-rebinding request as a browser sends it (Origin and Host agree)"},
	}
	if !strings.Contains(host, ":") && host != "localhost" && host != "127.0.0.1" {
		cs = append(cs, hostileHostCase{host: withPort(host + ".evil.test"), why: "a look-alike of the host"})
	}
	return cs
}

// checkHostFamily sends the baseline (no Origin) with each foreign Host:
// a local server should refuse it (any rejection counts; the spec names
// none, this is hardening). A served foreign Host is a warning.
func checkHostFamily(e *Env) {
	u, err := targetURL(e, 0)
	if err != nil {
		e.Inconclusive(spec.HttpHost, "%v", err)
		return
	}
	mk := func() *Request { return baselineListRequest(e) }
	if o := e.Send(withHeaderValue(mk(), "Host", u.Host)); !o.Accepted() {
		e.Inconclusive(spec.HttpHost, "the server did not serve the baseline request with its own Host %s (%s)", u.Host, o.Describe())
		return
	}
	cases := hostileHosts(u)
	for _, c := range cases {
		r := withHeaderValue(mk(), "Host", c.host)
		if c.origin != "" {
			SetHeader(r, "Origin", Str(c.origin))
		}
		o := e.Send(r)
		switch {
		case !o.Answered():
			e.Inconclusive(spec.HttpHost, "Host %q (%s): %s", c.host, c.why, o.Describe())
			return
		case o.Accepted():
			e.Violation(spec.HttpHost, "Host %q (%s) was served (%s), while the server runs on %s: a web page that rebinds its name to this machine can reach it", c.host, c.why, o.Describe(), u.Host)
			return
		case !o.Rejected():
			e.Inconclusive(spec.HttpHost, "Host %q (%s): %s", c.host, c.why, o.Describe())
			return
		}
	}
	e.Pass(spec.HttpHost, "%d foreign Host values (look-alikes, wildcard DNS, a rebinding request with a matching Origin) were refused, while the own Host %s was served", len(cases), u.Host)
}

// checkCORSPreflight sends CORS preflights (OPTIONS with Origin,
// Access-Control-Request-Method: POST and the MCP headers) from the own
// origin and from hostile ones. No preflight may be answered (2xx) with
// Access-Control-Allow-Origin: *, nor echo a hostile origin with
// credentials allowed.
func checkCORSPreflight(e *Env) {
	u, err := targetURL(e, 0)
	if err != nil {
		e.Inconclusive(spec.HttpCors, "%v", err)
		return
	}
	if _, _, ok := originProbeBaseline(e, 0, u); !ok {
		e.Inconclusive(spec.HttpCors, "the server did not serve the baseline request")
		return
	}
	own := targetOwnOrigin(u)
	origins := []string{own}
	for _, c := range hostileOrigins(e, u) {
		if len(origins) >= 4 {
			break
		}
		origins = append(origins, c.origin)
	}
	var answers []string
	for _, origin := range origins {
		r := &Request{HTTPMethod: http.MethodOptions, Header: http.Header{}}
		r.Header["Host"] = []string{u.Host}
		r.Header["Origin"] = []string{origin}
		r.Header["Access-Control-Request-Method"] = []string{http.MethodPost}
		r.Header["Access-Control-Request-Headers"] = []string{"content-type, mcp-protocol-version, mcp-method, mcp-name"}
		o := e.Send(r)
		if !o.Answered() {
			e.Inconclusive(spec.HttpCors, "a preflight from %s: %s", origin, o.Describe())
			return
		}
		st := o.Ex.Status
		acao, _ := o.Ex.ResponseHeader("access-control-allow-origin")
		acac, _ := o.Ex.ResponseHeader("access-control-allow-credentials")
		ok2xx := st >= 200 && st < 300
		switch {
		case ok2xx && strings.TrimSpace(acao) == "*":
			e.Violation(spec.HttpCors, "a preflight from %s was answered %d with Access-Control-Allow-Origin: *: any web page may call the server", origin, st)
			return
		case ok2xx && origin != own && strings.TrimSpace(acao) == origin && strings.EqualFold(strings.TrimSpace(acac), "true"):
			e.Violation(spec.HttpCors, "a preflight from the hostile origin %s was answered %d echoing it in Access-Control-Allow-Origin with credentials allowed", origin, st)
			return
		}
		a := fmt.Sprintf("%s: %d", origin, st)
		if acao != "" {
			a += " allowing " + acao
		}
		answers = append(answers, a)
	}
	e.Pass(spec.HttpCors, "no preflight was answered with a wildcard (%s)", strings.Join(answers, "; "))
}
