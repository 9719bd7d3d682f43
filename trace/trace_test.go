package trace

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mcpverify/mcpverify/wire"
)

const httpTrace = `transport: http
want: CORE-META-REQUIRED HTTP-META-STATUS
-- 1.request --
POST /mcp HTTP/1.1
mcp-method: tools/list
MCP-Protocol-Version: 2026-07-28

{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}
-- 1.response --
HTTP/1.1 200 OK
Content-Type: text/event-stream

data: {"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[],"ttlMs":0,"cacheScope":"public"}}

-- 1.meta --
conn: 2
at: 1.5s
outcome: cancelled
cancel-at: 20ms
`

func TestParseHTTP(t *testing.T) {
	tr, err := Parse([]byte(httpTrace))
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Get("want"); got != "CORE-META-REQUIRED HTTP-META-STATUS" {
		t.Errorf("want field = %q", got)
	}
	if len(tr.Exchanges) != 1 {
		t.Fatalf("%d exchanges; want 1", len(tr.Exchanges))
	}
	ex := tr.Exchanges[0]
	if v, _ := wire.HeaderValue(ex.Header, "Mcp-Method"); v != "tools/list" {
		t.Errorf("Mcp-Method = %q", v)
	}
	if _, ok := ex.Header["mcp-method"]; !ok {
		t.Errorf("header name case not kept: %v", ex.Header)
	}
	if ex.Status != 200 || ex.Conn != 2 || ex.At != 1500*time.Millisecond || ex.Outcome != wire.Cancelled || ex.CancelAt != 20*time.Millisecond {
		t.Errorf("exchange = %+v", ex)
	}
	ex.Decode()
	if len(ex.Replies) != 1 || ex.Replies[0].Err != nil {
		t.Fatalf("replies = %+v, body error %v", ex.Replies, ex.BodyErr)
	}
	if _, ok := ex.Sent.(*wire.JSONRPCRequest); !ok {
		t.Errorf("sent = %T (%v)", ex.Sent, ex.SentErr)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, in := range []string{httpTrace, `-- 1.request --
POST /mcp?access_token=eyJ0 HTTP/1.1
Content-Type: application/json

{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}
-- 1.response --
HTTP/1.1 401 Unauthorized
Www-Authenticate: Bearer
-- 1.meta --
credential: token-in-query
credential-principal: alice
credential-claims: {"aud":"http://127.0.0.1:8080/mcp","sub":"alice"}
credential-resource: http://127.0.0.1:8080/mcp
credential-scope: mcp:tools
`, `transport: stdio
-- 1.stdin --
{"jsonrpc":"2.0","id":1,"method":"server/discover"}
-- 1.stdout --
{"jsonrpc":"2.0","method":"notifications/message","params":{}}
{"jsonrpc":"2.0","id":1,"result":{}}
-- 1.meta --
line-at: 1ms,2ms
`} {
		a, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(Format(a))
		if err != nil {
			t.Fatalf("Parse(Format(...)): %v\n%s", err, Format(a))
		}
		opt := cmpopts.IgnoreUnexported(wire.Exchange{})
		if ex := a.Exchanges[0]; ex.Transport == wire.HTTP && strings.Contains(in, "credential:") && (ex.Query != "access_token=eyJ0" || ex.Credential == nil || ex.Credential.Principal != "alice") {
			t.Errorf("query %q, credential %+v", ex.Query, ex.Credential)
		}
		if d := cmp.Diff(a, b, opt); d != "" {
			t.Errorf("round trip changed the trace (-before +after):\n%s", d)
		}
		if !bytes.Equal(Format(a), Format(b)) {
			t.Errorf("Format is not stable")
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"transport: carrier-pigeon\n",
		"no colon here\n",
		"-- x.request --\nPOST /mcp HTTP/1.1\n",
		"-- 1.stdin --\n{}\n",
		"-- 1.response --\nHTTP/1.1 abc\n",
		"-- 1.meta --\noutcome: exploded\n",
		"-- 1.meta --\ncolour: blue\n",
		"-- 1.request --\nPOST /mcp HTTP/1.1\nnot a header\n",
		"-- 1.response --\nHTTP/1.1 200 OK\n", // no request (FuzzTraceRoundTrip)
		"-- 1.meta --\nat: 1s\n",
		"-- 00:--\n", // a key Format would write as a file marker (FuzzTraceRoundTrip)
		"x y: z\n",
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded; want an error", in)
		}
	}
}

// TestFormatStdioWithoutTransport: a stdio trace built in memory without a
// transport field (as a run saves it) still parses as stdio.
func TestFormatStdioWithoutTransport(t *testing.T) {
	tr := &Trace{
		Fields:    []Field{{Key: "want", Value: "STDIO-STDOUT"}},
		Exchanges: []*wire.Exchange{{Transport: wire.Stdio, Body: []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`), Lines: [][]byte{[]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)}}},
	}
	back, err := Parse(Format(tr))
	if err != nil {
		t.Fatalf("Parse(Format(...)): %v\n%s", err, Format(tr))
	}
	if len(back.Exchanges) != 1 || back.Exchanges[0].Transport != wire.Stdio || back.Get("want") != "STDIO-STDOUT" {
		t.Errorf("got %+v", back)
	}
}
