package impl

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

func TestStateRoundTrip(t *testing.T) {
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}})
	b := bindingOf("tools/call", "t", canonicalJSON(wire.Value(`{"b":1,"a":[true]}`)))
	st, err := s.seal(b, []string{"k"}, kindState{Kind: "x", Round: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.open(st, b)
	if err != nil {
		t.Fatal(err)
	}
	var ks kindState
	if err := wire.Unmarshal(p.Data, &ks); err != nil || ks.Kind != "x" || ks.Round != 2 || len(p.Asked) != 1 {
		t.Errorf("payload %+v %+v %v", p, ks, err)
	}
	// Member order and whitespace of the arguments do not matter.
	b2 := bindingOf("tools/call", "t", canonicalJSON(wire.Value(` { "a" : [ true ] , "b" : 1.0e0 } `)))
	if _, err := s.open(st, b2); err != nil {
		t.Errorf("canonically equal arguments: %v", err)
	}
}

// TestStateNoMutationVerifies mutates every byte of a sealed state, in its
// text form and in its decoded form: no mutation opens.
func TestStateNoMutationVerifies(t *testing.T) {
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}})
	b := bindingOf("tools/call", "t", "{}")
	st, err := s.seal(b, nil, map[string]string{"v": "1"})
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
	for i := 0; i < len(st); i++ {
		for _, c := range []byte{alphabet[(strings.IndexByte(alphabet, st[i])+1)%len(alphabet)], 'A' ^ st[i]&1, 0} {
			if c == st[i] {
				continue
			}
			m := []byte(st)
			m[i] = c
			if _, err := s.open(string(m), b); err == nil {
				t.Fatalf("state mutated at %d (%q -> %q) verifies", i, st[i], c)
			}
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(st, statePrefix))
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for _, bit := range []byte{1, 0x80} {
			m := bytes.Clone(raw)
			m[i] ^= bit
			if _, err := s.open(statePrefix+base64.RawURLEncoding.EncodeToString(m), b); err == nil {
				t.Fatalf("state with byte %d flipped verifies", i)
			}
		}
	}
	for _, bad := range []string{"", "s1.", "s1.!!!", st + "-TAMPERED", st[:len(st)-1], "s2." + st[3:], st + "A"} {
		if _, err := s.open(bad, b); err == nil {
			t.Errorf("%q verifies", bad)
		}
	}
}

func TestStateBinding(t *testing.T) {
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}})
	b := bindingOf("tools/call", "t", `{"a":1}`)
	st, _ := s.seal(b, nil, nil)
	for name, other := range map[string]binding{
		"other tool":      bindingOf("tools/call", "u", `{"a":1}`),
		"other arguments": bindingOf("tools/call", "t", `{"a":2}`),
		"other method":    bindingOf("prompts/get", "t", `{"a":1}`),
		"split ambiguity": bindingOf("tools/call", "t{", `"a":1}`),
	} {
		if _, err := s.open(st, other); !errors.Is(err, errStateMismatch) {
			t.Errorf("%s: %v, want a mismatch", name, err)
		}
	}
}

func TestStateExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}, StateTTL: time.Minute, Now: func() time.Time { return now }})
	b := bindingOf("tools/call", "t", "{}")
	st, _ := s.seal(b, nil, nil)
	now = now.Add(59 * time.Second)
	if _, err := s.open(st, b); err != nil {
		t.Errorf("before expiry: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := s.open(st, b); !errors.Is(err, errStateExpired) {
		t.Errorf("at expiry: %v", err)
	}
}

// TestStateSharedKeys: any instance given the same keys accepts another's
// state; rotation keeps old state valid while the old key is listed.
func TestStateSharedKeys(t *testing.T) {
	oldKey, newKey := testKey, bytes.Repeat([]byte{7}, 32)
	a := newTestServer(t, Config{StateKeys: [][]byte{oldKey}})
	b := newTestServer(t, Config{StateKeys: [][]byte{oldKey}})
	rotated := newTestServer(t, Config{StateKeys: [][]byte{newKey, oldKey}})
	retired := newTestServer(t, Config{StateKeys: [][]byte{newKey}})
	stranger := newTestServer(t, Config{})
	bind := bindingOf("tools/call", "t", "{}")
	st, _ := a.seal(bind, nil, nil)
	if _, err := b.open(st, bind); err != nil {
		t.Errorf("same keys: %v", err)
	}
	if _, err := rotated.open(st, bind); err != nil {
		t.Errorf("rotated ring with the old key: %v", err)
	}
	if _, err := retired.open(st, bind); err == nil {
		t.Error("a ring without the sealing key opened the state")
	}
	if _, err := stranger.open(st, bind); err == nil {
		t.Error("a server with a random key opened the state")
	}
	st2, _ := rotated.seal(bind, nil, nil)
	if _, err := retired.open(st2, bind); err != nil {
		t.Errorf("new key seals: %v", err)
	}
	if _, err := a.open(st2, bind); err == nil {
		t.Error("a ring without the new key opened its state")
	}
	// The same over the wire: a flow started on one instance ends on another.
	ha := newHarness(t, Config{StateKeys: [][]byte{oldKey}})
	hb := newHarness(t, Config{StateKeys: [][]byte{newKey, oldKey}})
	call := func(h *harness, extra map[string]any) *resp {
		p := map[string]any{"name": "test_input_required_result_multi_round", "arguments": map[string]any{}}
		for k, v := range extra {
			p[k] = v
		}
		return h.do(rpc{Method: "tools/call", Params: p})
	}
	r1 := call(ha, nil)
	r2 := call(hb, map[string]any{"requestState": get(r1.result(), "requestState"), "inputResponses": map[string]any{"step1": map[string]any{"action": "accept", "content": map[string]any{"name": "Ada"}}}})
	r3 := call(ha, map[string]any{"requestState": get(r2.result(), "requestState"), "inputResponses": map[string]any{"step2": map[string]any{"action": "accept", "content": map[string]any{"color": "green"}}}})
	if r3.errCode() == 0 && get(r3.result(), "resultType") == "complete" {
		t.Error("instance a accepted state sealed with a key it does not have")
	}
	r3 = call(hb, map[string]any{"requestState": get(r2.result(), "requestState"), "inputResponses": map[string]any{"step2": map[string]any{"action": "accept", "content": map[string]any{"color": "green"}}}})
	if !strings.Contains(string(r3.body), "Multi-round complete for Ada who likes green") {
		t.Errorf("cross-instance flow: %s", r3.body)
	}
}

func TestKeyConfig(t *testing.T) {
	if _, err := New(Config{StateKeys: [][]byte{make([]byte, 31)}}); err == nil {
		t.Error("a 31-byte key was accepted")
	}
	if _, err := New(Config{StateKeys: [][]byte{testKey, testKey}}); err == nil {
		t.Error("a repeated key was accepted")
	}
}

func TestCursors(t *testing.T) {
	h := newHarness(t, Config{PageSize: 3, StateKeys: [][]byte{testKey}})
	var names []string
	var cursor any
	pages := 0
	for {
		p := map[string]any{}
		if cursor != nil {
			p["cursor"] = cursor
		}
		r := h.do(rpc{Method: "tools/list", Params: p})
		res := r.result()
		if res == nil {
			t.Fatalf("page %d: %s", pages, r.body)
		}
		if res["cacheScope"] != "public" || res["ttlMs"] == nil {
			t.Errorf("page %d caching hints: %v %v", pages, res["cacheScope"], res["ttlMs"])
		}
		for _, tl := range res["tools"].([]any) {
			names = append(names, get(tl, "name").(string))
		}
		pages++
		cursor = res["nextCursor"]
		if cursor == nil {
			break
		}
	}
	s := h.s
	if len(names) != len(s.reg.tools) || pages != (len(s.reg.tools)+2)/3 {
		t.Errorf("%d tools in %d pages; want %d", len(names), pages, len(s.reg.tools))
	}
	first := h.do(rpc{Method: "tools/list"}).result()
	c := first["nextCursor"].(string)
	// Every single-character change of a cursor is rejected.
	for i := range c {
		m := []byte(c)
		m[i] ^= 1
		r := h.do(rpc{Method: "tools/list", Params: map[string]any{"cursor": string(m)}})
		if r.errCode() != wire.CodeInvalidParams {
			t.Fatalf("cursor changed at %d: %s", i, r.body)
		}
	}
	for _, bad := range []any{"", "c1.", "garbage"} {
		if r := h.do(rpc{Method: "tools/list", Params: map[string]any{"cursor": bad}}); r.errCode() != wire.CodeInvalidParams {
			t.Errorf("cursor %q: %s", bad, r.body)
		}
	}
	// A tools cursor is no prompts cursor.
	if r := h.do(rpc{Method: "prompts/list", Params: map[string]any{"cursor": c}}); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("tools cursor on prompts/list: %s", r.body)
	}
	// Another instance with the same keys and another page size continues
	// the listing.
	other := newHarness(t, Config{PageSize: 5, StateKeys: [][]byte{testKey}})
	r := other.do(rpc{Method: "tools/list", Params: map[string]any{"cursor": c}})
	if tools, _ := get(r.result(), "tools").([]any); len(tools) != 5 || get(tools[0], "name") != names[3] {
		t.Errorf("cursor on another instance: %s", r.body)
	}
}
