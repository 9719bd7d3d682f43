package transport

import (
	"fmt"
	"maps"
	"strings"

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
