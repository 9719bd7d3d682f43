package check

import (
	"net/http"
	"testing"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// TestCauses: a schema failure and the precise rule in one answer share
// a cause (two precise rules in one answer do not), and so do two findings
// answered by the same HTTP error without a JSON-RPC error; a finding alone
// has none; a cause a check names is kept when shared.
func TestCauses(t *testing.T) {
	plain := func() *wire.Exchange {
		return &wire.Exchange{Transport: wire.HTTP, Outcome: wire.Complete, Status: 400,
			RespHeader: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, RespBody: []byte("Bad Request: Unsupported protocol version\n")}
	}
	rpcErr := &wire.Exchange{Transport: wire.HTTP, Outcome: wire.Complete, Status: 400,
		RespHeader: http.Header{"Content-Type": {"application/json"}}, RespBody: []byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}`)}
	note := &wire.Exchange{Transport: wire.HTTP, Outcome: wire.Complete, Status: 200, Body: []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}}`),
		RespHeader: http.Header{"Content-Type": {"application/json"}}, RespBody: []byte(`{"jsonrpc":"2.0","id":7,"result":{}}`)}
	vs := []*Verdict{
		{ID: spec.CoreMessageSchema, Model: true, Evidence: []*wire.Exchange{note}},
		{ID: spec.CoreProgressToken, Model: true, Evidence: []*wire.Exchange{note}},
		{ID: spec.CoreLogOptIn, Model: true, Evidence: []*wire.Exchange{rpcErr}},
		{ID: spec.HttpSseNoBuffering, Model: true, Evidence: []*wire.Exchange{rpcErr}},
		{ID: spec.CoreVersionUnsupported, Model: true, Evidence: []*wire.Exchange{plain()}},
		{ID: spec.HttpVersionMismatch, Model: true, Evidence: []*wire.Exchange{plain()}},
		{ID: spec.CoreMetaRequired, Model: true, Evidence: []*wire.Exchange{rpcErr}},
		{ID: spec.StateIntegrityAlways, Cause: "the requestState of tool x is not verified"},
		{ID: spec.StateBindRequest, Cause: "the requestState of tool x is not verified"},
		{ID: spec.StateBindArgs, Cause: "the requestState of tool y is not verified"},
	}
	var rs []Result
	for _, v := range vs {
		rs = append(rs, Result{ID: v.ID, Cause: causeOf(v)})
	}
	sharedCauses(rs)
	want := []string{
		"one answer: the server's answer to tools/call (request id 7)",
		"one answer: the server's answer to tools/call (request id 7)",
		"", "", // two precise rules in one answer: two defects
		`the server answers with HTTP 400 (text/plain) "Bad Request: Unsupported protocol version" and no JSON-RPC error`,
		`the server answers with HTTP 400 (text/plain) "Bad Request: Unsupported protocol version" and no JSON-RPC error`,
		"",
		"the requestState of tool x is not verified",
		"the requestState of tool x is not verified",
		"",
	}
	for i, r := range rs {
		if r.Cause != want[i] {
			t.Errorf("%s: cause %q, want %q", r.ID, r.Cause, want[i])
		}
	}
}
