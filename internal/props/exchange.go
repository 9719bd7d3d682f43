package props

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
	"pgregory.net/rapid"
)

// Generators of arbitrary (mostly near-valid) exchanges: requests built
// from the method table with defects drawn in, and server answers drawn
// from every shape a hostile or broken server might send.

var methodNames = func() []string {
	var out []string
	for _, m := range wire.Methods {
		out = append(out, m.Method)
	}
	return append(out, wire.RemovedMethods...)
}()

var serverNotes = []string{
	"notifications/progress", "notifications/message", "notifications/subscriptions/acknowledged",
	"notifications/tools/list_changed", "notifications/resources/updated", "notifications/cancelled", "notifications/unknown",
}

var versions = []string{wire.Version, "2025-11-25", "2025-03-26", "1900-01-01", "", "2026-07-28 "}

// jsonValue draws a small JSON value as text.
func jsonValue(t *rapid.T, label string, depth int) string {
	kinds := []string{"str", "int", "float", "bool", "null"}
	if depth < 3 {
		kinds = append(kinds, "obj", "arr")
	}
	switch rapid.SampledFrom(kinds).Draw(t, label+".kind") {
	case "str":
		return string(wire.MustMarshal(rapid.StringOfN(rapid.RuneFrom([]rune("abz/=?é\"\\\n 世")), 0, 8, -1).Draw(t, label+".s")))
	case "int":
		return fmt.Sprint(rapid.Int64Range(-1<<53, 1<<53).Draw(t, label+".i"))
	case "float":
		return fmt.Sprint(rapid.Float64Range(-10, 10).Draw(t, label+".f"))
	case "bool":
		return fmt.Sprint(rapid.Bool().Draw(t, label+".b"))
	case "null":
		return "null"
	case "obj":
		n := rapid.IntRange(0, 3).Draw(t, label+".n")
		parts := make([]string, n)
		for i := range parts {
			k := rapid.SampledFrom([]string{"a", "b", "resultType", "ttlMs", "cacheScope", "_meta", "name"}).Draw(t, label+".k")
			parts[i] = fmt.Sprintf("%q:%s", k, jsonValue(t, label+".v", depth+1))
		}
		return "{" + strings.Join(parts, ",") + "}"
	default:
		n := rapid.IntRange(0, 3).Draw(t, label+".n")
		parts := make([]string, n)
		for i := range parts {
			parts[i] = jsonValue(t, label+".e", depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
}

// requestMeta draws a _meta object, sometimes missing or mistyping keys.
func requestMeta(t *rapid.T) string {
	var parts []string
	if rapid.IntRange(0, 9).Draw(t, "meta.pv?") > 0 {
		v := rapid.SampledFrom(versions).Draw(t, "meta.version")
		if rapid.IntRange(0, 19).Draw(t, "meta.pv.type") == 0 {
			parts = append(parts, `"io.modelcontextprotocol/protocolVersion":20260728`)
		} else {
			parts = append(parts, fmt.Sprintf(`"io.modelcontextprotocol/protocolVersion":%q`, v))
		}
	}
	if rapid.IntRange(0, 9).Draw(t, "meta.caps?") > 0 {
		caps := rapid.SampledFrom([]string{`{}`, `{"elicitation":{}}`, `{"sampling":{},"roots":{}}`, `[]`, `null`}).Draw(t, "meta.caps")
		parts = append(parts, `"io.modelcontextprotocol/clientCapabilities":`+caps)
	}
	if rapid.Bool().Draw(t, "meta.info?") {
		parts = append(parts, `"io.modelcontextprotocol/clientInfo":{"name":"gen","version":"1"}`)
	}
	if rapid.IntRange(0, 3).Draw(t, "meta.log?") == 0 {
		parts = append(parts, fmt.Sprintf(`"io.modelcontextprotocol/logLevel":%q`, rapid.SampledFrom([]string{"debug", "error", "loud"}).Draw(t, "meta.level")))
	}
	if rapid.IntRange(0, 3).Draw(t, "meta.progress?") == 0 {
		parts = append(parts, `"progressToken":`+rapid.SampledFrom([]string{`"p"`, `1`, `null`}).Draw(t, "meta.token"))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Exchange draws one exchange.
func Exchange(t *rapid.T) *wire.Exchange {
	ex := &wire.Exchange{Transport: rapid.SampledFrom([]wire.Transport{wire.HTTP, wire.HTTP, wire.Stdio}).Draw(t, "transport")}
	method := rapid.OneOf(rapid.SampledFrom(methodNames), rapid.StringMatching(`[a-z]{0,6}/?[a-z_]{0,6}`)).Draw(t, "method")
	name := rapid.SampledFrom([]string{"echo", "weather", "sql", "test_simple_text", "file:///a.txt", "Zürich", "=?base64?ZWNobw==?="}).Draw(t, "name")
	var params []string
	if rapid.IntRange(0, 9).Draw(t, "meta?") > 0 {
		params = append(params, `"_meta":`+requestMeta(t))
	}
	switch method {
	case "tools/call", "prompts/get":
		params = append(params, fmt.Sprintf(`"name":%q`, name), `"arguments":`+jsonValue(t, "args", 1))
	case "resources/read":
		params = append(params, fmt.Sprintf(`"uri":%q`, name))
	case "tools/list", "prompts/list", "resources/list":
		if rapid.Bool().Draw(t, "cursor?") {
			params = append(params, `"cursor":"c1"`)
		}
	case "subscriptions/listen":
		params = append(params, `"notifications":{"toolsListChanged":true}`)
	}
	id := rapid.SampledFrom([]string{`1`, `"a"`, `null`, `1.5`}).Draw(t, "id")
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":%q,"params":{%s}}`, id, method, strings.Join(params, ","))
	if rapid.IntRange(0, 9).Draw(t, "notification?") == 0 {
		body = fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":{%s}}`, method, strings.Join(params, ","))
	}
	switch rapid.IntRange(0, 14).Draw(t, "body.mutation") {
	case 0:
		body = body[:rapid.IntRange(0, len(body)).Draw(t, "truncate")]
	case 1:
		body = jsonValue(t, "body", 0)
	case 2:
		body = strings.Replace(body, `"method"`, `"method":"x","method"`, 1)
	}
	ex.Body = []byte(body)
	if ex.Transport == wire.HTTP {
		ex.HTTPMethod = rapid.SampledFrom([]string{"POST", "POST", "POST", "GET", "DELETE"}).Draw(t, "http.method")
		ex.Header = requestHeaders(t, method, name)
		ex.Status = rapid.SampledFrom([]int{200, 200, 202, 400, 403, 404, 405, 413, 500}).Draw(t, "status")
		ex.RespHeader = http.Header{}
		if ct := rapid.SampledFrom([]string{"application/json", "text/event-stream", "text/plain", "", "application/json; charset=utf-8"}).Draw(t, "content-type"); ct != "" {
			ex.RespHeader.Set("Content-Type", ct)
		}
		if rapid.IntRange(0, 9).Draw(t, "session?") == 0 {
			ex.RespHeader.Set("Mcp-Session-Id", "s")
		}
		msgs := replies(t, method)
		if ex.RespHeader.Get("Content-Type") == "text/event-stream" {
			var b strings.Builder
			for _, m := range msgs {
				b.WriteString("data: " + m + "\n\n")
			}
			ex.RespBody = []byte(b.String())
		} else if len(msgs) > 0 {
			ex.RespBody = []byte(msgs[0])
		}
	} else {
		for _, m := range replies(t, method) {
			ex.Lines = append(ex.Lines, []byte(m))
		}
	}
	ex.Outcome = rapid.SampledFrom([]wire.Outcome{wire.Complete, wire.Complete, wire.Cancelled, wire.TimedOut, wire.Truncated, wire.Dropped}).Draw(t, "outcome")
	return ex
}

func requestHeaders(t *rapid.T, method, name string) http.Header {
	h := http.Header{}
	set := func(k, v string) {
		switch rapid.IntRange(0, 11).Draw(t, k+".mut") {
		case 0: // drop
		case 1:
			h[strings.ToLower(k)] = []string{v}
		case 2:
			h[k] = []string{strings.ToUpper(v)}
		case 3:
			h[k] = []string{"=?base64?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="}
		case 4:
			h[k] = []string{v + "\x01"}
		default:
			h[k] = []string{v}
		}
	}
	set("MCP-Protocol-Version", rapid.SampledFrom(versions).Draw(t, "h.version"))
	set("Mcp-Method", method)
	set("Mcp-Name", name)
	if rapid.IntRange(0, 4).Draw(t, "param?") == 0 {
		set("Mcp-Param-Region", rapid.SampledFrom([]string{"eu", "us", "42", "42.0"}).Draw(t, "h.param"))
	}
	h.Set("Host", rapid.SampledFrom([]string{"127.0.0.1:8080", "localhost:8080", "evil.example"}).Draw(t, "h.host"))
	if rapid.IntRange(0, 3).Draw(t, "origin?") == 0 {
		h.Set("Origin", rapid.SampledFrom([]string{"http://127.0.0.1:8080", "http://evil.example", "null", "::"}).Draw(t, "h.origin"))
	}
	return h
}

// replies draws what a server sends for one request.
func replies(t *rapid.T, method string) []string {
	n := rapid.IntRange(0, 4).Draw(t, "replies")
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		id := rapid.SampledFrom([]string{`1`, `"a"`, `2`}).Draw(t, "r.id")
		switch rapid.IntRange(0, 6).Draw(t, "r.kind") {
		case 0, 1:
			rt := rapid.SampledFrom([]string{`"complete"`, `"input_required"`, `"partial"`, `1`}).Draw(t, "r.rt")
			extra := rapid.SampledFrom([]string{``, `,"ttlMs":0,"cacheScope":"public"`, `,"ttlMs":-1`, `,"tools":[]`,
				`,"inputRequests":{"a":{"method":"elicitation/create","params":{"message":"m","requestedSchema":{"type":"object","properties":{}}}}}`,
				`,"requestState":"x"`, `,"contents":[]`, `,"content":"x"`, `,"supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}`,
				`,"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"}}`}).Draw(t, "r.extra")
			out = append(out, fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"resultType":%s%s}}`, id, rt, extra))
		case 2:
			code := rapid.SampledFrom([]int64{-32700, -32600, -32601, -32602, -32603, -32020, -32021, -32022, -32002, -32050, -32001, 7}).Draw(t, "r.code")
			data := rapid.SampledFrom([]string{``, `,"data":{"supported":["2026-07-28"],"requested":"1900-01-01"}`, `,"data":null`, `,"data":{"requiredCapabilities":{}}`}).Draw(t, "r.data")
			out = append(out, fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":%d,"message":"m"%s}}`, id, code, data))
		case 3, 4:
			m := rapid.SampledFrom(serverNotes).Draw(t, "r.note")
			out = append(out, fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":%s}`, m, rapid.SampledFrom([]string{
				`{}`, `{"progressToken":"p","progress":1}`, `{"progressToken":1,"progress":0.5}`, `{"level":"info","data":1}`,
				`{"_meta":{"io.modelcontextprotocol/subscriptionId":1},"notifications":{}}`, `{"requestId":1}`, `{"uri":"file:///a.txt"}`,
			}).Draw(t, "r.params")))
		case 5:
			out = append(out, fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"sampling/createMessage","params":{}}`, id))
		default:
			out = append(out, jsonValue(t, "r.garbage", 0))
		}
	}
	_ = method
	return out
}
