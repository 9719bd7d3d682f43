package impl

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
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

// TestStatePrincipal: a state opens only for the principal it was issued
// to.
func TestStatePrincipal(t *testing.T) {
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}})
	b := bindingOf("tools/call", "t", "{}")
	st, err := s.seal(b.forPrincipal("alice"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.open(st, b.forPrincipal("alice")); err != nil {
		t.Errorf("alice: %v", err)
	}
	for _, other := range []string{"bob", "", "Alice", "alice ", "alice\x00"} {
		if _, err := s.open(st, b.forPrincipal(other)); !errors.Is(err, errStateMismatch) {
			t.Errorf("state of alice presented as %q: %v, want a mismatch", other, err)
		}
	}
	// Anonymous state is not any named principal's.
	anon, _ := s.seal(b, nil, nil)
	if _, err := s.open(anon, b.forPrincipal("alice")); !errors.Is(err, errStateMismatch) {
		t.Errorf("anonymous state as alice: %v", err)
	}

	// Over the wire: bob cannot finish alice's request with her state.
	h := newHarness(t, Config{Tokens: testTokens})
	const tool = "test_input_required_result_request_state"
	r1 := callAs(h, tokAlice, tool, nil, nil)
	state := get(r1.result(), "requestState")
	retry := map[string]any{"requestState": state, "inputResponses": map[string]any{"confirm": accept(map[string]any{"ok": true})}}
	r := callAs(h, tokBob, tool, nil, retry)
	if r.errCode() != wire.CodeInvalidParams || get(r.msg, "error", "data", "reason") != "mismatch" {
		t.Errorf("bob with alice's state: %s", r.body)
	}
	// Another token of the same principal is the same principal.
	if r := callAs(h, "tok-alice-rotated", tool, nil, retry); !strings.Contains(string(r.body), "state-ok") {
		t.Errorf("alice with another token: %s", r.body)
	}
}

// sealedForTest returns a state sealed for b with some data.
func sealedForTest(t *testing.T, s *Server, b binding) string {
	t.Helper()
	st, err := s.seal(b, []string{"confirm"}, map[string]string{"kind": "x"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStateEveryBitOfText flips every bit of every character of the
// state's text, and every bit of every byte of its decoded form, and
// replaces every character with every other printable ASCII character:
// nothing opens.
func TestStateEveryBitOfText(t *testing.T) {
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}})
	b := bindingOf("tools/call", "t", "{}")
	st := sealedForTest(t, s, b)
	tried := 0
	for i := 0; i < len(st); i++ {
		for bit := 0; bit < 8; bit++ {
			m := []byte(st)
			m[i] ^= 1 << bit
			tried++
			if _, err := s.open(string(m), b); err == nil {
				t.Fatalf("bit %d of character %d flipped (%q -> %q) opens", bit, i, st[i], m[i])
			}
		}
		for c := byte(0x20); c < 0x7f; c++ {
			if c == st[i] {
				continue
			}
			m := []byte(st)
			m[i] = c
			tried++
			if _, err := s.open(string(m), b); err == nil {
				t.Fatalf("character %d replaced (%q -> %q) opens", i, st[i], c)
			}
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(st, statePrefix))
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for bit := 0; bit < 8; bit++ {
			m := bytes.Clone(raw)
			m[i] ^= 1 << bit
			tried++
			if _, err := s.open(statePrefix+base64.RawURLEncoding.EncodeToString(m), b); err == nil {
				t.Fatalf("bit %d of byte %d flipped opens", bit, i)
			}
		}
	}
	if _, err := s.open(st, b); err != nil {
		t.Fatalf("the original does not open: %v", err)
	}
	t.Logf("%d mutations of a %d-character state, none opens", tried, len(st))
}

// TestStateEncodingVariants: only the exact text the server issued opens;
// every other spelling of the same bytes is rejected (padding, the
// standard alphabet, case, whitespace, prefix), and so is every
// truncation and extension.
func TestStateEncodingVariants(t *testing.T) {
	s := newTestServer(t, Config{StateKeys: [][]byte{testKey}})
	b := bindingOf("tools/call", "t", "{}")
	// A state whose text has both URL-safe-only characters, so the
	// standard-alphabet spelling differs.
	var st string
	for range 1000 {
		st = sealedForTest(t, s, b)
		if strings.ContainsAny(st[len(statePrefix):], "-") && strings.ContainsAny(st[len(statePrefix):], "_") {
			break
		}
	}
	enc := st[len(statePrefix):]
	raw, _ := base64.RawURLEncoding.DecodeString(enc)
	variants := map[string]string{
		"padded (URL alphabet)":       statePrefix + base64.URLEncoding.EncodeToString(raw),
		"standard alphabet":           statePrefix + base64.RawStdEncoding.EncodeToString(raw),
		"standard alphabet, padded":   statePrefix + base64.StdEncoding.EncodeToString(raw),
		"one '=' added":               st + "=",
		"two '=' added":               st + "==",
		"upper case":                  strings.ToUpper(st),
		"lower case":                  strings.ToLower(st),
		"prefix upper case":           "S1." + enc,
		"no prefix":                   enc,
		"prefix twice":                statePrefix + st,
		"other version":               "s2." + enc,
		"leading space":               " " + st,
		"trailing space":              st + " ",
		"trailing newline":            st + "\n",
		"line break inside":           st[:20] + "\n" + st[20:],
		"percent-encoded":             strings.NewReplacer("-", "%2D", "_", "%5F").Replace(st),
		"URL-unsafe chars translated": statePrefix + strings.NewReplacer("-", "+", "_", "/").Replace(enc),
	}
	for i := 0; i < len(st); i++ {
		c := st[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			variants[fmt.Sprintf("case of character %d swapped", i)] = st[:i] + string(c^0x20) + st[i+1:]
		}
	}
	for n := 0; n < len(st); n++ {
		variants[fmt.Sprintf("truncated to %d", n)] = st[:n]
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=."
	for _, c := range alphabet {
		variants[fmt.Sprintf("extended with %q", c)] = st + string(c)
		variants[fmt.Sprintf("extended with %q twice", c)] = st + string(c) + string(c)
	}
	variants["extended with 4 characters (3 bytes)"] = st + "AAAA"
	variants["doubled"] = st + enc
	for name, v := range variants {
		if v == st {
			continue
		}
		if _, err := s.open(v, b); err == nil {
			t.Errorf("%s opens: %q", name, v)
		}
	}
	// The non-canonical last character: same bytes under a lenient
	// decoder, rejected under the strict one.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", st[len(st)-1])
	for d := 1; d < 4; d++ {
		alt := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[(last&^3)|((last+d)&3)]
		v := st[:len(st)-1] + string(alt)
		if v != st {
			if _, err := s.open(v, b); err == nil {
				t.Errorf("non-canonical last character %q opens", alt)
			}
		}
	}
	if _, err := s.open(st, b); err != nil {
		t.Fatalf("the original does not open: %v", err)
	}
	if _, err := s.open(strings.Repeat("A", maxStateLen+1), b); !errors.Is(err, errStateMalformed) {
		t.Errorf("an oversized state: %v", err)
	}
}

// TestStateCodecAPI: the exported codec round-trips every field, is the
// server's own format, and two codecs with the same keys open each
// other's states.
func TestStateCodecAPI(t *testing.T) {
	clk := newTestClock()
	mk := func(keys ...[]byte) *StateCodec {
		c, err := NewStateCodec(StateCodecConfig{Keys: keys, TTL: time.Minute, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := mk(testKey), mk(testKey)
	bind := StateBinding{Principal: "alice", Method: "tools/call", Params: []string{"transfer", `{"amount":5,"to":"bob"}`}}
	in := StateContents{Asked: []string{"confirm", "other"}, Data: []byte{0, 1, 2, 0xff}}
	st, err := a.Seal(bind, in)
	if err != nil {
		t.Fatal(err)
	}
	out, exp, err := b.Open(st, bind)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Asked, in.Asked) || !bytes.Equal(out.Data, in.Data) || !exp.Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("round trip: %+v %v", out, exp)
	}
	for name, other := range map[string]StateBinding{
		"principal": {Principal: "bob", Method: bind.Method, Params: bind.Params},
		"method":    {Principal: "alice", Method: "prompts/get", Params: bind.Params},
		"params":    {Principal: "alice", Method: bind.Method, Params: []string{"transfer", `{"amount":50,"to":"bob"}`}},
		"split":     {Principal: "alice", Method: bind.Method, Params: []string{"transfer" + `{"amount":5,"to":"bob"}`}},
	} {
		if _, _, err := b.Open(st, other); err == nil {
			t.Errorf("another %s opens", name)
		}
	}
	// The server opens the codec's states for the same binding.
	srv := newTestServer(t, Config{StateKeys: [][]byte{testKey}, Now: clk.Now})
	if _, err := srv.open(st, bind.binding()); err != nil {
		t.Errorf("server: %v", err)
	}
	clk.Advance(time.Minute)
	if _, _, err := b.Open(st, bind); err == nil {
		t.Error("expired state opens")
	}
	// A deterministic nonce source makes sealing deterministic (tests).
	d1, _ := NewStateCodec(StateCodecConfig{Keys: [][]byte{testKey}, Now: clk.Now, Rand: bytes.NewReader(make([]byte, 64))})
	d2, _ := NewStateCodec(StateCodecConfig{Keys: [][]byte{testKey}, Now: clk.Now, Rand: bytes.NewReader(make([]byte, 64))})
	s1, _ := d1.Seal(bind, in)
	s2, _ := d2.Seal(bind, in)
	if s1 != s2 {
		t.Error("the same nonce source sealed differently")
	}
	for name, cfg := range map[string]StateCodecConfig{"no key": {}, "short key": {Keys: [][]byte{make([]byte, 31)}}, "negative TTL": {Keys: [][]byte{testKey}, TTL: -1}} {
		if _, err := NewStateCodec(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestInstancesShareStateAndCursors: two servers behind two listeners with
// the same keys accept each other's requestState and cursors; after a
// rotation (new key first, old second) old states still open and new ones
// are sealed with the new key; a server with only the new key rejects old
// states.
func TestInstancesShareStateAndCursors(t *testing.T) {
	oldKey, newKey := testKey, bytes.Repeat([]byte{9}, 32)
	a := newHarness(t, Config{StateKeys: [][]byte{oldKey}, PageSize: 4})
	b := newHarness(t, Config{StateKeys: [][]byte{oldKey}, PageSize: 4})
	rotated := newHarness(t, Config{StateKeys: [][]byte{newKey, oldKey}, PageSize: 4})
	retired := newHarness(t, Config{StateKeys: [][]byte{newKey}, PageSize: 4})
	const tool = "test_input_required_result_request_state"
	confirm := map[string]any{"confirm": accept(map[string]any{"ok": true})}
	start := func(h *harness) string {
		st, _ := get(callTool(h, tool, nil).result(), "requestState").(string)
		if st == "" {
			t.Fatal("no requestState")
		}
		return st
	}
	finish := func(h *harness, st string) *resp {
		return callTool(h, tool, map[string]any{"requestState": st, "inputResponses": confirm})
	}
	ok := func(r *resp) bool { return strings.Contains(string(r.body), "state-ok") }
	keyIDOf := func(st string) []byte {
		raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(st, statePrefix))
		return raw[:keyIDLen]
	}
	oldID, newID := mustKey(t, oldKey).id, mustKey(t, newKey).id

	stA := start(a)
	if !ok(finish(b, stA)) || !ok(finish(a, start(b))) {
		t.Error("instances with the same keys do not accept each other's state")
	}
	if !ok(finish(rotated, stA)) {
		t.Error("after rotation, a state of the old key does not open")
	}
	if r := finish(retired, stA); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("a server without the old key accepted its state: %s", r.body)
	}
	stR := start(rotated)
	if !bytes.Equal(keyIDOf(stR), newID[:]) || !bytes.Equal(keyIDOf(stA), oldID[:]) {
		t.Errorf("key IDs: rotated sealed with %x, a with %x", keyIDOf(stR), keyIDOf(stA))
	}
	if !ok(finish(retired, stR)) {
		t.Error("a state of the new key does not open on a server with only the new key")
	}
	if r := finish(a, stR); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("a server without the new key accepted its state: %s", r.body)
	}

	// Cursors: a listing started on a continues on b and on the rotated
	// server, not on the retired one.
	first := a.do(rpc{Method: "tools/list"}).result()
	c, _ := first["nextCursor"].(string)
	if c == "" {
		t.Fatal("no second page")
	}
	next := func(h *harness) *resp { return h.do(rpc{Method: "tools/list", Params: map[string]any{"cursor": c}}) }
	want := get(get(b.do(rpc{Method: "tools/list", Params: map[string]any{"cursor": c}}).result(), "tools").([]any)[0], "name")
	for name, h := range map[string]*harness{"b": b, "rotated": rotated} {
		tools, _ := get(next(h).result(), "tools").([]any)
		if len(tools) == 0 || get(tools[0], "name") != want {
			t.Errorf("cursor of a on %s: %v", name, tools)
		}
	}
	if r := next(retired); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("cursor of the old key on the retired server: %s", r.body)
	}
	// Other spellings of the same cursor bytes are not the cursor.
	for _, v := range []string{c[:10] + "\n" + c[10:], c + "\r\n", c + "=", strings.NewReplacer("-", "+", "_", "/").Replace(c) + "x"} {
		if r := b.do(rpc{Method: "tools/list", Params: map[string]any{"cursor": v}}); r.errCode() != wire.CodeInvalidParams {
			t.Errorf("cursor %q: %s", v, r.body)
		}
	}
}

func mustKey(t *testing.T, secret []byte) *stateKey {
	t.Helper()
	k, err := deriveKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
