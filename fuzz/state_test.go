package fuzz

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

// Fuzz targets of requestState and state handles, against the reference
// server's own codec (impl.StateCodec) and its HTTP handler in process:
//
//   - FuzzStateMutation: no mutation of a sealed state ever verifies;
//   - FuzzStateRoundTrip: sealing then opening returns every field, and
//     only for the binding it was sealed for;
//   - FuzzCartHandle: a cart_id finds a cart only if it is the handle the
//     server minted, and every other one gets the one "not found" answer;
//   - FuzzTransferForgedState: the MRTR retry of transfer completes only
//     with the exact state the server minted, and only once.

// stateKey is the state key of every target.
var stateKey = bytes.Repeat([]byte{0x5a}, 32)

// fixedNow is the clock of the codec targets.
func fixedNow() time.Time { return time.Unix(1_800_000_000, 0) }

// sealed is a state sealed for a binding.
type sealed struct {
	binding int // index in stateBindings
	state   string
}

var stateBindings = []impl.StateBinding{
	{Principal: "", Method: "tools/call", Params: []string{"transfer", `{"amount":5,"to":"bob"}`}},
	{Principal: "alice", Method: "tools/call", Params: []string{"transfer", `{"amount":5,"to":"bob"}`}},
	{Principal: "bob", Method: "tools/call", Params: []string{"transfer", `{"amount":5,"to":"bob"}`}},
	{Principal: "alice", Method: "prompts/get", Params: []string{"p", `{}`}},
	{Principal: "alice", Method: "resources/read", Params: []string{"test://confidential"}},
}

// sealedStates seals one state for each binding with a deterministic
// nonce source, so that every fuzzing process computes the same states and
// the seeds are the real thing.
func sealedStates(tb testing.TB) (*impl.StateCodec, []sealed) {
	c, err := impl.NewStateCodec(impl.StateCodecConfig{Keys: [][]byte{stateKey}, Now: fixedNow, TTL: time.Hour,
		Rand: rand.NewChaCha8([32]byte{1})})
	if err != nil {
		tb.Fatal(err)
	}
	var out []sealed
	for i, b := range stateBindings {
		st, err := c.Seal(b, impl.StateContents{Asked: []string{"confirm"}, Data: []byte(`{"kind":"transfer","nonce":"n"}`)})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, sealed{i, st})
	}
	return c, out
}

// FuzzStateMutation: the fuzzer mutates sealed states; a string that opens
// under any binding must be, byte for byte, a state sealed for that
// binding.
func FuzzStateMutation(f *testing.F) {
	c, states := sealedStates(f)
	for _, s := range states {
		f.Add(s.state)
		f.Add(s.state + "=")
		f.Add(strings.ToUpper(s.state))
		f.Add(s.state[:len(s.state)-1])
		f.Add(s.state[:30] + "\n" + s.state[30:])
		f.Add(strings.NewReplacer("-", "+", "_", "/").Replace(s.state))
	}
	f.Add("")
	f.Add("s1.")
	f.Fuzz(func(t *testing.T, state string) {
		for i, b := range stateBindings {
			if _, _, err := c.Open(state, b); err != nil {
				continue
			}
			ok := false
			for _, s := range states {
				ok = ok || (s.state == state && s.binding == i)
			}
			if !ok {
				t.Fatalf("a state the codec did not seal opens for binding %d: %q", i, state)
			}
		}
	})
}

// FuzzStateRoundTrip: whatever the binding and contents, Seal then Open
// with the same binding returns the same asked keys and data and the
// expiry TTL from now; Open with a binding that differs in any part fails.
func FuzzStateRoundTrip(f *testing.F) {
	f.Add("alice", "tools/call", "transfer", `{"amount":5}`, "confirm", "", []byte(`{"k":1}`), uint32(60_000))
	f.Add("", "prompts/get", "", "", "", "x", []byte{}, uint32(1))
	f.Add("a\x00b", "m", "p\xff", "q", "\xff", "k", []byte{0, 0xff}, uint32(0))
	f.Fuzz(func(t *testing.T, principal, method, p1, p2, ask1, ask2 string, data []byte, ttlMs uint32) {
		ttl := time.Duration(ttlMs%86_400_000+1) * time.Millisecond
		c, err := impl.NewStateCodec(impl.StateCodecConfig{Keys: [][]byte{stateKey}, Now: fixedNow, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		b := impl.StateBinding{Principal: principal, Method: method, Params: []string{p1, p2}}
		in := impl.StateContents{Asked: []string{ask1, ask2}, Data: data}
		st, err := c.Seal(b, in)
		if err != nil {
			if utf8.ValidString(ask1) && utf8.ValidString(ask2) {
				t.Fatalf("seal failed: %v", err)
			}
			return // asked keys are JSON strings: invalid UTF-8 is refused
		}
		out, exp, err := c.Open(st, b)
		if err != nil {
			t.Fatalf("open of a fresh state failed: %v", err)
		}
		if !slices.Equal(out.Asked, in.Asked) || !bytes.Equal(out.Data, in.Data) {
			t.Fatalf("round trip changed the contents: %q %q -> %q %q", in.Asked, in.Data, out.Asked, out.Data)
		}
		if want := fixedNow().Add(ttl).Truncate(time.Millisecond); !exp.Equal(want) {
			t.Fatalf("expiry %v, want %v", exp, want)
		}
		for name, other := range map[string]impl.StateBinding{
			"principal":     {Principal: principal + "x", Method: method, Params: b.Params},
			"method":        {Principal: principal, Method: method + "x", Params: b.Params},
			"first param":   {Principal: principal, Method: method, Params: []string{p1 + "x", p2}},
			"second param":  {Principal: principal, Method: method, Params: []string{p1, p2 + "x"}},
			"joined params": {Principal: principal, Method: method, Params: []string{p1 + p2}},
			"method moved":  {Principal: principal, Method: "", Params: []string{method, p1, p2}},
		} {
			if _, _, err := c.Open(st, other); err == nil {
				t.Fatalf("the state opens with another %s", name)
			}
		}
	})
}

// inProcess serves requests to a Server's HTTP handler without a network.
type inProcess struct {
	h http.Handler
}

// call sends a tools/call with id 1 and returns the response body and its
// decoded form.
func (p inProcess) call(tb testing.TB, name string, params map[string]any) ([]byte, map[string]any) {
	params["name"] = name
	params["_meta"] = map[string]any{
		wire.MetaProtocolVersion:    wire.Version,
		wire.MetaClientInfo:         map[string]any{"name": "fuzz", "version": "1"},
		wire.MetaClientCapabilities: map[string]any{"elicitation": map[string]any{}},
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest("POST", impl.Endpoint, bytes.NewReader(body))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", wire.Version)
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", wire.EncodeHeaderValue(name))
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	out := rec.Body.Bytes()
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		tb.Fatalf("HTTP %d, not JSON: %q", rec.Code, out)
	}
	return out, m
}

func lookup(v any, path ...string) any {
	x, _ := wire.Path(path).Lookup(v)
	return x
}

func newServer(tb testing.TB) *impl.Server {
	s, err := impl.New(impl.Config{StateKeys: [][]byte{stateKey}})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// FuzzCartHandle: with one cart minted, cart_view of a fuzzed cart_id
// succeeds exactly when it is that handle; every other cart_id, whatever
// its form, gets the same answer, byte for byte.
func FuzzCartHandle(f *testing.F) {
	s := newServer(f)
	p := inProcess{s.Handler()}
	_, created := p.call(f, "cart_create", map[string]any{"arguments": map[string]any{}})
	minted, _ := lookup(created, "result", "structuredContent", "cart_id").(string)
	if minted == "" {
		f.Fatalf("cart_create: %v", created)
	}
	notFound, _ := p.call(f, "cart_view", map[string]any{"arguments": map[string]any{"cart_id": "cart_AAAAAAAAAAAAAAAAAAAAAA"}})
	f.Add(minted)
	f.Add(minted[:len(minted)-1])
	f.Add(minted + "A")
	f.Add(strings.ToUpper(minted))
	f.Add("cart_")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		body, m := p.call(t, "cart_view", map[string]any{"arguments": map[string]any{"cart_id": id}})
		found := lookup(m, "result", "isError") != true
		switch {
		case id == minted && !found:
			t.Fatalf("the minted handle is not found: %s", body)
		case id != minted && found:
			t.Fatalf("cart_id %q finds a cart (minted %q): %s", id, minted, body)
		case id != minted && !bytes.Equal(body, notFound):
			t.Fatalf("cart_id %q gets another answer than an unknown handle:\n%s\n%s", id, body, notFound)
		}
	})
}

// FuzzTransferForgedState: a transfer's first call mints a state; the
// retry, with confirm=true and the state edited as the fuzzer says,
// completes only if the edit left the state byte-identical, and then the
// same state never completes again.
func FuzzTransferForgedState(f *testing.F) {
	s := newServer(f)
	p := inProcess{s.Handler()}
	args := func() map[string]any { return map[string]any{"to": "bob", "amount": 5} }
	f.Add("", uint16(0), byte(0), uint8(1))        // unchanged
	f.Add("", uint16(10), byte(1), uint8(1))       // one bit
	f.Add("A", uint16(40), byte(0), uint8(2))      // insertion
	f.Add("", uint16(50), byte(0), uint8(3))       // truncation
	f.Add("=", uint16(0), byte(0), uint8(4))       // extension
	f.Add("s1.AAAA", uint16(0), byte(0), uint8(0)) // forged outright
	f.Fuzz(func(t *testing.T, forged string, pos uint16, xor byte, mode uint8) {
		_, first := p.call(t, "transfer", map[string]any{"arguments": args()})
		minted, _ := lookup(first, "result", "requestState").(string)
		if minted == "" {
			t.Fatalf("first call: %v", first)
		}
		presented := minted
		switch mode % 6 {
		case 0:
			presented = forged
		case 1:
			b := []byte(minted)
			b[int(pos)%len(b)] ^= xor
			presented = string(b)
		case 2:
			i := int(pos) % (len(minted) + 1)
			presented = minted[:i] + forged + minted[i:]
		case 3:
			presented = minted[:int(pos)%(len(minted)+1)]
		case 4:
			presented = minted + forged
		case 5:
			presented = forged + minted
		}
		retry := func() (bool, []byte) {
			body, m := p.call(t, "transfer", map[string]any{"arguments": args(), "requestState": presented,
				"inputResponses": map[string]any{"confirm": map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}})
			res, _ := lookup(m, "result").(map[string]any)
			return res != nil && res["resultType"] == "complete" && res["isError"] != true, body
		}
		done, body := retry()
		if presented != minted {
			if done {
				t.Fatalf("the retry completed with a state the server did not mint: %q (minted %q): %s", presented, minted, body)
			}
			return
		}
		if !done {
			t.Fatalf("the retry with the minted state did not complete: %s", body)
		}
		if again, body := retry(); again {
			t.Fatalf("the same confirmation completed twice: %s", body)
		}
	})
}
