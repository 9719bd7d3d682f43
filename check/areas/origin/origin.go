package origin

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
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
// port) and has exactly one thing wrong; each family has an unaltered request: the
// same request with the own Origin (or none) and the own Host, served.
// Every probe names its Host explicitly, so that the model sees the Host
// the Origin is compared with.

func init() {
	check.Register(&check.Check{
		Name:       "origin/origin",
		IDs:        []spec.ID{spec.HttpOrigin},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkOriginFamily,
	})
	check.Register(&check.Check{
		Name:       "origin/host",
		IDs:        []spec.ID{spec.HttpHost},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      probe.NeedsLoopbackTarget,
		Run:        checkHostFamily,
	})
	check.Register(&check.Check{
		Name:       "origin/exact",
		IDs:        []spec.ID{spec.HttpOriginExact},
		Transports: []wire.Transport{wire.HTTP},
		Needs:      probe.NeedsLoopbackTarget,
		Run:        checkOriginExact,
	})
	check.Register(&check.Check{
		Name:       "origin/cors",
		IDs:        []spec.ID{spec.HttpCors},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkCORSPreflight,
	})
}

// originProbeServed finds a served request for instance i's URL: the list
// unaltered request with the own Host and the own Origin, else with no Origin. It
// returns the request builder (with the Host set) and a description of the
// unaltered request.
func originProbeServed(e *check.Env, i int, u *url.URL) (func() *check.Request, string, bool) {
	mk := func() *check.Request {
		r := listRequest(e)
		probe.SetHeader(r, "Host", probe.Str(u.Host))
		return r
	}
	own := probe.OwnOrigin(u)
	if o := e.SendTo(i, probe.WithHeaderValue(mk(), "Origin", own)); o.Accepted() {
		return mk, "the own Origin " + own, true
	}
	if o := e.SendTo(i, mk()); o.Accepted() {
		return mk, "no Origin (the own Origin " + own + " was refused too)", true
	}
	return nil, "", false
}

// listRequest builds the list request ListBaseline would send, with a
// fresh id.
func listRequest(e *check.Env) *check.Request {
	return e.Request(e.ListMethod(), map[string]any{})
}

// checkOriginFamily sends the unaltered request with each hostile Origin (and the
// own Host) to every instance: each must get 403. The model judges the
// status; the check passes only when every case got 403 after a served
// unaltered request.
func checkOriginFamily(e *check.Env) {
	total := 0
	var examples []string
	for i := 0; i < e.Instances(); i++ {
		u, err := probe.TargetURL(e, i)
		if err != nil {
			e.Inconclusive(spec.HttpOrigin, "%v", err)
			return
		}
		mk, base, ok := originProbeServed(e, i, u)
		if !ok {
			e.Inconclusive(spec.HttpOrigin, "the server did not serve the unaltered request (with the own Origin %s, nor without an Origin)", probe.OwnOrigin(u))
			return
		}
		cases := probe.HostileOrigins(e, u)
		for _, c := range cases {
			if e.Ctx.Err() != nil {
				return
			}
			o := e.SendTo(i, probe.WithHeaderValue(mk(), "Origin", c.Origin))
			if _, bad := o.Violated(spec.HttpOrigin); bad {
				return // the model reported it, with the case
			}
			switch {
			case !o.Answered():
				e.Inconclusive(spec.HttpOrigin, "Origin %q (%s): %s", c.Origin, c.Why, o.Describe())
				return
			case o.Ex.Status != 403:
				// The model reads the Origin as valid after all; not judged.
				e.Inconclusive(spec.HttpOrigin, "Origin %q (%s): %s, and the model did not judge it", c.Origin, c.Why, o.Describe())
				return
			}
			total++
			if len(examples) < 5 {
				examples = append(examples, c.Origin)
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

// checkHostFamily sends the unaltered request (no Origin) with each foreign Host:
// a local server should refuse it (any rejection counts; the spec names
// none, this is hardening). A served foreign Host is a warning.
func checkHostFamily(e *check.Env) {
	u, err := probe.TargetURL(e, 0)
	if err != nil {
		e.Inconclusive(spec.HttpHost, "%v", err)
		return
	}
	mk := func() *check.Request { return listRequest(e) }
	if o := e.Send(probe.WithHeaderValue(mk(), "Host", u.Host)); !o.Accepted() {
		e.Inconclusive(spec.HttpHost, "the server did not serve the unaltered request with its own Host %s (%s)", u.Host, o.Describe())
		return
	}
	cases := probe.HostileHosts(u)
	for _, c := range cases {
		r := probe.WithHeaderValue(mk(), "Host", c.Host)
		if c.Origin != "" {
			probe.SetHeader(r, "Origin", probe.Str(c.Origin))
		}
		o := e.Send(r)
		switch {
		case !o.Answered():
			e.Inconclusive(spec.HttpHost, "Host %q (%s): %s", c.Host, c.Why, o.Describe())
			return
		case o.Accepted():
			e.Violation(spec.HttpHost, "Host %q (%s) was served (%s), while the server runs on %s: a web page that rebinds its name to this machine can reach it", c.Host, c.Why, o.Describe(), u.Host)
			return
		case !o.Rejected():
			e.Inconclusive(spec.HttpHost, "Host %q (%s): %s", c.Host, c.Why, o.Describe())
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
func checkCORSPreflight(e *check.Env) {
	u, err := probe.TargetURL(e, 0)
	if err != nil {
		e.Inconclusive(spec.HttpCors, "%v", err)
		return
	}
	if _, _, ok := originProbeServed(e, 0, u); !ok {
		e.Inconclusive(spec.HttpCors, "the server did not serve the unaltered request")
		return
	}
	own := probe.OwnOrigin(u)
	origins := []string{own}
	for _, c := range probe.HostileOrigins(e, u) {
		if len(origins) >= 4 {
			break
		}
		origins = append(origins, c.Origin)
	}
	var answers []string
	for _, origin := range origins {
		r := &check.Request{HTTPMethod: http.MethodOptions, Header: http.Header{}}
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

// origin/exact

// loopbackAliases are Origins that name the target's port on another
// loopback address or spelling than the one it is reached under: another
// address of 127/8, and the IPv4-mapped IPv6 form of an IPv4 target. A
// page there is on the same machine, so accepting one breaks no rule
// (the model does not judge them); an allow-list of any loopback is the
// hardening finding.
func loopbackAliases(u *url.URL) []string {
	ip := net.ParseIP(u.Hostname()).To4()
	if ip == nil || !ip.IsLoopback() {
		return nil
	}
	port := wire.EffectivePort(u)
	other := net.IPv4(127, 0, 0, 2)
	if ip.Equal(other) {
		other = net.IPv4(127, 0, 0, 3)
	}
	return []string{
		u.Scheme + "://" + net.JoinHostPort(other.String(), port),
		u.Scheme + "://" + net.JoinHostPort("::ffff:"+ip.String(), port),
	}
}

// checkOriginExact sends the unaltered request with each loopback alias
// of the target's own origin: a 403 for each passes, a served one warns.
func checkOriginExact(e *check.Env) {
	u, err := probe.TargetURL(e, 0)
	if err != nil {
		e.Inconclusive(spec.HttpOriginExact, "%v", err)
		return
	}
	aliases := loopbackAliases(u)
	if len(aliases) == 0 {
		e.Skip(spec.HttpOriginExact, "the target %s is not on an IPv4 loopback address: no other loopback spelling to try", u.Host)
		return
	}
	mk, base, ok := originProbeServed(e, 0, u)
	if !ok {
		e.Inconclusive(spec.HttpOriginExact, "the server did not serve the unaltered request (with the own Origin %s, nor without an Origin)", probe.OwnOrigin(u))
		return
	}
	// A server that serves a foreign Origin fails HTTP-ORIGIN: its
	// aliases are the same cause, not a finding of their own.
	if o := e.Send(probe.WithHeaderValue(mk(), "Origin", "https://evil.test")); o.Accepted() {
		e.Skip(spec.HttpOriginExact, "the server serves the foreign Origin https://evil.test (%s): it checks no Origin, which HTTP-ORIGIN reports", o.Describe())
		return
	}
	var served []string
	var ev []*wire.Exchange
	for _, a := range aliases {
		mark := e.Mark()
		o := e.Send(probe.WithHeaderValue(mk(), "Origin", a))
		switch {
		case !o.Answered():
			e.Inconclusive(spec.HttpOriginExact, "Origin %q: %s", a, o.Describe())
			return
		case o.Accepted():
			served = append(served, fmt.Sprintf("Origin %q: %s", a, o.Describe()))
			if ev == nil {
				ev = e.Since(mark)
			}
		case o.Ex.Status != 403:
			e.Inconclusive(spec.HttpOriginExact, "Origin %q: %s (neither served nor refused with 403)", a, o.Describe())
			return
		}
	}
	if len(served) > 0 {
		e.ViolationShown(ev, spec.HttpOriginExact, "another loopback address on the server's port was accepted as its origin: %s; the server is reached as %s", strings.Join(served, "; "), probe.OwnOrigin(u))
		return
	}
	e.Pass(spec.HttpOriginExact, "%s were answered with 403, while the same request with %s was served", strings.Join(probe.Quoted(aliases), " and "), base)
}
