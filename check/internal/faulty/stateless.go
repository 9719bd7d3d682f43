package faulty

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants that keep state per connection (basic/index.mdx,
// "Statelessness"; the "Capabilities" sections of tools.mdx), or mint
// sessions (streamable-http.mdx, "Backward Compatibility"). A connection is
// known by the remote address of the request (r.RemoteAddr).

func init() {
	for _, l := range []struct{ name, method, key string }{
		{"list-per-connection", "tools/list", "tools"},
		{"prompts-list-per-connection", "prompts/list", "prompts"},
		{"resources-list-per-connection", "resources/list", "resources"},
	} {
		Register(&Variant{
			Name:   l.name,
			Defect: l.method + " leaves out its last item on every second connection",
			Breaks: []spec.ID{listStableIDs[l.method]},
			Only:   []string{"stateless/list-stable"},
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				conns := &connTable{}
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n := conns.number(r.RemoteAddr)
					if m, _, _, ok := peekRPC(r); ok && m == l.method && n%2 == 0 {
						editMessages(next, dropListed(l.key, false)).ServeHTTP(w, r)
						return
					}
					next.ServeHTTP(w, r)
				})
			},
		})
	}
	Register(&Variant{
		Name:   "list-order-alternates",
		Defect: "tools/list gives the same tools in reverse order on every second request (an unordered store iterated as it comes)",
		Breaks: []spec.ID{spec.CoreListOrder},
		Only:   []string{"stateless/list-stable"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			var mu sync.Mutex
			n := 0
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if m, _, _, ok := peekRPC(r); !ok || m != "tools/list" {
					next.ServeHTTP(w, r)
					return
				}
				mu.Lock()
				n++
				reverse := n%2 == 0
				mu.Unlock()
				if !reverse {
					next.ServeHTTP(w, r)
					return
				}
				editMessages(next, func(msg map[string]any) {
					if tools, ok := resultOf(msg)["tools"].([]any); ok {
						slices.Reverse(tools)
					}
				}).ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "list-side-effect",
		Defect: "after a tools/call on a connection, tools/list on that connection leaves out its first tool",
		Breaks: []spec.ID{spec.CoreListStable},
		Only:   []string{"stateless/list-side-effects"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			var mu sync.Mutex
			called := map[string]bool{}
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m, _, _, ok := peekRPC(r)
				mu.Lock()
				if ok && m == "tools/call" {
					called[r.RemoteAddr] = true
				}
				hide := ok && m == "tools/list" && called[r.RemoteAddr]
				mu.Unlock()
				if hide {
					editMessages(next, dropListed("tools", true)).ServeHTTP(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "session-id-minted",
		Defect: "every response carries a fresh Mcp-Session-Id, as a 2025 server would mint",
		Breaks: []spec.ID{spec.HttpSessionId},
		Only:   []string{"stateless/session-id"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			var mu sync.Mutex
			n := 0
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				id := "mcp-session-" + strings.Repeat("0", 4) + string(rune('a'+n%26))
				mu.Unlock()
				w.Header()["Mcp-Session-Id"] = []string{id}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "version-per-connection",
		Defect: "the protocol version of a connection's first request is applied to every later request on it (header and _meta rewritten)",
		Breaks: []spec.ID{spec.CoreNoConnectionContext},
		Only:   []string{"stateless/interleaved-meta"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			var mu sync.Mutex
			first := map[string]string{}
			return bodyEdited(next, func(r *http.Request, msg map[string]any) bool {
				params, _ := msg["params"].(map[string]any)
				meta, _ := params["_meta"].(map[string]any)
				v, isStr := meta[wire.MetaProtocolVersion].(string)
				if !isStr {
					return false
				}
				mu.Lock()
				remembered, seen := first[r.RemoteAddr]
				if !seen {
					first[r.RemoteAddr] = v
				}
				mu.Unlock()
				if !seen || remembered == v {
					return false
				}
				meta[wire.MetaProtocolVersion] = remembered
				for k := range r.Header {
					if strings.EqualFold(k, wire.HeaderProtocolVersion) {
						r.Header[k] = []string{remembered}
					}
				}
				return true
			})
		},
	})
}

// connTable numbers connections by remote address, in order of first
// sight, from 1.
type connTable struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *connTable) number(addr string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	if n, ok := t.m[addr]; ok {
		return n
	}
	n := len(t.m) + 1
	t.m[addr] = n
	return n
}

// listStableIDs names the requirement that each list's set does not vary
// per connection.
var listStableIDs = map[string]spec.ID{
	"tools/list":     spec.CoreListStable,
	"prompts/list":   spec.CorePromptsListStable,
	"resources/list": spec.CoreResourcesListStable,
}

// dropListed removes the first (or last) item of the list key ("tools",
// "prompts", "resources") of a list result.
func dropListed(key string, first bool) func(map[string]any) {
	return func(msg map[string]any) {
		res := resultOf(msg)
		items, _ := res[key].([]any)
		if len(items) < 2 {
			return
		}
		if first {
			res[key] = items[1:]
		} else {
			res[key] = items[:len(items)-1]
		}
	}
}
