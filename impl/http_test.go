package impl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/wire"
)

// discover is a valid server/discover request.
var discover = rpc{Method: "server/discover"}

func TestHTTPEnvelope(t *testing.T) {
	h := newHarness(t, Config{})
	withMeta := func(r rpc, over map[string]any) rpc {
		r.Params = map[string]any{"_meta": meta(over)}
		return r
	}
	cases := []struct {
		name   string
		r      rpc
		status int
		code   int64 // 0: a result
		noID   bool  // the error has no id
	}{
		{"discover", discover, 200, 0, false},
		{"missing _meta", rpc{Method: "server/discover", NoMeta: true, ID: 101}, 400, wire.CodeInvalidParams, false},
		{"missing protocolVersion", withMeta(discover, map[string]any{wire.MetaProtocolVersion: nil}), 400, wire.CodeInvalidParams, false},
		{"missing clientCapabilities", withMeta(discover, map[string]any{wire.MetaClientCapabilities: nil}), 400, wire.CodeInvalidParams, false},
		{"clientInfo optional", withMeta(discover, map[string]any{wire.MetaClientInfo: nil}), 200, 0, false},
		{"clientCapabilities not an object", withMeta(discover, map[string]any{wire.MetaClientCapabilities: "all"}), 400, wire.CodeInvalidParams, false},
		{"unknown logLevel", withMeta(discover, map[string]any{wire.MetaLogLevel: "verbose"}), 400, wire.CodeInvalidParams, false},
		{"unsupported version", func() rpc {
			r := withMeta(discover, map[string]any{wire.MetaProtocolVersion: "1900-01-01"})
			r.Headers = map[string]string{"Mcp-Protocol-Version": "1900-01-01"}
			return r
		}(), 400, wire.CodeUnsupportedProtocolVersion, false},
		{"legacy version", func() rpc {
			r := withMeta(discover, map[string]any{wire.MetaProtocolVersion: "2025-11-25"})
			r.Headers = map[string]string{"Mcp-Protocol-Version": "2025-11-25"}
			return r
		}(), 400, wire.CodeUnsupportedProtocolVersion, false},
		{"version header mismatch", withMeta(discover, map[string]any{wire.MetaProtocolVersion: "1900-01-01"}), 400, wire.CodeHeaderMismatch, false},
		{"version header missing", rpc{Method: "server/discover", Headers: map[string]string{"Mcp-Protocol-Version": ""}}, 400, wire.CodeHeaderMismatch, false},
		{"Mcp-Method missing", rpc{Method: "server/discover", Headers: map[string]string{"Mcp-Method": ""}}, 400, wire.CodeHeaderMismatch, false},
		{"Mcp-Method mismatch", rpc{Method: "tools/list", Headers: map[string]string{"Mcp-Method": "prompts/list"}}, 400, wire.CodeHeaderMismatch, false},
		{"Mcp-Method value case", rpc{Method: "tools/list", Headers: map[string]string{"Mcp-Method": "TOOLS/LIST"}}, 400, wire.CodeHeaderMismatch, false},
		{"Mcp-Method name lowercase", rpc{Method: "tools/list", Headers: map[string]string{"Mcp-Method": "", "mcp-method": "tools/list"}}, 200, 0, false},
		{"Mcp-Method name uppercase", rpc{Method: "tools/list", Headers: map[string]string{"Mcp-Method": "", "MCP-METHOD": "tools/list"}}, 200, 0, false},
		{"unknown method", rpc{Method: "unknown/method"}, 404, wire.CodeMethodNotFound, false},
		{"initialize", rpc{Method: "initialize"}, 404, wire.CodeMethodNotFound, false},
		{"ping", rpc{Method: "ping"}, 404, wire.CodeMethodNotFound, false},
		{"logging/setLevel", rpc{Method: "logging/setLevel", Params: map[string]any{"level": "debug"}}, 404, wire.CodeMethodNotFound, false},
		{"resources/subscribe", rpc{Method: "resources/subscribe", Params: map[string]any{"uri": "test://static-text"}}, 404, wire.CodeMethodNotFound, false},
		{"resources/unsubscribe", rpc{Method: "resources/unsubscribe"}, 404, wire.CodeMethodNotFound, false},
		{"tasks/list", rpc{Method: "tasks/list"}, 404, wire.CodeMethodNotFound, false},
		{"string id", rpc{Method: "server/discover", ID: "abc"}, 200, 0, false},
		{"tools/call without name", rpc{Method: "tools/call", Params: map[string]any{"arguments": map[string]any{}}}, 400, wire.CodeInvalidParams, false},
		{"tools/call name not a string", rpc{Method: "tools/call", Params: map[string]any{"name": 5}}, 400, wire.CodeInvalidParams, false},
		{"tools/call arguments not an object", rpc{Method: "tools/call", Params: map[string]any{"name": "test_simple_text", "arguments": []int{1}}}, 400, wire.CodeInvalidParams, false},
		{"unknown tool", rpc{Method: "tools/call", Params: map[string]any{"name": "no_such_tool"}}, 200, wire.CodeInvalidParams, false},
		{"unknown prompt", rpc{Method: "prompts/get", Params: map[string]any{"name": "no_such_prompt"}}, 200, wire.CodeInvalidParams, false},
		{"prompt missing argument", rpc{Method: "prompts/get", Params: map[string]any{"name": "test_prompt_with_arguments", "arguments": map[string]any{"arg1": "a"}}}, 200, wire.CodeInvalidParams, false},
		{"listen without filter", rpc{Method: "subscriptions/listen"}, 400, wire.CodeInvalidParams, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(c.r)
			if r.status != c.status {
				t.Errorf("status %d, want %d; body %s", r.status, c.status, r.body)
			}
			if got := r.errCode(); got != c.code {
				t.Errorf("error code %d, want %d; body %s", got, c.code, r.body)
			}
			checkEnvelope(t, c.r, r)
		})
	}
}

// checkEnvelope checks what every answer to a request must be: an error
// keeps the request's id; a result has resultType and serverInfo.
func checkEnvelope(t *testing.T, req rpc, r *resp) {
	t.Helper()
	if r.msg == nil {
		t.Fatalf("no JSON-RPC message in the answer: %d %s", r.status, r.body)
	}
	if r.msg["jsonrpc"] != "2.0" {
		t.Errorf("jsonrpc is %v", r.msg["jsonrpc"])
	}
	wantID := req.ID
	if wantID == nil {
		wantID = 1
	}
	if fmt.Sprint(r.msg["id"]) != fmt.Sprint(wantID) {
		t.Errorf("id %v, want %v", r.msg["id"], wantID)
	}
	if res := r.result(); res != nil {
		if res["resultType"] == nil {
			t.Errorf("result without resultType: %s", r.body)
		}
		if get(res, "_meta", wire.MetaServerInfo, "name") == nil {
			t.Errorf("result without _meta serverInfo: %s", r.body)
		}
	}
	if r.header.Get("Mcp-Session-Id") != "" {
		t.Errorf("the server minted a session: %q", r.header.Get("Mcp-Session-Id"))
	}
}

func TestHTTPUnsupportedVersionData(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.do(rpc{Method: "server/discover", Params: map[string]any{"_meta": meta(map[string]any{wire.MetaProtocolVersion: "v999"})}, Headers: map[string]string{"Mcp-Protocol-Version": "v999"}})
	data := get(r.msg, "error", "data")
	if fmt.Sprint(get(data, "supported")) != "[2026-07-28]" || get(data, "requested") != "v999" {
		t.Errorf("error data %v; want supported [2026-07-28] and requested v999", data)
	}
}

func TestHTTPInitializeNamesVersions(t *testing.T) {
	h := newHarness(t, Config{})
	// A legacy client: no _meta, no modern headers.
	legacy := rpc{Method: "initialize", NoMeta: true, Params: map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "old", "version": "1"}},
		Headers: map[string]string{"Mcp-Method": "", "Mcp-Protocol-Version": ""}}
	for _, r := range []*resp{h.do(legacy), h.do(rpc{Method: "initialize"})} {
		msg, _ := get(r.msg, "error", "message").(string)
		if !strings.Contains(msg, wire.Version) {
			t.Errorf("the error to initialize does not name the supported version: %s", r.body)
		}
	}
}

func TestHTTPMethodNotAllowed(t *testing.T) {
	h := newHarness(t, Config{})
	for _, m := range []string{"GET", "DELETE", "PUT", "PATCH"} {
		r := doHTTP(t, m, h.url, discover)
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", m, r.status)
		}
		if !strings.Contains(r.header.Get("Allow"), "POST") {
			t.Errorf("%s: Allow %q", m, r.header.Get("Allow"))
		}
	}
	if r := doHTTP(t, "POST", h.ts.URL+"/other", discover); r.status != 404 {
		t.Errorf("POST /other: status %d, want 404", r.status)
	}
}

// TestHTTPNotification: a notification POST carries the standard headers
// of every POST (Server Validation); one that passes is accepted with 202
// and no body, one that does not gets 400 and an id-less error.
func TestHTTPNotification(t *testing.T) {
	h := newHarness(t, Config{})
	const cancelled = `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`
	withMeta := `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"_meta":{"io.modelcontextprotocol/protocolVersion":"` + wire.Version + `"}}}`
	cases := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		code   int64
	}{
		{"conforming", cancelled, nil, 202, 0},
		{"an unknown notification", `{"jsonrpc":"2.0","method":"notifications/mcpverify_x"}`, map[string]string{"Mcp-Method": "notifications/mcpverify_x"}, 202, 0},
		{"with _meta", withMeta, nil, 202, 0},
		{"Mcp-Method of a request", cancelled, map[string]string{"Mcp-Method": "tools/call"}, 400, wire.CodeHeaderMismatch},
		{"Mcp-Method missing", cancelled, map[string]string{"Mcp-Method": ""}, 400, wire.CodeHeaderMismatch},
		{"version missing", cancelled, map[string]string{"Mcp-Protocol-Version": ""}, 400, wire.CodeHeaderMismatch},
		{"version missing, Mcp-Method of a request", cancelled, map[string]string{"Mcp-Protocol-Version": "", "Mcp-Method": "tools/call"}, 400, wire.CodeHeaderMismatch},
		{"version unsupported", cancelled, map[string]string{"Mcp-Protocol-Version": "2025-11-25"}, 400, wire.CodeUnsupportedProtocolVersion},
		{"version not _meta's", withMeta, map[string]string{"Mcp-Protocol-Version": "2025-11-25"}, 400, wire.CodeHeaderMismatch},
		{"Mcp-Param names that differ by _", cancelled, map[string]string{"Mcp-Param-Dry-Run": "true", "Mcp-Param-Dry_Run": "false"}, 400, wire.CodeHeaderMismatch},
	}
	for _, c := range cases {
		hdr := map[string]string{"Mcp-Method": "notifications/cancelled"}
		for k, v := range c.hdr {
			hdr[k] = v
		}
		r := h.do(rpc{Raw: []byte(c.body), Headers: hdr})
		if r.status != c.status || r.errCode() != c.code {
			t.Errorf("%s: status %d body %q; want %d and code %d", c.name, r.status, r.body, c.status, c.code)
		}
		if c.status == 202 && len(r.body) != 0 {
			t.Errorf("%s: 202 with a body %q", c.name, r.body)
		}
		if c.status != 202 && r.msg["id"] != nil {
			t.Errorf("%s: the error has an id: %s", c.name, r.body)
		}
	}
	r := h.do(rpc{Raw: []byte(`{"jsonrpc":"2.0","id":3,"result":{"resultType":"complete"}}`)})
	if r.status != 400 || r.errCode() != wire.CodeInvalidRequest {
		t.Errorf("a response from the client: %d %s", r.status, r.body)
	}
}

func TestHTTPBadInput(t *testing.T) {
	h := newHarness(t, Config{})
	deep := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	cases := []struct {
		name   string
		body   []byte
		status int
		code   int64
		id     any // expected id, nil for none
	}{
		{"malformed JSON", []byte(`{"jsonrpc":"2.0","id":1,`), 400, wire.CodeParseError, nil},
		{"not JSON", []byte(`hello`), 400, wire.CodeParseError, nil},
		{"empty body", []byte(``), 400, wire.CodeParseError, nil},
		{"invalid UTF-8", []byte("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{\"x\":\"\xff\xfe\"}}"), 400, wire.CodeParseError, nil},
		{"batch", []byte(`[{"jsonrpc":"2.0","id":1,"method":"server/discover"}]`), 400, wire.CodeInvalidRequest, nil},
		{"wrong jsonrpc keeps id", []byte(`{"jsonrpc":"1.0","id":5,"method":"server/discover"}`), 400, wire.CodeInvalidRequest, 5.0},
		{"null id", []byte(`{"jsonrpc":"2.0","id":null,"method":"server/discover"}`), 400, wire.CodeInvalidRequest, nil},
		{"params array", []byte(`{"jsonrpc":"2.0","id":7,"method":"server/discover","params":[]}`), 400, wire.CodeInvalidRequest, 7.0},
		{"duplicate member", []byte(`{"jsonrpc":"2.0","id":8,"method":"server/discover","method":"tools/list"}`), 400, wire.CodeInvalidRequest, 8.0},
		{"duplicate id", []byte(`{"jsonrpc":"2.0","id":8,"id":9,"method":"server/discover"}`), 400, wire.CodeInvalidRequest, nil},
		{"nested duplicate", []byte(`{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"t","arguments":{"a":1,"a":2}}}`), 400, wire.CodeInvalidRequest, "x"},
		{"1000-deep nesting", []byte(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"x":` + deep + `}}`), 400, wire.CodeInvalidRequest, nil},
		{"5 MiB body", bytes.Repeat([]byte(" "), 5<<20), 413, wire.CodeInvalidRequest, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(rpc{Raw: c.body, Method: "server/discover"})
			if r.status != c.status || r.errCode() != c.code {
				t.Fatalf("status %d code %d, want %d %d; body %.200s", r.status, r.errCode(), c.status, c.code, r.body)
			}
			if got := r.msg["id"]; fmt.Sprint(got) != fmt.Sprint(c.id) {
				t.Errorf("id %v, want %v", got, c.id)
			}
		})
	}
	// A body over a configured limit.
	small := newHarness(t, Config{MaxBodyBytes: 100})
	if r := small.do(discover); r.status != 413 || r.errCode() != wire.CodeInvalidRequest {
		t.Errorf("over MaxBodyBytes: %d %s", r.status, r.body)
	}
	// A huge header is refused by net/http before the handler.
	r := h.do(rpc{Method: "server/discover", Headers: map[string]string{"X-Big": strings.Repeat("a", 2<<20)}})
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("huge header: status %d", r.status)
	}
	// Content-Type.
	req, _ := http.NewRequest("POST", h.url, bytes.NewReader(discover.body()))
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: status %d, want 415", res.StatusCode)
	}
	// The server still answers.
	if r := h.do(discover); r.status != 200 {
		t.Errorf("after bad input: %d %s", r.status, r.body)
	}
}

func TestHTTPOriginAndHost(t *testing.T) {
	h := newHarness(t, Config{})
	addr := h.ts.Listener.Addr().String() // 127.0.0.1:PORT
	port := addr[strings.LastIndex(addr, ":")+1:]
	cases := []struct {
		origin, host string
		status       int
	}{
		{"", "", 200},
		{"http://" + addr, "", 200},
		{"HTTP://" + addr, "", 200},
		{"http://127.0.0.1:" + port, "", 200},
		// Only the address the server listens on is its own origin.
		{"http://localhost:" + port, "", 403},
		{"http://[::1]:" + port, "", 403},
		{"https://127.0.0.1:" + port, "", 403},
		{"http://127.0.0.2:" + port, "", 403},
		{"http://[::ffff:127.0.0.1]:" + port, "", 403},
		{"http://[::1%25lo]:" + port, "", 403}, // a zone identifier
		{"http://[::1%lo]:" + port, "", 403},
		{"http://127.0.0.1:0" + port, "", 403},
		{"http://127.1:" + port, "", 403},
		{"http://127.0.0.1:" + port + "/", "", 403},
		{"http://user@127.0.0.1:" + port, "", 403},
		{"http://127.0.0.1:" + port + ".", "", 403},
		{"http://evil.example.com", "", 403},
		{"http://127.0.0.1:1", "", 403}, // another local origin
		{"null", "", 403},
		{"http://localhost:" + port + "/path", "", 403},
		{"", "evil.example.com", 403},
		{"", "evil.example.com:" + port, 403},
		{"", "localhost:" + port, 200},
		{"", "127.0.0.2", 200},
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.origin != "" {
			hdr["Origin"] = c.origin
		}
		if c.host != "" {
			hdr["Host"] = c.host
		}
		r := h.do(rpc{Method: "server/discover", Headers: hdr})
		if r.status != c.status {
			t.Errorf("Origin %q Host %q: status %d, want %d", c.origin, c.host, r.status, c.status)
		}
		if c.status == 403 {
			if r.errCode() == 0 || r.msg["id"] != nil {
				t.Errorf("Origin %q Host %q: 403 body %s; want a JSON-RPC error without id", c.origin, c.host, r.body)
			}
		}
		if c.status == 200 && c.origin != "" {
			if got := r.header.Get("Access-Control-Allow-Origin"); got != c.origin {
				t.Errorf("Origin %q: Access-Control-Allow-Origin %q", c.origin, got)
			}
		}
	}
	// Configured origins are served besides the own one; configured hosts
	// replace the loopback defaults.
	c := newHarness(t, Config{AllowedOrigins: []string{"https://app.example.com", "http://localhost:" + port}, AllowedHosts: []string{"127.0.0.1"}})
	caddr := c.ts.Listener.Addr().String()
	for origin, want := range map[string]int{
		"https://app.example.com":     200,
		"https://APP.example.com:443": 200,
		"http://localhost:" + port:    200,
		"http://" + caddr:             200,
		"http://app.example.com":      403,
		"http://[::1]:" + port:        403,
	} {
		if r := c.do(rpc{Method: "server/discover", Headers: map[string]string{"Origin": origin}}); r.status != want {
			t.Errorf("configured origins, Origin %q: %d, want %d", origin, r.status, want)
		}
	}
	if r := c.do(rpc{Method: "server/discover", Headers: map[string]string{"Host": "localhost"}}); r.status != 403 {
		t.Errorf("unconfigured host: %d", r.status)
	}
	// A configured value that is no origin is refused.
	for _, bad := range []string{"app.example.com", "https://app.example.com/", "http://[::1%25lo]:80", "null"} {
		if _, err := New(Config{AllowedOrigins: []string{bad}}); err == nil {
			t.Errorf("AllowedOrigins %q: accepted", bad)
		}
	}
}

func TestHTTPPreflight(t *testing.T) {
	h := newHarness(t, Config{})
	origin := "http://" + h.ts.Listener.Addr().String()
	pre := func(origin, headers string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", h.url, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := pre(origin, "content-type, mcp-protocol-version, mcp-method, mcp-name, mcp-param-region")
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("preflight: %d, Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			if strings.HasPrefix(k, "Access-Control-") && strings.Contains(v, "*") {
				t.Errorf("preflight answered with a wildcard: %s: %s", k, v)
			}
		}
	}
	if !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "mcp-param-region") {
		t.Errorf("Allow-Headers %q", res.Header.Get("Access-Control-Allow-Headers"))
	}
	if res := pre("http://evil.example.com", "content-type"); res.StatusCode != 403 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin: %d %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestHTTPNameHeader(t *testing.T) {
	h := newHarness(t, Config{})
	call := func(hdr map[string]string) *resp {
		return h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "test_simple_text"}, Headers: hdr})
	}
	b64 := "=?base64?dGVzdF9zaW1wbGVfdGV4dA==?="
	cases := []struct {
		name string
		hdr  map[string]string
		code int64
	}{
		{"plain", nil, 0},
		{"base64", map[string]string{"Mcp-Name": b64}, 0},
		{"whitespace around", map[string]string{"Mcp-Name": "  test_simple_text  "}, 0},
		{"missing", map[string]string{"Mcp-Name": ""}, wire.CodeHeaderMismatch},
		{"mismatch", map[string]string{"Mcp-Name": "test_image_content"}, wire.CodeHeaderMismatch},
		{"value case", map[string]string{"Mcp-Name": "TEST_SIMPLE_TEXT"}, wire.CodeHeaderMismatch},
		{"bad base64", map[string]string{"Mcp-Name": "=?base64?dGVzdF9zaW1wbGVfdGV4dA?="}, wire.CodeHeaderMismatch},
		{"non-ASCII byte", map[string]string{"Mcp-Name": "test_simple_text\xe9"}, wire.CodeHeaderMismatch},
		{"sentinel literal is base64", map[string]string{"Mcp-Name": "=?base64?test_simple_text?="}, wire.CodeHeaderMismatch},
	}
	for _, c := range cases {
		r := call(c.hdr)
		if r.errCode() != c.code {
			t.Errorf("%s: code %d, want %d; %s", c.name, r.errCode(), c.code, r.body)
		}
		if c.code == wire.CodeHeaderMismatch && r.status != 400 {
			t.Errorf("%s: status %d, want 400", c.name, r.status)
		}
	}
	// resources/read mirrors params.uri; a non-ASCII URI travels in Base64.
	r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://static-text"}, Headers: map[string]string{"Mcp-Name": "test://static-binary"}})
	if r.errCode() != wire.CodeHeaderMismatch {
		t.Errorf("resources/read with another URI in Mcp-Name: %s", r.body)
	}
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://template/日本/data"}})
	if r.errCode() != 0 || !strings.Contains(string(r.body), "日本") {
		t.Errorf("resources/read of a non-ASCII URI: %s", r.body)
	}
	// Two Mcp-Name headers are ambiguous.
	req, _ := http.NewRequest("POST", h.url, bytes.NewReader(rpc{Method: "tools/call", Params: map[string]any{"name": "test_simple_text"}}.body()))
	req.Header = http.Header{"Content-Type": {"application/json"}, "Mcp-Protocol-Version": {wire.Version}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"test_simple_text", "test_image_content"}}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Errorf("two Mcp-Name headers: %d", res.StatusCode)
	}
}

func TestHTTPParamHeaders(t *testing.T) {
	h := newHarness(t, Config{})
	call := func(args map[string]any, hdr map[string]string) *resp {
		return h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "route_query", "arguments": args}, Headers: hdr})
	}
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"region": "us-west1", "query": "select 1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		args map[string]any
		hdr  map[string]string
		code int64
	}{
		{"match", base(nil), map[string]string{"Mcp-Param-Region": "us-west1"}, 0},
		{"header name case", base(nil), map[string]string{"mcp-param-region": "us-west1"}, 0},
		{"missing", base(nil), nil, wire.CodeHeaderMismatch},
		{"mismatch", base(nil), map[string]string{"Mcp-Param-Region": "eu-west1"}, wire.CodeHeaderMismatch},
		{"value case", base(nil), map[string]string{"Mcp-Param-Region": "US-WEST1"}, wire.CodeHeaderMismatch},
		{"base64", base(map[string]any{"region": "Hello, 世界"}), map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8sIOS4lueVjA==?="}, 0},
		{"base64 of plain", base(nil), map[string]string{"Mcp-Param-Region": "=?base64?dXMtd2VzdDE=?="}, 0},
		{"bad padding", base(map[string]any{"region": "Hello"}), map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8?="}, wire.CodeHeaderMismatch},
		{"bad alphabet", base(map[string]any{"region": "Hello"}), map[string]string{"Mcp-Param-Region": "=?base64?SGVs!!!bG8=?="}, wire.CodeHeaderMismatch},
		{"no prefix is literal", base(map[string]any{"region": "SGVsbG8="}), map[string]string{"Mcp-Param-Region": "SGVsbG8="}, 0},
		{"no suffix is literal", base(map[string]any{"region": "=?base64?SGVsbG8="}), map[string]string{"Mcp-Param-Region": "=?base64?SGVsbG8="}, 0},
		{"invalid character", base(nil), map[string]string{"Mcp-Param-Region": "us-west1\x80"}, wire.CodeHeaderMismatch},
		{"integer", base(map[string]any{"priority": 42}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Priority": "42"}, 0},
		{"integer numerically", base(map[string]any{"priority": 42}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Priority": "42.0"}, 0},
		{"integer mismatch", base(map[string]any{"priority": 42}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Priority": "43"}, wire.CodeHeaderMismatch},
		{"integer not a number", base(map[string]any{"priority": 42}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Priority": "0x2a"}, wire.CodeHeaderMismatch},
		{"integer missing", base(map[string]any{"priority": 42}), map[string]string{"Mcp-Param-Region": "us-west1"}, wire.CodeHeaderMismatch},
		{"boolean", base(map[string]any{"dryRun": true}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Dry-Run": "true"}, 0},
		{"boolean case", base(map[string]any{"dryRun": true}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Dry-Run": "True"}, wire.CodeHeaderMismatch},
		{"null needs no header", base(map[string]any{"priority": nil}), map[string]string{"Mcp-Param-Region": "us-west1"}, 0},
		{"header without body value", base(nil), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Priority": "1"}, wire.CodeHeaderMismatch},
		{"nested", base(map[string]any{"tenant": map[string]any{"id": "acme"}}), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Tenant-Id": "acme"}, 0},
		{"nested missing", base(map[string]any{"tenant": map[string]any{"id": "acme"}}), map[string]string{"Mcp-Param-Region": "us-west1"}, wire.CodeHeaderMismatch},
		{"undeclared header ignored", base(nil), map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Other": "x"}, 0},
	}
	for _, c := range cases {
		r := call(c.args, c.hdr)
		if r.errCode() != c.code {
			t.Errorf("%s: code %d, want %d; %s", c.name, r.errCode(), c.code, r.body)
		}
		if c.code != 0 && r.status != 400 {
			t.Errorf("%s: status %d, want 400", c.name, r.status)
		}
		if c.code == 0 && get(r.result(), "isError") == true && c.name != "null needs no header" {
			t.Errorf("%s: tool error %s", c.name, r.body)
		}
	}
}

// The other transports' checks do not apply on stdio: the same calls
// without headers succeed there (tested in stdio_test.go).

// TestStrictNamesInParams: the envelope's policy on member names holds in
// params and arguments too: a member whose name differs from a defined
// one only in case, two names that fold together, and duplicates are
// refused with -32602 (a case-insensitive parser would read them
// otherwise); Mcp-Param-* names that differ only by '-' and '_' are a
// header conflict (-32020).
func TestStrictNamesInParams(t *testing.T) {
	h := newHarness(t, Config{})
	m := `"_meta":{"io.modelcontextprotocol/protocolVersion":"` + wire.Version + `","io.modelcontextprotocol/clientCapabilities":{}}`
	call := func(params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{` + m + `,` + params + `}}`
	}
	cases := []struct {
		name, body string
		code       int64
	}{
		{"conforming", call(`"name":"test_simple_text","arguments":{}`), 0},
		{"Name beside name", call(`"name":"test_simple_text","Name":"test_image_content"`), wire.CodeInvalidParams},
		{"Arguments", call(`"name":"test_simple_text","Arguments":{}`), wire.CodeInvalidParams},
		{"_META", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_META":{},` + m + `,"name":"test_simple_text"}}`, wire.CodeInvalidParams},
		{"RequestState", call(`"name":"test_simple_text","RequestState":"x"`), wire.CodeInvalidParams},
		{"arguments Name beside name", call(`"name":"test_simple_text","arguments":{"Name":"a","name":"b"}`), wire.CodeInvalidParams},
		{"nested arguments", call(`"name":"test_simple_text","arguments":{"a":{"b":[{"k":1,"K":2}]}}`), wire.CodeInvalidParams},
		{"prompt arguments", `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{` + m + `,"name":"test_prompt_with_arguments","arguments":{"arg1":"a","ARG1":"b","arg2":"c"}}}`, wire.CodeInvalidParams},
		{"listen filter", `{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{` + m + `,"notifications":{"toolsListChanged":true,"ToolsListChanged":false}}}`, wire.CodeInvalidParams},
		{"_meta key case", call(`"name":"test_simple_text","_meta2":{"progressToken":1,"ProgressToken":2}`), wire.CodeInvalidParams},
		{"case-distinct names are fine", call(`"name":"test_simple_text","arguments":{"a":1,"ab":2,"b":{"a":1}}`), 0},
	}
	for _, c := range cases {
		var p struct {
			Method string
			Params struct{ Name string }
		}
		json.Unmarshal([]byte(c.body), &p)
		hdr := map[string]string{"Mcp-Method": p.Method}
		if p.Params.Name != "" {
			hdr["Mcp-Name"] = p.Params.Name
		}
		r := h.do(rpc{Raw: []byte(c.body), Headers: hdr})
		if r.errCode() != c.code || (c.code != 0 && r.status != 400) {
			t.Errorf("%s: HTTP %d %s; want code %d", c.name, r.status, r.body, c.code)
		}
		if c.code != 0 && r.msg["id"] != 1.0 {
			t.Errorf("%s: the error does not keep the id: %s", c.name, r.body)
		}
	}
	// The same through the core (stdio reads params the same way).
	s := newTestServer(t, Config{})
	if out := s.handleForTest([]byte(cases[1].body)); !bytes.Contains(out, []byte(`"code":-32602`)) {
		t.Errorf("through the core: %s", out)
	}
	// Mcp-Param-* names that differ only by '-' and '_'.
	route := func(hdr map[string]string) *resp {
		return h.do(rpc{Method: "tools/call", Params: map[string]any{"name": "route_query", "arguments": map[string]any{"region": "us-west1", "query": "q", "dryRun": true}}, Headers: hdr})
	}
	if r := route(map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Dry-Run": "true"}); r.errCode() != 0 {
		t.Errorf("conforming headers: %s", r.body)
	}
	for _, other := range []string{"Mcp-Param-Dry_Run", "mcp-param-dry_run", "Mcp-Param-Dry_run"} {
		for _, val := range []string{"false", "true"} {
			r := route(map[string]string{"Mcp-Param-Region": "us-west1", "Mcp-Param-Dry-Run": "true", other: val})
			if r.status != 400 || r.errCode() != wire.CodeHeaderMismatch || !strings.Contains(string(r.body), "differ only by") {
				t.Errorf("Mcp-Param-Dry-Run beside %s: %s: HTTP %d %s", other, val, r.status, r.body)
			}
		}
	}
}
