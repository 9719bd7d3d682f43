package probe

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// TargetURL returns the URL of instance i (an HTTP target describes itself
// by its URL).
func TargetURL(e *check.Env, i int) (*url.URL, error) {
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

// OwnOrigin is the target's own origin, as a browser serializes it for a
// page served from the target's URL.
func OwnOrigin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// NeedsLoopbackTarget: the Host family applies to local servers; a remote
// server legitimately serves its public Host names.
func NeedsLoopbackTarget(e *check.Env) string {
	u, err := TargetURL(e, 0)
	if err != nil {
		return err.Error()
	}
	if !wire.IsLoopbackHost(u.Hostname()) {
		return fmt.Sprintf("the target %s is not on a loopback host: a remote server legitimately serves the Host names it is published under", u.Host)
	}
	return ""
}

// ModelOriginInvalid restates the model's reading of HTTP-ORIGIN (an Origin
// is valid when configured, or when its host:port is the request's Host),
// so that the family holds only Origins the model will judge: a probe the
// model considers valid would prove nothing.
func ModelOriginInvalid(origin, host string, allowed []string) bool {
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
	if strings.EqualFold(u.Host, host) {
		return false
	}
	hu, err := url.Parse(u.Scheme + "://" + host)
	return err != nil || !SameServerLoopbackAlias(origin, hu)
}

// SameServerLoopbackAlias reports an Origin that names the target by another
// loopback spelling on the same port (http://localhost:P for a server at
// 127.0.0.1:P, [::1]...): a page there is served by the same server, so a
// server may accept it; it is no hostile case.
func SameServerLoopbackAlias(origin string, target *url.URL) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return false
	}
	return wire.IsLoopbackHost(target.Hostname()) && wire.IsLoopbackHost(u.Hostname()) && wire.EffectivePort(u) == wire.EffectivePort(target)
}

// HostileOrigin is one hostile Origin and what makes it hostile.
type HostileOrigin struct{ Origin, Why string }

// HostileOrigins generates the family from the target's own origin: the
// opaque origin null; another port; the other scheme; non-web schemes;
// look-alike hosts (suffix, prefix, subdomain, nip.io), in upper case too;
// a trailing dot; userinfo tricks; foreign and loopback IPv6 and IPv4
// forms; 0.0.0.0; a plainly foreign origin. Cases that name the same server
// by another loopback spelling, and cases the model reads as valid, are
// left out (see sameServerLoopbackAlias, modelOriginInvalid).
func HostileOrigins(e *check.Env, u *url.URL) []HostileOrigin {
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
	ep, _ := strconv.Atoi(wire.EffectivePort(u))
	alt := strconv.Itoa(ep + 1)
	if ep >= 65535 {
		alt = strconv.Itoa(ep - 1)
	}
	ext := strings.Repeat("a", 16) + RandLetters(e, 16)
	var cs []HostileOrigin
	add := func(o, why string) { cs = append(cs, HostileOrigin{o, why}) }
	// The most convincing first: a message leads with the first that broke.
	add("https://evil.test", "a foreign origin")
	add(scheme+"://"+withPort("evil.test", port), "a foreign host on the same port")
	add("null", "the opaque origin null (sandboxed frames, file: pages, cross-origin redirects)")
	add(scheme+"://"+withPort(host, alt), "another port on the same host (another web server there)")
	if port != "" {
		add(scheme+"://"+bracket(host), "the same host on the scheme's default port")
	}
	add(other+"://"+withPort(host, port), "the other scheme")
	add(other+"://"+bracket(host), "the other scheme on its default port")
	add("file://", "a file: page")
	add("chrome-extension://"+ext, "a browser extension")
	add(scheme+"://"+withPort("0.0.0.0", port), "0.0.0.0, which browsers route to the local host")
	add(scheme+"://"+withPort("2001:db8::1", port), "a foreign IPv6 address")
	add(scheme+"://"+withPort("::ffff:c000:201", port), "a foreign IPv4-mapped IPv6 address")
	add(scheme+"://[::1%25lo]:"+wire.EffectivePort(u), "the IPv6 loopback with a zone identifier, which no browser sends (a parser edge case)")
	add(scheme+"://"+withPort(host, port)+"@evil.test", "userinfo that spells the own origin before a foreign host")
	add(scheme+"://evil.test@"+withPort(host, port), "userinfo naming a foreign host before the own host")
	if !wire.IsLoopbackHost(host) {
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
	var out []HostileOrigin
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Origin] || SameServerLoopbackAlias(c.Origin, u) || !ModelOriginInvalid(c.Origin, u.Host, e.Opts.Model.AllowedOrigins) {
			continue
		}
		seen[c.Origin] = true
		out = append(out, c)
	}
	return out
}

// HostileHost is one foreign Host, with the Origin a browser would send
// along, if any.
type HostileHost struct{ Host, Origin, Why string }

// HostileHosts generates foreign Host values for a local target: a foreign
// name with and without the port, look-alikes of the host and of
// localhost, a wildcard-DNS name, upper case, and the DNS-rebinding request
// as a browser sends it (the attacker's name as Host and as Origin, which
// then agree).
func HostileHosts(u *url.URL) []HostileHost {
	host, port := u.Hostname(), u.Port()
	withPort := func(h string) string {
		if port == "" {
			return h
		}
		return net.JoinHostPort(h, port)
	}
	cs := []HostileHost{
		{Host: withPort("evil.test"), Why: "a foreign name"},
		{Host: "evil.test", Why: "a foreign name without a port"},
		{Host: withPort("localhost.evil.test"), Why: "a look-alike of localhost"},
		{Host: withPort("127.0.0.1.nip.io"), Why: "a wildcard-DNS name that resolves to 127.0.0.1"},
		{Host: strings.ToUpper(withPort("evil.test")), Why: "a foreign name in upper case"},
		{Host: withPort("rebind.evil.test"), Origin: u.Scheme + "://" + withPort("rebind.evil.test"), Why: "a DNS-rebinding request as a browser sends it (Origin and Host agree)"},
	}
	if !strings.Contains(host, ":") && host != "localhost" && host != "127.0.0.1" {
		cs = append(cs, HostileHost{Host: withPort(host + ".evil.test"), Why: "a look-alike of the host"})
	}
	return cs
}
