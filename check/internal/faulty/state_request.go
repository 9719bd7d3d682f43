package faulty

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/impl"
)

// The state variants of requestState (see state.go).

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
			raw, ok := canonicalBase64URL(s)
			if !ok {
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
	return canonicalBase64URL(enc)
}

// canonicalBase64URL decodes s if it is unpadded base64url in its one
// canonical spelling.
func canonicalBase64URL(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != s {
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

// wrapStateSwap records every state the server issues, under
// keyOf(state, binding of the request it answers); on a request whose
// requestState does not open for it, the state issued under
// keyOf(requestState, binding of this request), if any, is given to swap,
// which may name a state to present to the server instead.
func wrapStateSwap(next http.Handler, keyOf func(state string, b impl.StateBinding) string, swap func(is issuedState, b impl.StateBinding) (string, bool)) http.Handler {
	codec := stateCodec(StateConfig().StateTTL)
	seen := &issued{}
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		who := principalOf(r)
		editReq := func(q *rpcCall) bool {
			s, ok := q.Params["requestState"].(string)
			b, bound := bindingOf(q, who)
			if !ok || s == "" || !bound {
				return false
			}
			if _, _, err := codec.Open(s, b); err == nil {
				return false
			}
			is, ok := seen.get(keyOf(s, b))
			if !ok {
				return false
			}
			swapped, ok := swap(is, b)
			if !ok {
				return false
			}
			q.Params["requestState"] = swapped
			return true
		}
		edit := func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if _, s, ok := stateOfResult(m); ok {
				if b, bound := bindingOf(q, who); bound {
					seen.add(keyOf(s, b), issuedState{state: s, binding: b})
				}
			}
			return one(m)
		}
		return editReq, edit
	})
}

// requestKey names a binding: the principal and the request.
func requestKey(b impl.StateBinding) string {
	return strings.Join(append([]string{b.Principal, b.Method}, b.Params...), "\x00")
}

// wrapRebind accepts an issued state on another request of the same
// principal (principal false), or on the same request of another
// principal (principal true), by sealing its contents again for the
// request it arrives on.
func wrapRebind(next http.Handler, principal bool) http.Handler {
	codec := stateCodec(StateConfig().StateTTL)
	byState := func(s string, _ impl.StateBinding) string { return s }
	return wrapStateSwap(next, byState, func(is issuedState, b impl.StateBinding) (string, bool) {
		sameRequest := is.binding.Method == b.Method && strings.Join(is.binding.Params, "\x00") == strings.Join(b.Params, "\x00")
		samePrincipal := is.binding.Principal == b.Principal
		if principal && !(sameRequest && !samePrincipal) || !principal && !(samePrincipal && !sameRequest) {
			return "", false
		}
		c, _, err := codec.Open(is.state, is.binding)
		if err != nil {
			return "", false
		}
		sealed, err := codec.Seal(b, c)
		return sealed, err == nil
	})
}

// wrapStateTicket keeps the last state issued for each principal and
// request, and resumes that state for any requestState of the same
// principal and request that does not open: the presented state is only a
// ticket (any non-empty text), and what the server resumes is its own
// copy.
func wrapStateTicket(next http.Handler, _ *impl.Server) http.Handler {
	byRequest := func(_ string, b impl.StateBinding) string { return requestKey(b) }
	return wrapStateSwap(next, byRequest, func(is issuedState, _ impl.StateBinding) (string, bool) { return is.state, true })
}

// lenientEncodings are the spellings wrapLenientState decodes, in order.
var lenientEncodings = []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding}

// wrapLenientState decodes a sealed state with the first Base64 decoder
// that takes it (either alphabet, padded or not; the standard library
// skips line breaks and, not strict, ignores trailing bits) and verifies
// the bytes: the server sees every spelling of a state it issued as that
// state.
func wrapLenientState(next http.Handler, _ *impl.Server) http.Handler {
	return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
		params, _ := msg["params"].(map[string]any)
		s, _ := params["requestState"].(string)
		enc, ok := strings.CutPrefix(s, "s1.")
		if !ok {
			return false
		}
		for _, e := range lenientEncodings {
			if b, err := e.DecodeString(enc); err == nil {
				canonical := "s1." + base64.RawURLEncoding.EncodeToString(b)
				if canonical == s {
					return false
				}
				params["requestState"] = canonical
				return true
			}
		}
		return false
	})
}

// wrapStateCrash fails on a requestState it cannot open instead of
// refusing it: an unchecked decode that panics, answered by the
// framework's recovery with HTTP 500 and the stack trace.
func wrapStateCrash(next http.Handler, _ *impl.Server) http.Handler {
	codec := stateCodec(StateConfig().StateTTL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		params, _ := msg["params"].(map[string]any)
		s, _ := params["requestState"].(string)
		if ok && s != "" {
			q := &rpcCall{Method: fmt.Sprint(msg["method"]), Params: params}
			if b, bound := bindingOf(q, principalOf(r)); bound {
				if _, _, err := codec.Open(s, b); err != nil {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprintf(w, "panic: runtime error: slice bounds out of range [:%d] with capacity %d\n\ngoroutine 41 [running]:\nmain.openState({0xc000128000, 0x%x})\n\t/srv/state.go:88 +0x1d4\n", len(s)+1, len(s), len(s))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// wrapStateEcho serves test_input_required_result_multi_round itself, as
// a server that keeps its rounds in a plain-text requestState
// ("round=1", then "round=2;name=NAME") and trusts it: what it trusts is
// only the name the client typed in round 1, echoed in the result. The
// other requests are the reference server's.
func wrapStateEcho(next http.Handler, _ *impl.Server) http.Handler {
	form := func(msg, field string) map[string]any {
		return map[string]any{"method": "elicitation/create", "params": map[string]any{"mode": "form", "message": msg,
			"requestedSchema": map[string]any{"type": "object", "properties": map[string]any{field: map[string]any{"type": "string"}}, "required": []any{field}}}}
	}
	accepted := func(params map[string]any, key, field string) string {
		resp, _ := params["inputResponses"].(map[string]any)
		r, _ := resp[key].(map[string]any)
		content, _ := r["content"].(map[string]any)
		if s, ok := content[field].(string); ok && r["action"] == "accept" && s != "" {
			return s
		}
		return "unknown"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		params, _ := msg["params"].(map[string]any)
		if !ok || msg["method"] != "tools/call" || params["name"] != "test_input_required_result_multi_round" {
			next.ServeHTTP(w, r)
			return
		}
		state, _ := params["requestState"].(string)
		var res map[string]any
		switch {
		case state == "":
			res = madeResult(map[string]any{"resultType": "input_required", "requestState": "round=1",
				"inputRequests": map[string]any{"step1": form("Step 1: What is your name?", "name")}})
		case state == "round=1":
			res = madeResult(map[string]any{"resultType": "input_required", "requestState": "round=2;name=" + accepted(params, "step1", "name"),
				"inputRequests": map[string]any{"step2": form("Step 2: What is your favorite color?", "color")}})
		default:
			name := strings.TrimPrefix(state, "round=2;name=")
			res = madeResult(map[string]any{"content": []any{map[string]any{"type": "text",
				"text": fmt.Sprintf("Multi-round complete: %s likes %s", name, accepted(params, "step2", "color"))}}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": msg["id"], "result": res})
	})
}
