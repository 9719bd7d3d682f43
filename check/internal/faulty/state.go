package faulty

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants that break the rules of requestState and state handles, for the
// checks state/*. Each has one defect:
//
//   - state-unsealed: requestState is plain Base64url JSON (the request it
//     answers, the principal, the expiry, the handler's data) that the
//     server checks field by field and trusts, with no MAC: edited data
//     is acted on;
//   - state-prefix-mac: the tag of a sealed state is compared on its first
//     half only: a state whose last bytes are altered is accepted;
//   - state-unbound-request: a sealed state issued to the caller for one
//     request is accepted on any other request (another tool, prompt or
//     resource, or other arguments);
//   - state-unbound-principal: a sealed state issued for a request is
//     accepted on the same request from any principal;
//   - state-no-expiry: states live for a century;
//   - handles-sequential: carts are named cart_1, cart_2, ...;
//   - handles-unbound: any authenticated principal can use any cart;
//   - single-use-replay: the transfer confirmation can be redeemed again
//     (the ledger records nothing).
//
// They run with two principals (StateAliceToken, StateBobToken) and are
// not in All, whose self-test sends no credentials: StateVariants lists
// them for the state checks' own test.

// The bearer tokens of the state variants' two principals.
const (
	StateAliceToken = "mcpverify-faulty-alice"
	StateBobToken   = "mcpverify-faulty-bob"
)

// stateKey is the state key of the state variants, so that a variant can
// seal and open what the server does.
var stateKey = []byte("mcpverify faulty state variants key, 32+ bytes")

var stateTokens = map[string]string{StateAliceToken: "alice", StateBobToken: "bob"}

// StateVariant is a variant of the state checks, and what the checker
// must be told to catch it.
type StateVariant struct {
	Variant
	// StateTTLMax is the state lifetime to give the checker
	// (--state-ttl-max); 0: none.
	StateTTLMax time.Duration
}

// StateConfig is the reference server's configuration behind the state
// variants (and the configuration the test's reference server uses): the
// two principals' tokens, the state key, and a short state lifetime.
func StateConfig() impl.Config {
	return impl.Config{Tokens: stateTokens, StateKeys: [][]byte{stateKey}, StateTTL: 2 * time.Second}
}

// StateTTLMax is the lifetime the tests give the checker for
// StateConfig's servers.
const StateTTLMax = 3 * time.Second

// StateVariants returns the variants of the state checks, sorted by name.
func StateVariants() []*StateVariant {
	cfg := func(edit func(*impl.Config)) *impl.Config {
		c := StateConfig()
		if edit != nil {
			edit(&c)
		}
		return &c
	}
	vs := []*StateVariant{
		{Variant: Variant{
			Name:   "state-unsealed",
			Defect: "requestState is plain Base64url JSON, checked field by field and trusted without a MAC",
			Breaks: []spec.ID{spec.StateIntegrity, spec.StateUntrusted},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapUnsealed,
		}},
		{Variant: Variant{
			Name:   "state-prefix-mac",
			Defect: "the tag of a sealed requestState is compared on its first half only",
			Breaks: []spec.ID{spec.StateIntegrity},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapPrefixMAC,
		}},
		{Variant: Variant{
			Name:   "state-unbound-request",
			Defect: "a requestState issued to the caller is accepted on any request (another tool, prompt or resource, other arguments)",
			Breaks: []spec.ID{spec.StateBindRequest, spec.StateBindArgs},
			Only:   []string{"state/binding"},
			Config: cfg(nil),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return wrapRebind(next, false) },
		}},
		{Variant: Variant{
			Name:   "state-unbound-principal",
			Defect: "a requestState issued for a request is accepted on that request from any principal",
			Breaks: []spec.ID{spec.StateBindPrincipal},
			Only:   []string{"state/binding"},
			Config: cfg(nil),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return wrapRebind(next, true) },
		}},
		{Variant: Variant{
			Name:   "state-no-expiry",
			Defect: "requestState lives for a century",
			Breaks: []spec.ID{spec.StateBindExpiry},
			Only:   []string{"state/expiry"},
			Config: cfg(func(c *impl.Config) { c.StateTTL = 100 * 365 * 24 * time.Hour }),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return next },
		}, StateTTLMax: StateTTLMax},
		{Variant: Variant{
			Name:   "handles-sequential",
			Defect: "cart handles are cart_1, cart_2, ... (still bound to their owner)",
			Breaks: []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapSequentialCarts,
		}},
		{Variant: Variant{
			Name:   "handles-unbound",
			Defect: "any authenticated principal can use any cart",
			Breaks: []spec.ID{spec.StateHandlePrincipal},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapUnboundCarts,
		}},
		{Variant: Variant{
			Name:   "single-use-replay",
			Defect: "a transfer confirmation can be redeemed again: the ledger records nothing",
			Breaks: []spec.ID{spec.StateSingleUse},
			Only:   []string{"state/single-use"},
			Config: cfg(func(c *impl.Config) { c.Ledger = forgetfulLedger{} }),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return next },
		}},
	}
	return vs
}

// forgetfulLedger redeems every key every time.
type forgetfulLedger struct{}

func (forgetfulLedger) Redeem(context.Context, string, time.Duration) (bool, error) { return true, nil }

// stateCodec is the codec of StateConfig's servers.
func stateCodec(ttl time.Duration) *impl.StateCodec {
	c, err := impl.NewStateCodec(impl.StateCodecConfig{Keys: [][]byte{stateKey}, TTL: ttl})
	if err != nil {
		panic("faulty: state codec: " + err.Error())
	}
	return c
}

// principalOf returns the principal of a request's bearer token ("" when
// none is listed).
func principalOf(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return stateTokens[tok]
}

// canonicalArgs is the RFC 8785 form of an arguments value, {} when absent:
// what the server digests.
func canonicalArgs(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	val := wire.Value(b)
	if val.Canonicalize() != nil {
		return string(b)
	}
	return string(val)
}

// bindingOf returns the binding the server gives a request's state.
func bindingOf(q *rpcCall, principal string) (impl.StateBinding, bool) {
	b := impl.StateBinding{Principal: principal, Method: q.Method}
	switch q.Method {
	case "tools/call", "prompts/get":
		name, ok := q.Params["name"].(string)
		if !ok {
			return b, false
		}
		b.Params = []string{name, canonicalArgs(q.Params["arguments"])}
	case "resources/read":
		uri, ok := q.Params["uri"].(string)
		if !ok {
			return b, false
		}
		b.Params = []string{uri}
	default:
		return b, false
	}
	return b, true
}

// stateOfResult returns the requestState of an InputRequiredResult.
func stateOfResult(m map[string]any) (map[string]any, string, bool) {
	r := resultOf(m)
	if r == nil || r["resultType"] != "input_required" {
		return nil, "", false
	}
	s, ok := r["requestState"].(string)
	return r, s, ok
}

// perRequest builds the rewriting handler for each request, so that the
// edits can see its headers.
func perRequest(next http.Handler, edits func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		editReq, edit := edits(r)
		rewriteMessages(next, editReq, edit).ServeHTTP(w, r)
	})
}

// plainState is the unsealed state of state-unsealed.
type plainState struct {
	Method    string          `json:"method"`
	Name      string          `json:"name"`
	Principal string          `json:"principal"`
	Args      json.RawMessage `json:"args"`
	Expiry    int64           `json:"exp"`
	Asked     []string        `json:"asked"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// wrapUnsealed turns every sealed state into plain JSON on the way out, and
// back (sealed for the request it arrives on, when its fields match that
// request, its principal and the clock) on the way in.
func wrapUnsealed(next http.Handler, _ *impl.Server) http.Handler {
	codec := stateCodec(StateConfig().StateTTL)
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		principal := principalOf(r)
		editReq := func(q *rpcCall) bool {
			s, ok := q.Params["requestState"].(string)
			b, bound := bindingOf(q, principal)
			if !ok || !bound {
				return false
			}
			raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
			if err != nil || base64.RawURLEncoding.EncodeToString(raw) != s {
				return false
			}
			var p plainState
			if json.Unmarshal(raw, &p) != nil {
				return false
			}
			if p.Method != b.Method || p.Name != b.Params[0] || p.Principal != principal || time.Now().UnixMilli() >= p.Expiry ||
				(len(b.Params) > 1 && canonicalArgs(p.Args) != b.Params[1]) {
				return false
			}
			sealed, err := codec.Seal(b, impl.StateContents{Asked: p.Asked, Data: p.Data})
			if err != nil {
				return false
			}
			q.Params["requestState"] = sealed
			return true
		}
		edit := func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			res, s, ok := stateOfResult(m)
			b, bound := bindingOf(q, principal)
			if !ok || !bound {
				return one(m)
			}
			c, exp, err := codec.Open(s, b)
			if err != nil {
				return one(m)
			}
			p := plainState{Method: b.Method, Name: b.Params[0], Principal: principal, Expiry: exp.UnixMilli(), Asked: c.Asked, Data: c.Data}
			if a, ok := q.Params["arguments"]; ok {
				p.Args, _ = json.Marshal(a)
			} else if q.Method == "resources/read" {
				p.Args = json.RawMessage(`{}`)
			}
			if raw, err := json.Marshal(p); err == nil {
				res["requestState"] = base64.RawURLEncoding.EncodeToString(raw)
			}
			return one(m)
		}
		return editReq, edit
	})
}

// issued remembers the states a variant saw the server issue (bounded).
type issued struct {
	mu    sync.Mutex
	by    map[string]issuedState
	order []string
}

type issuedState struct {
	state   string
	binding impl.StateBinding
}

func (is *issued) add(key string, s issuedState) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.by == nil {
		is.by = map[string]issuedState{}
	}
	if _, ok := is.by[key]; !ok {
		is.order = append(is.order, key)
	}
	is.by[key] = s
	for len(is.order) > 4096 {
		delete(is.by, is.order[0])
		is.order = is.order[1:]
	}
}

func (is *issued) get(key string) (issuedState, bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	s, ok := is.by[key]
	return s, ok
}

// sealedBytes decodes a sealed state's bytes ("s1." and canonical
// base64url).
func sealedBytes(s string) ([]byte, bool) {
	enc, ok := strings.CutPrefix(s, "s1.")
	if !ok {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != enc {
		return nil, false
	}
	return b, true
}

// prefixTag is how many bytes at the end of a sealed state the broken
// comparison ignores: the second half of the 16-byte tag.
const prefixTag = 8

// wrapPrefixMAC accepts a state that matches an issued one in all but its
// last prefixTag bytes: as if only the first half of the tag were compared.
func wrapPrefixMAC(next http.Handler, _ *impl.Server) http.Handler {
	seen := &issued{}
	key := func(b []byte) string { return fmt.Sprintf("%d:%x", len(b), b[:len(b)-prefixTag]) }
	return rewriteMessages(next, func(q *rpcCall) bool {
		s, ok := q.Params["requestState"].(string)
		if !ok {
			return false
		}
		b, ok := sealedBytes(s)
		if !ok || len(b) <= prefixTag {
			return false
		}
		if is, ok := seen.get(key(b)); ok && is.state != s {
			q.Params["requestState"] = is.state
			return true
		}
		return false
	}, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
		if _, s, ok := stateOfResult(m); ok {
			if b, ok := sealedBytes(s); ok && len(b) > prefixTag {
				seen.add(key(b), issuedState{state: s})
			}
		}
		return one(m)
	})
}

// wrapRebind accepts an issued state on another request of the same
// principal (principal false), or on the same request of another
// principal (principal true), by sealing its contents again for the
// request it arrives on.
func wrapRebind(next http.Handler, principal bool) http.Handler {
	codec := stateCodec(StateConfig().StateTTL)
	seen := &issued{}
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		who := principalOf(r)
		editReq := func(q *rpcCall) bool {
			s, ok := q.Params["requestState"].(string)
			b, bound := bindingOf(q, who)
			if !ok || !bound {
				return false
			}
			if _, _, err := codec.Open(s, b); err == nil {
				return false
			}
			is, ok := seen.get(s)
			if !ok {
				return false
			}
			sameRequest := is.binding.Method == b.Method && strings.Join(is.binding.Params, "\x00") == strings.Join(b.Params, "\x00")
			samePrincipal := is.binding.Principal == b.Principal
			if principal && !(sameRequest && !samePrincipal) || !principal && !(samePrincipal && !sameRequest) {
				return false
			}
			c, _, err := codec.Open(s, is.binding)
			if err != nil {
				return false
			}
			sealed, err := codec.Seal(b, c)
			if err != nil {
				return false
			}
			q.Params["requestState"] = sealed
			return true
		}
		edit := func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if _, s, ok := stateOfResult(m); ok {
				if b, bound := bindingOf(q, who); bound {
					seen.add(s, issuedState{state: s, binding: b})
				}
			}
			return one(m)
		}
		return editReq, edit
	})
}

// cartTools are the tools that take a cart_id.
var cartTools = map[string]bool{"cart_add": true, "cart_view": true, "cart_delete": true}

var cartHandle = regexp.MustCompile(`cart_[A-Za-z0-9_-]{22}`)

// wrapSequentialCarts renames every cart the server mints cart_N (N
// counting from 1) in what the client sees, and back in what it sends.
func wrapSequentialCarts(next http.Handler, _ *impl.Server) http.Handler {
	var mu sync.Mutex
	toSeq, toReal := map[string]string{}, map[string]string{}
	n := 0
	rename := func(v any) any {
		b, err := json.Marshal(v)
		if err != nil {
			return v
		}
		mu.Lock()
		out := cartHandle.ReplaceAllStringFunc(string(b), func(h string) string {
			if s, ok := toSeq[h]; ok {
				return s
			}
			return h
		})
		mu.Unlock()
		var w any
		if decodeJSON([]byte(out), &w) != nil {
			return v
		}
		return w
	}
	return rewriteMessages(next, func(q *rpcCall) bool {
		name, _ := q.Params["name"].(string)
		args, _ := q.Params["arguments"].(map[string]any)
		h, _ := args["cart_id"].(string)
		if q.Method != "tools/call" || !cartTools[name] || h == "" {
			return false
		}
		mu.Lock()
		real, ok := toReal[h]
		mu.Unlock()
		if ok {
			args["cart_id"] = real
		}
		return ok
	}, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
		r := resultOf(m)
		if r == nil || q.Method != "tools/call" {
			return one(m)
		}
		if name, _ := q.Params["name"].(string); name == "cart_create" {
			if sc, ok := r["structuredContent"].(map[string]any); ok {
				if h, ok := sc["cart_id"].(string); ok {
					mu.Lock()
					n++
					seq := fmt.Sprintf("cart_%d", n)
					toSeq[h], toReal[seq] = seq, h
					mu.Unlock()
				}
			}
		}
		for _, k := range []string{"structuredContent", "content"} {
			if v, ok := r[k]; ok {
				r[k] = rename(v)
			}
		}
		return one(m)
	})
}

// wrapUnboundCarts serves a call naming a cart as the cart's owner, for
// any caller with a valid token: the server looks carts up by handle
// alone.
func wrapUnboundCarts(next http.Handler, _ *impl.Server) http.Handler {
	var mu sync.Mutex
	owner := map[string]string{} // handle → Authorization of its creator
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		auth := r.Header.Get("Authorization")
		editReq := func(q *rpcCall) bool {
			name, _ := q.Params["name"].(string)
			args, _ := q.Params["arguments"].(map[string]any)
			h, _ := args["cart_id"].(string)
			if q.Method != "tools/call" || !cartTools[name] || principalOf(r) == "" {
				return false
			}
			mu.Lock()
			o, ok := owner[h]
			mu.Unlock()
			if ok {
				r.Header.Set("Authorization", o)
			}
			return false
		}
		edit := func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			r := resultOf(m)
			if name, _ := q.Params["name"].(string); r != nil && q.Method == "tools/call" && name == "cart_create" {
				if sc, ok := r["structuredContent"].(map[string]any); ok {
					if h, ok := sc["cart_id"].(string); ok {
						mu.Lock()
						owner[h] = auth
						mu.Unlock()
					}
				}
			}
			return one(m)
		}
		return editReq, edit
	})
}
