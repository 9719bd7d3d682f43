package faulty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

// The state variants of the cart handles (see state.go).

// cartTools are the tools that take a cart_id.
var cartTools = map[string]bool{"cart_add": true, "cart_view": true, "cart_delete": true}

var cartHandle = regexp.MustCompile(`cart_[A-Za-z0-9_-]{22}`)

// cartCall returns the arguments and the cart_id of a call of a tool that
// takes one.
func cartCall(q *rpcCall) (map[string]any, string, bool) {
	name, _ := q.Params["name"].(string)
	args, _ := q.Params["arguments"].(map[string]any)
	h, _ := args["cart_id"].(string)
	if q.Method != "tools/call" || !cartTools[name] || h == "" {
		return nil, "", false
	}
	return args, h, true
}

// mintedCart returns the cart a cart_create result mints.
func mintedCart(q *rpcCall, m map[string]any) (string, bool) {
	r := resultOf(m)
	if name, _ := q.Params["name"].(string); r == nil || q.Method != "tools/call" || name != "cart_create" {
		return "", false
	}
	sc, _ := r["structuredContent"].(map[string]any)
	h, ok := sc["cart_id"].(string)
	return h, ok
}

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
		args, h, ok := cartCall(q)
		if !ok {
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
		if h, ok := mintedCart(q, m); ok {
			mu.Lock()
			n++
			seq := fmt.Sprintf("cart_%d", n)
			toSeq[h], toReal[seq] = seq, h
			mu.Unlock()
		}
		for _, k := range []string{"structuredContent", "content"} {
			if v, ok := r[k]; ok {
				r[k] = rename(v)
			}
		}
		return one(m)
	})
}

// withCartOwners wraps next with a record of who created each cart (the
// Authorization header of the cart_create call that minted it). On a call
// of a cart tool that names a cart of known owner, serve(r, owner) runs
// before next sees the request (it may change r's headers) and returns an
// edit of the call's result, or nil.
func withCartOwners(next http.Handler, serve func(r *http.Request, owner string) func(result map[string]any)) http.Handler {
	var mu sync.Mutex
	owners := map[string]string{}
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		auth := r.Header.Get("Authorization")
		var editResult func(map[string]any)
		editReq := func(q *rpcCall) bool {
			if _, h, ok := cartCall(q); ok {
				mu.Lock()
				o, known := owners[h]
				mu.Unlock()
				if known {
					editResult = serve(r, o)
				}
			}
			return false
		}
		edit := func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if h, ok := mintedCart(q, m); ok {
				mu.Lock()
				owners[h] = auth
				mu.Unlock()
			}
			if res := resultOf(m); res != nil && editResult != nil {
				editResult(res)
			}
			return one(m)
		}
		return editReq, edit
	})
}

// wrapUnboundCarts serves a call naming a cart as the cart's owner, for
// any caller with a valid token: the server looks carts up by handle
// alone.
func wrapUnboundCarts(next http.Handler, _ *impl.Server) http.Handler {
	return withCartOwners(next, func(r *http.Request, owner string) func(map[string]any) {
		if principalOf(r) != "" {
			r.Header.Set("Authorization", owner)
		}
		return nil
	})
}

// wrapBearerCarts serves a call that names a cart and carries no
// credentials at all as the cart's owner: the server authenticates a
// request by its credentials or, failing those, by the cart it names.
func wrapBearerCarts(next http.Handler, _ *impl.Server) http.Handler {
	return withCartOwners(next, func(r *http.Request, owner string) func(map[string]any) {
		if len(r.Header.Values("Authorization")) == 0 {
			r.Header.Set("Authorization", owner)
		}
		return nil
	})
}

// wrapOracleCarts refuses a cart of another caller with its own message:
// the server finds the cart by its handle, then checks its owner, and says
// which check failed.
func wrapOracleCarts(next http.Handler, _ *impl.Server) http.Handler {
	return withCartOwners(next, func(r *http.Request, owner string) func(map[string]any) {
		if r.Header.Get("Authorization") == owner {
			return nil
		}
		return func(res map[string]any) {
			if res["isError"] == true {
				res["content"] = []any{map[string]any{"type": "text", "text": "access denied: this cart belongs to another user"}}
			}
		}
	})
}

// wrapSoftDeleteCarts answers cart_delete without deleting: the server
// marks the cart deleted (here: checks that the caller has it, as
// cart_view does) and says so, but its lookups ignore the mark, so the
// handle keeps working.
func wrapSoftDeleteCarts(next http.Handler, _ *impl.Server) http.Handler {
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		deleted := ""
		editReq := func(q *rpcCall) bool {
			_, h, ok := cartCall(q)
			if !ok || q.Params["name"] != "cart_delete" {
				return false
			}
			deleted, q.Params["name"] = h, "cart_view"
			if _, named := r.Header[wire.HeaderName]; named {
				r.Header.Set(wire.HeaderName, "cart_view")
			}
			return true
		}
		edit := func(_ *rpcCall, m map[string]any, _ int) []map[string]any {
			if res := resultOf(m); res != nil && deleted != "" && res["isError"] != true {
				delete(res, "structuredContent")
				res["content"] = []any{map[string]any{"type": "text", "text": "Deleted the cart " + deleted + "."}}
			}
			return one(m)
		}
		return editReq, edit
	})
}

// plainCart is the name the plain-names variants give the cart handle,
// as an argument and as a result member: an ordinary word.
const plainCart = "cart"

// PlainCartNames presents the cart tools with an ordinary name for
// the handle: the argument and the result member are "cart", not
// "cart_id", and no description calls the argument a handle or names the
// tool that mints it. Only the flow of the value from cart_create's
// result into the other tools' arguments shows it is a handle. It is the
// handles-unbound-plain-names variant without its defect, for the handle
// check's own tests.
func PlainCartNames(next http.Handler) http.Handler {
	renameIn := func(m map[string]any, desc any) {
		if v, ok := m["cart_id"]; ok {
			delete(m, "cart_id")
			if desc != nil {
				v = map[string]any{"type": "string", "description": desc}
			}
			m[plainCart] = v
		}
	}
	schema := func(t map[string]any, key string, desc any) {
		s, _ := t[key].(map[string]any)
		props, _ := s["properties"].(map[string]any)
		renameIn(props, desc)
		if req, ok := s["required"].([]any); ok {
			for i, r := range req {
				if r == "cart_id" {
					req[i] = plainCart
				}
			}
		}
	}
	return rewriteMessages(next, func(q *rpcCall) bool {
		name, _ := q.Params["name"].(string)
		args, _ := q.Params["arguments"].(map[string]any)
		v, ok := args[plainCart]
		if q.Method != "tools/call" || !cartTools[name] || !ok {
			return false
		}
		delete(args, plainCart)
		args["cart_id"] = v
		return true
	}, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
		r := resultOf(m)
		switch {
		case r == nil:
		case q.Method == "tools/list":
			tools, _ := r["tools"].([]any)
			for _, t := range tools {
				t, _ := t.(map[string]any)
				if d, ok := t["description"].(string); ok {
					t["description"] = strings.ReplaceAll(d, "cart_id", plainCart)
				}
				schema(t, "inputSchema", "The cart")
				schema(t, "outputSchema", nil)
			}
		case q.Method == "tools/call":
			sc, _ := r["structuredContent"].(map[string]any)
			renameIn(sc, nil)
			content, _ := r["content"].([]any)
			for _, c := range content {
				if c, _ := c.(map[string]any); c["type"] == "text" {
					if s, ok := c["text"].(string); ok {
						c["text"] = strings.ReplaceAll(s, "cart_id", plainCart)
					}
				}
			}
		}
		return one(m)
	})
}
