package transport

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of the transport's generic behaviour (basic/index.mdx, "Messages"
// and "Error Codes"; basic/transports/streamable-http.mdx, "Sending
// Messages", "Protocol Version Header" and "Backward Compatibility"):
// unknown methods, GET and DELETE, notifications, content types, the ids of
// responses, malformed messages and Last-Event-ID. Each probe is the
// unaltered request request with one thing changed; the unaltered request must be served
// first.

func init() {
	check.Register(&check.Check{
		Name: "transport/method-not-found",
		IDs:  []spec.ID{spec.CoreMethodNotFound, spec.HttpMethodNotFound},
		Run:  checkMethodNotFound,
	})
	check.Register(&check.Check{
		Name:       "transport/get-delete",
		IDs:        []spec.ID{spec.HttpGetDelete405},
		Transports: []wire.Transport{wire.HTTP},
		Eras:       []check.Era{check.Modern},
		Run:        getDelete405.Run,
	})
	check.Register(&check.Check{
		Name:       "transport/notification",
		IDs:        []spec.ID{spec.HttpNotification202},
		Transports: []wire.Transport{wire.HTTP},
		Run:        notificationStatus.Run,
	})
	check.Register(&check.Check{
		Name:       "transport/content-type",
		IDs:        []spec.ID{spec.HttpContentType},
		Transports: []wire.Transport{wire.HTTP},
		Run:        responseContentType.Run,
	})
	check.Register(&check.Check{
		Name: "transport/response-ids",
		IDs:  []spec.ID{spec.CoreResponseId},
		Run:  responseIDs.Run,
	})
	check.Register(&check.Check{
		Name: "transport/large-ids",
		IDs:  []spec.ID{spec.CoreResponseIdLarge},
		Run:  largeResponseIDs.Run,
	})
	check.Register(&check.Check{
		Name: "transport/malformed",
		IDs:  []spec.ID{spec.CoreParseError, spec.CoreInvalidRequest},
		Run:  checkMalformedMessages,
	})
	check.Register(&check.Check{
		Name:       "transport/last-event-id",
		IDs:        []spec.ID{spec.HttpLastEventId},
		Transports: []wire.Transport{wire.HTTP},
		Eras:       []check.Era{check.Modern},
		Run:        checkLastEventIDIgnored,
	})
}

// transport/method-not-found

// unknownMethods generates method names the server does not implement:
// random names, the methods this revision removed (on a server that serves
// only this revision; a dual-era server may serve them), and near misses of
// every method of the revision (a letter more or less, case changes, a
// trailing or leading slash, the segments swapped). Names the model cannot
// judge (extension namespaces: dots, "/x-", "io.", "tasks/") are left out.
func unknownMethods(e *check.Env) []string {
	var out []string
	seen := map[string]bool{}
	add := func(m string) {
		if m == "" || seen[m] || strings.ContainsAny(m, ". \t") || strings.Contains(m, "/x-") || strings.HasPrefix(strings.ToLower(m), "tasks/") {
			return
		}
		if _, real := wire.LookupMethod(m); real || (wire.IsRemovedMethod(m) && !e.Server.ModernOnly()) {
			return
		}
		seen[m] = true
		out = append(out, m)
	}
	add("mcpverify/" + e.RandHex(6))
	add(probe.RandLetters(e, 10))
	add(probe.RandLetters(e, 5) + "/" + probe.RandLetters(e, 7))
	if e.Server.ModernOnly() {
		for _, m := range wire.RemovedMethods {
			if !strings.HasPrefix(m, "notifications/") {
				add(m)
			}
		}
	}
	for _, info := range wire.Methods {
		if info.Direction != wire.ClientToServer || info.Notification {
			continue
		}
		m := info.Method
		variants := []string{
			m + "s",
			m[:len(m)-1],
			titleSegments(m),
			strings.ToUpper(m),
			m + "/",
			"/" + m,
			swapSegments(m),
		}
		// Every variant of tools/list; two drawn for the others.
		if m == "tools/list" {
			for _, v := range variants {
				add(v)
			}
			continue
		}
		for k := 0; k < 2; k++ {
			add(variants[e.Rand().Intn(len(variants))])
		}
	}
	return out
}

// titleSegments upper-cases the first letter of each segment: Tools/List.
func titleSegments(m string) string {
	parts := strings.Split(m, "/")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "/")
}

// swapSegments reverses the segments: list/tools.
func swapSegments(m string) string {
	parts := strings.Split(m, "/")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// checkMethodNotFound sends each generated unknown method, with valid
// headers and _meta, after a served unaltered request: each must be answered with
// -32601 (and, on HTTP, 404). The model judges the form; the check passes
// only on that form.
func checkMethodNotFound(e *check.Env) {
	isHTTP := e.Transport() == wire.HTTP
	if !isHTTP {
		e.Skip(spec.HttpMethodNotFound, "applies to Streamable HTTP only")
	}
	if _, ok := probe.ServedList(e); !ok {
		e.Inconclusive(spec.CoreMethodNotFound, "the server did not serve the unaltered request")
		if isHTTP {
			e.Inconclusive(spec.HttpMethodNotFound, "the server did not serve the unaltered request")
		}
		return
	}
	methods := unknownMethods(e)
	okCode, okStatus := 0, 0
	bad := map[spec.ID]bool{}
	for _, m := range methods {
		if e.Ctx.Err() != nil || (bad[spec.CoreMethodNotFound] && (bad[spec.HttpMethodNotFound] || !isHTTP)) {
			break
		}
		o := e.Send(e.Request(m, nil))
		if !o.Answered() {
			e.Inconclusive(spec.CoreMethodNotFound, "the unknown method %q: %s", m, o.Describe())
			return
		}
		code, isErr := o.ErrorCode()
		// The JSON-RPC code.
		if _, flagged := o.Violated(spec.CoreMethodNotFound); flagged {
			bad[spec.CoreMethodNotFound] = true // the model reported it
		} else if !bad[spec.CoreMethodNotFound] {
			switch {
			case isErr && code == wire.CodeMethodNotFound:
				okCode++
			case o.Accepted():
				e.Violation(spec.CoreMethodNotFound, "the unknown method %q was served (%s); the spec requires -32601", m, o.Describe())
				bad[spec.CoreMethodNotFound] = true
			default:
				// The model did not judge it (it should have): not decided here.
				e.Inconclusive(spec.CoreMethodNotFound, "the unknown method %q: %s", m, o.Describe())
				return
			}
		}
		// The HTTP status.
		if !isHTTP {
			continue
		}
		if _, flagged := o.Violated(spec.HttpMethodNotFound); flagged {
			bad[spec.HttpMethodNotFound] = true
		} else if !bad[spec.HttpMethodNotFound] {
			switch {
			case o.Ex.Status == 404 && isErr && code == wire.CodeMethodNotFound:
				okStatus++
			case o.Ex.Status != 404:
				e.Violation(spec.HttpMethodNotFound, "the unknown method %q was answered with HTTP %d (%s); the spec requires 404 and -32601", m, o.Ex.Status, o.Describe())
				bad[spec.HttpMethodNotFound] = true
			}
		}
	}
	if e.Ctx.Err() != nil {
		return
	}
	if !bad[spec.CoreMethodNotFound] {
		e.Pass(spec.CoreMethodNotFound, "%d generated unknown methods (random, removed, near misses such as %s) were answered with -32601", okCode, strings.Join(probe.Quoted(sample(methods, 4)), ", "))
	}
	switch {
	case !isHTTP || bad[spec.HttpMethodNotFound]:
	case okStatus > 0 && okStatus == len(methods):
		e.Pass(spec.HttpMethodNotFound, "%d generated unknown methods were answered with HTTP 404 and -32601", okStatus)
	default:
		e.Inconclusive(spec.HttpMethodNotFound, "only %d of %d unknown methods got both 404 and -32601, and the model judged none of the others", okStatus, len(methods))
	}
}

// sample returns up to n elements of s, spread over it.
func sample(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, s[i*len(s)/n])
	}
	return out
}

// transport/get-delete

// getDelete405: a server that serves only this revision answers GET
// (the removed standalone stream, also with Last-Event-ID) and DELETE (the
// removed session end, with an Mcp-Session-Id) with 405. The model judges
// the status.
var getDelete405 = probe.Sweep{
	ID: spec.HttpGetDelete405,
	Probes: func(e *check.Env, b *probe.Served) []probe.Variant {
		return []probe.Variant{
			{What: "GET with Accept: text/event-stream", Request: bodiless(b.Req, http.MethodGet, map[string]string{"Accept": "text/event-stream"})},
			{What: "GET with Last-Event-ID", Request: bodiless(b.Req, http.MethodGet, map[string]string{"Accept": "text/event-stream", "Last-Event-ID": "1"})},
			{What: "DELETE with Mcp-Session-Id", Request: bodiless(b.Req, http.MethodDelete, map[string]string{"Mcp-Session-Id": probe.RandUUIDLike(e)})},
		}
	},
	Judge: func(_ *check.Env, _ *probe.Served, _ probe.Variant, o check.Observation) probe.Outcome {
		switch {
		case !o.Answered():
			return probe.Unanswered(o)
		case o.Ex.Status != 405:
			return probe.Breaks("HTTP %d; a server that serves only %s answers 405", o.Ex.Status, wire.Version)
		}
		return probe.Conforms
	},
	Passed: func(*probe.Served, int) string {
		return "GET (with and without Last-Event-ID) and DELETE (with an Mcp-Session-Id) were answered with 405"
	},
}

// bodiless returns a request with r's headers (but not its content type)
// and no body, with method and the extra headers.
func bodiless(r *check.Request, method string, extra map[string]string) *check.Request {
	c := r.Clone()
	c.HTTPMethod, c.Body = method, nil
	probe.SetHeader(c, "Content-Type", nil)
	for k, v := range extra {
		probe.SetHeader(c, k, probe.Str(v))
	}
	return c
}

// transport/notification

// notificationStatus sends notifications (one this revision defines
// but does not use over HTTP, notifications/cancelled; an unknown one; on a
// server that serves only this revision, removed ones): each must get 202
// with no body, or an HTTP error status; never a JSON-RPC response with a
// success status.
var notificationStatus = probe.Sweep{
	ID: spec.HttpNotification202,
	Probes: func(e *check.Env, _ *probe.Served) []probe.Variant {
		note := func(method string, params map[string]any) probe.Variant {
			return probe.Variant{What: "the notification " + method, Request: e.Notification(method, params)}
		}
		out := []probe.Variant{
			note("notifications/cancelled", map[string]any{"requestId": e.RandHex(4), "reason": "mcpverify"}),
			note("notifications/mcpverify_"+probe.RandLetters(e, 6), map[string]any{}),
		}
		if e.Server.ModernOnly() {
			out = append(out, note("notifications/initialized", map[string]any{}))
		}
		return out
	},
	Judge: func(_ *check.Env, _ *probe.Served, _ probe.Variant, o check.Observation) probe.Outcome {
		switch ex := o.Ex; {
		case !o.Answered():
			return probe.Unanswered(o)
		case ex.Status == 202 && len(bytes.TrimSpace(ex.RespBody)) == 0, ex.Status >= 400:
			return probe.Conforms
		default:
			return probe.Breaks("answered with HTTP %d and a %d-byte body; the spec requires 202 with no body, or an error status", ex.Status, len(ex.RespBody))
		}
	},
	Passed: func(_ *probe.Served, n int) string {
		return fmt.Sprintf("%d notifications were accepted with 202 and no body, or refused with an error status", n)
	},
}

// transport/content-type

// responseContentType sends the unaltered request with conforming variations
// of Accept and Content-Type (the two types in the other order, with
// q-values, "*/*" added; a charset parameter on the request's type): every
// answer must be application/json or text/event-stream (the model judges
// each).
var responseContentType = probe.Sweep{
	ID: spec.HttpContentType,
	Probes: func(e *check.Env, b *probe.Served) []probe.Variant {
		var out []probe.Variant
		for _, v := range []struct{ header, value string }{
			{"Accept", "text/event-stream, application/json"},
			{"Accept", "application/json;q=0.9, text/event-stream;q=1"},
			{"Accept", "application/json, text/event-stream, */*;q=0.1"},
			{"Content-Type", "application/json; charset=utf-8"},
		} {
			out = append(out, probe.Variant{What: v.header + ": " + v.value, Request: probe.WithHeaderValue(b.Fresh(e), v.header, v.value)})
		}
		return out
	},
	Judge: func(_ *check.Env, _ *probe.Served, _ probe.Variant, o check.Observation) probe.Outcome {
		if !o.Answered() {
			return probe.Unanswered(o)
		}
		ct := o.Ex.ContentType()
		switch {
		case ct == "application/json" || ct == "text/event-stream":
			return probe.Conforms
		case o.Ex.Status >= 400 && len(bytes.TrimSpace(o.Ex.RespBody)) == 0:
			return probe.NotJudged // an error status without a body is no answer in JSON-RPC terms
		}
		return probe.Breaks("answered with HTTP %d and Content-Type %q", o.Ex.Status, ct)
	},
	Passed: func(b *probe.Served, n int) string {
		return fmt.Sprintf("%s and %d variations of its Accept and Content-Type were answered with application/json or text/event-stream", b.Method, n)
	},
}

// transport/response-ids

// oddIDs are request ids of every kind a server must echo exactly: integers
// at the edges within ±(2^53−1) (0, negative, the largest a double holds
// exactly) and strings (empty, digits, Unicode, quotes and backslashes,
// long).
func oddIDs() []wire.RequestID {
	return []wire.RequestID{
		wire.IntID(0),
		wire.IntID(-1),
		wire.IntID(wire.MaxSafeInteger),
		wire.IntID(-wire.MaxSafeInteger),
		wire.StringID(""),
		wire.StringID("1"),
		wire.StringID("ünïcødé ✓ 🙂 日本"),
		wire.StringID(`quote " and backslash \ and </script>`),
		wire.StringID(strings.Repeat("id", 128)),
	}
}

// largeIDs are integer ids beyond ±(2^53−1): outside interoperability
// (RFC 8259 §6), a hardening finding when they do not come back exactly.
func largeIDs() []wire.RequestID {
	return []wire.RequestID{wire.IntID(1<<53 + 1), wire.IntID(-(1<<53 + 1)), wire.IntID(math.MaxInt64)}
}

// idSweep sends the unaltered request (a result) and an unknown method (an
// error) with each of ids: every response must carry the request's id,
// exactly (the model judges each, under id).
func idSweep(id spec.ID, ids func() []wire.RequestID, passed string) probe.Sweep {
	return probe.Sweep{
		ID: id,
		Probes: func(e *check.Env, b *probe.Served) []probe.Variant {
			unknown := "mcpverify/" + probe.RandLetters(e, 8)
			var out []probe.Variant
			for _, id := range ids() {
				for _, method := range []string{b.Method, unknown} {
					params := map[string]any{}
					if method == b.Method {
						params = probe.CloneParams(b.Params)
					}
					out = append(out, probe.Variant{What: fmt.Sprintf("%s with id %s", method, idText(id)), Request: e.Client.Request(id, method, params, nil), Arg: id})
				}
			}
			return out
		},
		Judge: func(_ *check.Env, _ *probe.Served, v probe.Variant, o check.Observation) probe.Outcome {
			got, ok := finalID(o)
			switch {
			case !ok:
				return probe.NotJudged // no JSON-RPC response: nothing to judge
			case got.IsZero() || !got.Equal(v.Arg.(wire.RequestID)):
				return probe.Breaks("answered with id %s", idText(got))
			}
			return probe.Conforms
		},
		Passed: func(_ *probe.Served, n int) string {
			return fmt.Sprintf("%d responses (results and errors) carried their request's id exactly, for %s", n, passed)
		},
	}
}

var (
	responseIDs = idSweep(spec.CoreResponseId, oddIDs,
		fmt.Sprintf("integer ids up to ±%d and string ids that are empty, numeric, Unicode, escaped or %d bytes long", wire.MaxSafeInteger, 256))
	largeResponseIDs = idSweep(spec.CoreResponseIdLarge, largeIDs, fmt.Sprintf("integer ids beyond ±%d up to %d", wire.MaxSafeInteger, int64(math.MaxInt64)))
)

// finalID returns the id of the exchange's response.
func finalID(o check.Observation) (wire.RequestID, bool) {
	for _, r := range o.Ex.Replies {
		switch m := r.Msg.(type) {
		case *wire.JSONRPCResultResponse:
			return m.ID, true
		case *wire.JSONRPCErrorResponse:
			return m.ID, true
		}
	}
	return wire.RequestID{}, false
}

func idText(id wire.RequestID) string {
	if id.IsZero() {
		return "(none)"
	}
	b, err := wire.Marshal(id)
	if err != nil {
		return id.String()
	}
	if len(b) > 40 {
		return string(b[:37]) + "..."
	}
	return string(b)
}

// transport/malformed

// malformedTimeout bounds the wait for the answer to a malformed message
// (a stdio server may drop an unreadable line without a word).
const malformedTimeout = 3 * time.Second

// malformedCase is one defective body.
type malformedCase struct {
	what string
	body []byte
	// want is the requirement and code the defect calls for.
	id   spec.ID
	code int64
	// alt is another acceptable code (0: none).
	alt int64
}

// withAlt accepts a second error code for a case (array params are an
// invalid request for MCP, but invalid params to a JSON-RPC library).
func withAlt(c malformedCase, alt int64) malformedCase {
	c.alt = alt
	return c
}

// malformedBodies derives the defective bodies from a served request's
// body: truncated at several points, trailing garbage, a second message
// after the first, invalid UTF-8 in a string, and, on a server that serves
// only this revision (batches were removed in 2025-06-18), batches; and
// JSON that is not a valid request object (wrong or missing jsonrpc, a null
// id, params that are not an object, a numeric method).
func malformedBodies(e *check.Env, body []byte, method string) []malformedCase {
	parse := func(what string, b []byte) malformedCase {
		return malformedCase{what: what, body: b, id: spec.CoreParseError, code: wire.CodeParseError}
	}
	invalid := func(what string, b []byte) malformedCase {
		return malformedCase{what: what, body: b, id: spec.CoreInvalidRequest, code: wire.CodeInvalidRequest}
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	var out []malformedCase
	for _, cut := range []int{1, len(body) / 3, len(body) / 2, len(body) - 1} {
		if cut > 0 && cut < len(body) {
			out = append(out, parse(fmt.Sprintf("the body cut to %d of %d bytes", cut, len(body)), append([]byte(nil), body[:cut]...)))
		}
	}
	out = append(out,
		parse("trailing garbage after the message", cat(body, []byte("x"))),
		parse("a stray closing brace after the message", cat(body, []byte("}"))),
		parse("a second message after the first", cat(body, body)),
		parse("a comma after the message", cat(body, []byte(","))),
	)
	// Invalid UTF-8 inside a string is left out: many JSON parsers replace
	// it, and no MUST makes a server refuse it (the model does not judge it).
	if e.Server.ModernOnly() {
		out = append(out,
			invalid("a batch (a JSON array) of one request", cat([]byte("["), body, []byte("]"))),
			invalid("an empty batch []", []byte("[]")),
		)
	}
	id := e.NextID()
	meta := e.Client.Meta(nil)
	obj := func(m map[string]any) []byte { return wire.MustMarshal(m) }
	out = append(out,
		invalid(`"jsonrpc": "1.0"`, obj(map[string]any{"jsonrpc": "1.0", "id": id, "method": method, "params": map[string]any{"_meta": meta}})),
		invalid("no jsonrpc member", obj(map[string]any{"id": id, "method": method, "params": map[string]any{"_meta": meta}})),
		invalid("a null id", obj(map[string]any{"jsonrpc": "2.0", "id": nil, "method": method, "params": map[string]any{"_meta": meta}})),
		withAlt(invalid("params that are an array", obj(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": []any{meta}})), wire.CodeInvalidParams),
		invalid("a numeric method", obj(map[string]any{"jsonrpc": "2.0", "id": id, "method": 42, "params": map[string]any{"_meta": meta}})),
		invalid("a JSON string instead of an object", []byte(`"`+method+`"`)),
	)
	return out
}

// checkMalformedMessages sends each defective body with the headers of a
// served request: unparseable JSON must get -32700, JSON that is not a
// valid request object -32600 (the model judges the form; the check passes
// on that form only). On a server that serves only this revision, a
// JSON-RPC response posted by the client (clients send none) must not be
// served; any rejection counts, the spec names none.
func checkMalformedMessages(e *check.Env) {
	b, ok := probe.ServedList(e)
	if !ok {
		e.Inconclusive(spec.CoreParseError, "the server did not serve the unaltered request")
		e.Inconclusive(spec.CoreInvalidRequest, "the server did not serve the unaltered request")
		return
	}
	cases := malformedBodies(e, b.Req.Body, b.Method)
	okN := map[spec.ID]int{}
	decided := map[spec.ID]bool{}
	for _, c := range cases {
		if e.Ctx.Err() != nil {
			return
		}
		if decided[c.id] {
			continue
		}
		r := probe.WithBody(b.Req, c.body)
		r.Timeout = malformedTimeout
		o := e.Send(r)
		if _, bad := o.Violated(c.id); bad {
			decided[c.id] = true
			continue
		}
		code, isErr := o.ErrorCode()
		switch {
		case !o.Answered():
			e.Inconclusive(c.id, "%s: %s", c.what, o.Describe())
			decided[c.id] = true
		case isErr && (code == c.code || (c.alt != 0 && code == c.alt)):
			okN[c.id]++
		case o.Accepted():
			e.Violation(c.id, "%s was served (%s); the spec requires error %d", c.what, o.Describe(), c.code)
			decided[c.id] = true
		case isErr:
			e.Violation(c.id, "%s was answered with error %d; the spec requires %d", c.what, code, c.code)
			decided[c.id] = true
		case o.Ex.Status >= 400 && o.Ex.Status < 500:
			// An HTTP 4xx without a JSON-RPC body: the body could not be
			// read as a request, so an HTTP-level refusal is acceptable.
			okN[c.id]++
		default:
			e.Inconclusive(c.id, "%s: %s", c.what, o.Describe())
			decided[c.id] = true
		}
	}
	if e.Server.ModernOnly() {
		resp := wire.MustMarshal(map[string]any{"jsonrpc": "2.0", "id": e.NextID(), "result": map[string]any{"_meta": map[string]any{}}})
		o := e.Send(probe.WithBody(b.Req, resp))
		if o.Accepted() && !decided[spec.CoreInvalidRequest] {
			e.Violation(spec.CoreInvalidRequest, "a JSON-RPC response posted by the client was answered with a result (%s): it is not a request", o.Describe())
			decided[spec.CoreInvalidRequest] = true
		}
	}
	for _, id := range []spec.ID{spec.CoreParseError, spec.CoreInvalidRequest} {
		if decided[id] {
			continue
		}
		want := map[spec.ID]string{spec.CoreParseError: "-32700 or an HTTP 4xx (truncated bodies, trailing garbage, a second message)",
			spec.CoreInvalidRequest: "-32600 or an HTTP 4xx (wrong or missing jsonrpc, a null id, array params, a numeric method, a bare string; batches on a modern-only server)"}[id]
		if okN[id] == 0 {
			e.Inconclusive(id, "no probe of this kind was judged")
			continue
		}
		e.Pass(id, "%d malformed messages were answered with %s", okN[id], want)
	}
}

// transport/last-event-id

// checkLastEventIDIgnored sends the unaltered request with Last-Event-ID headers of
// several shapes: each answer must be the one without (streams are not
// resumable; the header is ignored). A difference is retried once.
func checkLastEventIDIgnored(e *check.Env) {
	b, ok := probe.ServedList(e)
	if !ok {
		e.Inconclusive(spec.HttpLastEventId, "the server did not serve the unaltered request")
		return
	}
	vals := []string{"0", "1", e.RandHex(8) + "_" + "0", "stream-1/event-42"}
	if probe.HeaderIgnored(e, spec.HttpLastEventId, b, "Last-Event-ID", vals, nil) {
		e.Pass(spec.HttpLastEventId, "%s with Last-Event-ID %s was answered as without it", b.Method, strings.Join(probe.Quoted(vals), ", "))
	}
}
