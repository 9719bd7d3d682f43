package staterun

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// sig is a result signature with text as its only content.
func sig(text string) string {
	return `{"content":[{"text":"` + jsonText(text) + `","type":"text"}]}`
}

// TestEcho: a changed result is an echo only where the altered state's
// text stands in for a value the client supplied and the state carried.
func TestEcho(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sup := []string{"mcpverify"}
	cases := []struct {
		name                  string
		orig, altered, r0, r1 string
		sup                   []string
		want                  bool
		wantReplacedBy        string
	}{
		{"a flipped key: the whole text comes back as the name", "round=2;name=mcpverify", "sound=2;name=mcpverify",
			sig("Multi-round complete: mcpverify likes mcpverify"), sig("Multi-round complete: sound=2;name=mcpverify likes mcpverify"), sup, true, "sound=2;name=mcpverify"},
		{"the name's last character", "round=2;name=mcpverify", "round=2;name=mcpverifz",
			sig("Hi mcpverify"), sig("Hi mcpverifz"), sup, true, "mcpverifz"},
		{"a field of Base64 JSON", b64(`{"name":"mcpverify","n":1}`), b64(`{"name":"mcpverifz","n":1}`),
			sig("Hi mcpverify"), sig("Hi mcpverifz"), sup, true, "mcpverifz"},
		{"a role the server set is no echo", b64(`{"role":"user","name":"mcpverify"}`), b64(`{"role":"usfr","name":"mcpverify"}`),
			sig("mcpverify (user)"), sig("mcpverify (usfr)"), sup, false, ""},
		{"a value the state does not carry", "round=2", "round=3",
			sig("Hi mcpverify"), sig("Hi admin"), sup, false, ""},
		{"a replacement the altered state does not carry", "round=2;name=mcpverify", "round=2;name=mcpverifz",
			sig("Hi mcpverify"), sig("Hi root"), sup, false, ""},
		{"another change besides the echo", "round=2;name=mcpverify", "round=2;name=mcpverifz",
			sig("Hi mcpverify, balance 10"), sig("Hi mcpverifz, balance 99"), sup, false, ""},
		{"nothing supplied", "round=2;name=mcpverify", "round=2;name=mcpverifz",
			sig("Hi mcpverify"), sig("Hi mcpverifz"), nil, false, ""},
		{"the same result", "a", "b", sig("x"), sig("x"), sup, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, x, ok := Echo(c.orig, c.altered, c.r0, c.r1, c.sup)
			if ok != c.want {
				t.Fatalf("Echo = %q→%q, %v; want %v", got, x, ok, c.want)
			}
			if ok && x != c.wantReplacedBy {
				t.Errorf("replaced by %q, want %q", x, c.wantReplacedBy)
			}
		})
	}
}

// TestSupplied: the client's values are its arguments and input
// responses with a letter in them; an amount, the tool name and the URI
// are not.
func TestSupplied(t *testing.T) {
	params := map[string]any{"name": "transfer", "uri": "test://x", "arguments": map[string]any{"to": "bob", "amount": "100", "memo": "rent"}}
	rounds := []map[string]any{{"confirm": map[string]any{"action": "accept", "content": map[string]any{"name": "mcpverify", "n": 7.0}}}}
	got := supplied(params, rounds)
	slices.Sort(got)
	want := []string{"accept", "bob", "mcpverify", "rent"}
	if !slices.Equal(got, want) {
		t.Errorf("supplied = %q, want %q", got, want)
	}
}

// TestFault: a 5xx (but 503) or a leaked stack trace is a fault; a
// refusal is not.
func TestFault(t *testing.T) {
	obs := func(status int, body string) check.Observation {
		return check.Observation{Ex: &wire.Exchange{Transport: wire.HTTP, Outcome: wire.Complete, Status: status, RespBody: []byte(body)}}
	}
	cases := []struct {
		o    check.Observation
		want string // a word of the fault, "" for none
	}{
		{obs(500, "internal error"), "HTTP 500"},
		{obs(502, ""), "HTTP 502"},
		{obs(http.StatusServiceUnavailable, ""), ""},
		{obs(200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"panic: runtime error: index out of range [3] with length 3"}}`), "internals"},
		{obs(200, `{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[{"type":"text","text":"Traceback (most recent call last):\n  File \"s.py\", line 3"}]}}`), "internals"},
		{obs(200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"requestState is not a state this server issued"}}`), ""},
		{check.Observation{Ex: &wire.Exchange{Transport: wire.Stdio, Outcome: wire.Complete, Lines: [][]byte{[]byte(`{"error":{"message":"at Object.open (/srv/app/state.js:12:7)"}}`)}}}, "internals"},
		{check.Observation{Ex: &wire.Exchange{Transport: wire.HTTP, Outcome: wire.TimedOut}}, ""},
	}
	for i, c := range cases {
		got := Fault(c.o)
		if (got == "") != (c.want == "") || !strings.Contains(got, c.want) {
			t.Errorf("case %d: Fault = %q, want %q", i, got, c.want)
		}
	}
}
