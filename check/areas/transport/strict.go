package transport

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Messages that different components may read differently: hardening
// checks where the spec leaves the choice to the server, but a
// disagreement between a router and the server is an attack.

func init() {
	check.Register(&check.Check{
		Name:       "transport/notification-headers",
		IDs:        []spec.ID{spec.HttpNotificationHeaders},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkNotificationHeaders,
	})
	check.Register(&check.Check{
		Name:       "transport/auth-before-body",
		IDs:        []spec.ID{spec.HttpAuthBeforeBody},
		Transports: []wire.Transport{wire.HTTP},
		Run:        checkAuthBeforeBody,
	})
	check.Register(&check.Check{
		Name: "transport/member-case",
		IDs:  []spec.ID{spec.CoreMemberCase},
		Run:  checkMemberCase,
	})
}

// transport/notification-headers

// checkNotificationHeaders finds a notification the server accepts as
// sent (202), then sends it with Mcp-Method naming another method, and
// without MCP-Protocol-Version: each should get an HTTP error status.
// Header requirements for notification POSTs are not defined by this
// revision (streamable-http.mdx, "Sending Messages"), so an accepted one
// is a hardening warning.
func checkNotificationHeaders(e *check.Env) {
	var base func() *check.Request
	var name string
	for _, m := range []string{"notifications/cancelled", "notifications/mcpverify_" + probe.RandLetters(e, 6)} {
		params := map[string]any{}
		if m == "notifications/cancelled" {
			params = map[string]any{"requestId": e.RandHex(4), "reason": "mcpverify"}
		}
		mk := func() *check.Request { return e.Notification(m, params) }
		if o := e.Send(mk()); o.Answered() && o.Ex.Status == 202 {
			base, name = mk, m
			break
		}
	}
	if base == nil {
		e.Skip(spec.HttpNotificationHeaders, "the server accepts no notification as sent (notifications/cancelled, an unknown one): nothing to compare")
		return
	}
	cases := []struct {
		what string
		r    *check.Request
	}{
		{"with Mcp-Method: tools/call", probe.WithHeaderValue(base(), wire.HeaderMethod, "tools/call")},
		{"without " + wire.HeaderProtocolVersion, func() *check.Request { r := base(); probe.SetHeader(r, wire.HeaderProtocolVersion, nil); return r }()},
	}
	var accepted, refused []string
	var ev []*wire.Exchange
	for _, c := range cases {
		mark := e.Mark()
		o := e.Send(c.r)
		switch {
		case !o.Answered():
			e.Inconclusive(spec.HttpNotificationHeaders, "%s %s: %s", name, c.what, o.Describe())
			return
		case o.Ex.Status == 202:
			accepted = append(accepted, c.what)
			if ev == nil {
				ev = e.Since(mark)
			}
		case o.Ex.Status >= 400:
			refused = append(refused, fmt.Sprintf("%s: HTTP %d", c.what, o.Ex.Status))
		default:
			e.Inconclusive(spec.HttpNotificationHeaders, "%s %s: %s", name, c.what, o.Describe())
			return
		}
	}
	if len(accepted) > 0 {
		e.ViolationShown(ev, spec.HttpNotificationHeaders, "the notification %s was accepted (HTTP 202) %s, as it was with its headers right; a router reading the headers and the server reading the body disagree about it",
			name, strings.Join(accepted, " and "))
		return
	}
	e.Pass(spec.HttpNotificationHeaders, "the notification %s, accepted with its headers right, was refused %s", name, strings.Join(refused, ", "))
}

// transport/member-case

// caseVariants are the params members a request's envelope names, each
// with a variant that differs only by case.
var caseVariants = [][2]string{{"name", "Name"}, {"arguments", "Arguments"}, {"_meta", "_META"}}

// checkMemberCase sends the served tools/call (or, without tools, the list
// request) with each member of its params doubled by a case variant
// holding another value: each should be refused. A served one is a
// hardening warning: decoders that match names case-insensitively take
// the last, so that a validator and a dispatcher read different values.
func checkMemberCase(e *check.Env) {
	b, ok := probe.ServedToolCall(e, false)
	if !ok {
		if b, ok = probe.ServedList(e); !ok {
			e.Inconclusive(spec.CoreMemberCase, "the server did not serve the unaltered request")
			return
		}
	}
	var msg map[string]any
	if wire.Unmarshal(b.Req.Body, &msg) != nil {
		e.Inconclusive(spec.CoreMemberCase, "the unaltered request's body could not be read back")
		return
	}
	var served, refused []string
	var ev []*wire.Exchange
	n := 0
	for _, v := range caseVariants {
		params, _ := msg["params"].(map[string]any)
		orig, ok := params[v[0]]
		if !ok {
			continue
		}
		variant := maps.Clone(params)
		variant[v[1]] = caseDecoy(orig)
		body := maps.Clone(msg)
		body["id"], body["params"] = e.NextID(), variant
		n++
		mark := e.Mark()
		o := e.Send(probe.WithBody(b.Req, wire.MustMarshal(body)))
		what := fmt.Sprintf("%s with %q beside %q", b.Method, v[1], v[0])
		switch {
		case !o.Answered():
			e.Inconclusive(spec.CoreMemberCase, "%s: %s", what, o.Describe())
			return
		case o.Accepted():
			served = append(served, what+": "+o.Describe())
			if ev == nil {
				ev = e.Since(mark)
			}
		default:
			refused = append(refused, what)
		}
	}
	switch {
	case n == 0:
		e.Skip(spec.CoreMemberCase, "the served request has none of the members name, arguments and _meta")
	case len(served) > 0:
		e.ViolationShown(ev, spec.CoreMemberCase, "params holding member names that differ only by case were served: %s; a decoder that matches names case-insensitively reads the other value", probe.ListSome(served, 3, "; "))
	default:
		e.Pass(spec.CoreMemberCase, "every request whose params doubled a member by a case variant was refused (%s), though the same request was served", strings.Join(refused, "; "))
	}
}

// caseDecoy is another value of orig's kind: a name another tool or
// prompt does not have, an empty object.
func caseDecoy(orig any) any {
	switch orig.(type) {
	case string:
		return "mcpverify_case_variant"
	case map[string]any:
		return map[string]any{}
	}
	return nil
}

// transport/auth-before-body

// authProbeBody is the body a request without credentials declares: big
// enough that a server reading it whole before authenticating holds it,
// well under common body limits.
const authProbeBody = 1 << 20

// authProbeWait is how long the check waits for the 401 after the first
// bytes of the body.
const authProbeWait = 2 * time.Second

// checkAuthBeforeBody: on a server that refuses a request without the
// client's credentials (401 or 403), a POST without them that declares a
// 1 MiB body and sends only its first bytes should be refused at once, on
// its headers. No answer within authProbeWait means the server waits for
// the body before it authenticates (HTTP-AUTH-BEFORE-BODY, hardening).
func checkAuthBeforeBody(e *check.Env) {
	id := spec.HttpAuthBeforeBody
	u, ok := probe.RawURL(e)
	if !ok {
		e.Skip(id, "a body declared and not sent is written only to a plain http:// target")
		return
	}
	if len(e.Client.Header) == 0 {
		e.Skip(id, "the client sends no credentials (--header): no refusal of a request without them to time")
		return
	}
	b, ok := probe.ServedList(e)
	if !ok {
		e.Inconclusive(id, "the server did not serve the unaltered request")
		return
	}
	bare := e.RequestAs(e.AsAnonymous(e.Client), b.Method, probe.CloneParams(b.Params))
	o := e.Send(bare)
	if !o.Answered() || (o.Ex.Status != 401 && o.Ex.Status != 403) {
		e.Skip(id, "%s without the client's credentials was %s, not refused with 401 or 403: the server does not require them", b.Method, o.Describe())
		return
	}
	// The same request without credentials, its body padded to
	// authProbeBody, of which only the headers and 64 bytes are written.
	pad := bytes.Repeat([]byte(" "), authProbeBody-len(bare.Body))
	bare.Body = append(append([]byte(nil), bare.Body...), pad...)
	raw := probe.RawRequest(u, bare, "", "")
	head := bytes.Index(raw, []byte("\r\n\r\n")) + 4
	raw = raw[:head+64]
	a, err := probe.RawExchange(e.Ctx, dialerOf(e), probe.RawAddr(u), raw, authProbeWait)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		e.Violation(id, "a POST without credentials declaring a %d-byte body, of which 64 bytes were sent, got no answer within %s, though the same request was refused with HTTP %d when whole: the server reads the body before it authenticates, so an unauthenticated peer holds its memory and connection", authProbeBody, authProbeWait, o.Ex.Status)
	case err != nil:
		e.Inconclusive(id, "the partial request without credentials: %v", err)
	case a.Status == 401 || a.Status == 403:
		e.Pass(id, "a POST without credentials declaring a %d-byte body was refused with HTTP %d after 64 bytes of it", authProbeBody, a.Status)
	default:
		e.Inconclusive(id, "the partial request without credentials got HTTP %d, neither a refusal of the credentials nor a wait for the body", a.Status)
	}
}

// dialerOf is the first target's dialer, nil when it has none (RawExchange
// then dials TCP).
func dialerOf(e *check.Env) check.Dialer {
	d, _ := e.Target(0).(check.Dialer)
	return d
}
