package faulty

import (
	"net/http"
	"strings"
	"sync"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of what a server declares and of the errors it gives for
// requests it cannot serve, for the checks results/declarations,
// results/prompt-errors, results/completion-errors, utilities/cancellation
// and legacy/revision.

// extraTools are tools a variant adds to the first page of tools/list; a
// tool without a name is a second tool of the name of the first listed.
func extraTools(tools ...map[string]any) func(next http.Handler, _ *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if r := resultOf(m); r != nil && q.Method == "tools/list" && q.Params["cursor"] == nil {
				list, _ := r["tools"].([]any)
				for _, t := range tools {
					if t["name"] == nil && len(list) > 0 {
						first, _ := list[0].(map[string]any)
						t = map[string]any{"name": first["name"], "inputSchema": objectSchema}
					}
					list = append(list, t)
				}
				r["tools"] = list
			}
			return one(m)
		})
	}
}

// objectSchema is the input schema of a tool without parameters.
var objectSchema = map[string]any{"type": "object"}

// invalidParamsAsResult answers a method's -32602 errors with result
// instead.
func invalidParamsAsResult(method string, result map[string]any) func(next http.Handler, _ *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			e, _ := m["error"].(map[string]any)
			if q.Method != method || e == nil || codeOf(e) != wire.CodeInvalidParams {
				return one(m)
			}
			return one(map[string]any{"jsonrpc": "2.0", "id": m["id"], "result": madeResult(result)})
		})
	}
}

func init() {
	Register(&Variant{
		Name:   "lists-refused",
		Defect: "tools/list, prompts/list and resources/list are refused with -32603, though the server declares tools, prompts and resources",
		Breaks: []spec.ID{spec.CoreToolsList, spec.CorePromptsList, spec.CoreResourcesList},
		Only:   []string{"results/declarations"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return refusing(next, http.StatusInternalServerError, wire.CodeInternalError, "Internal error: the catalog is unavailable", func(m string, hasID bool) bool {
				return hasID && (m == "tools/list" || m == "prompts/list" || m == "resources/list")
			})
		},
	})
	Register(&Variant{
		Name:   "tool-names-unconventional",
		Defect: "tools/list holds tools named with a space and a comma, with a letter outside ASCII, with 129 characters, and a second tool of an existing name",
		Breaks: []spec.ID{spec.CoreToolNameSpecial, spec.CoreToolNameChars, spec.CoreToolNameLength, spec.CoreToolNameUnique},
		Only:   []string{"results/declarations"},
		Wrap: extraTools(
			map[string]any{"name": "weekly report, sales", "inputSchema": objectSchema},
			map[string]any{"name": "größe", "inputSchema": objectSchema},
			map[string]any{"name": strings.Repeat("x", 129), "inputSchema": objectSchema},
			map[string]any{}, // a second tool of the first tool's name
		),
	})
	Register(&Variant{
		Name:   "input-schema-not-object",
		Defect: "a tool's inputSchema is the string \"object\" rather than a JSON Schema object",
		Breaks: []spec.ID{spec.CoreToolInputSchema},
		Only:   []string{"results/declarations"},
		Wrap:   extraTools(map[string]any{"name": "loose", "inputSchema": "object"}),
	})
	Register(&Variant{
		Name:   "input-schema-invalid",
		Defect: "a tool's inputSchema gives a property the type \"strng\", which no JSON Schema dialect defines",
		Breaks: []spec.ID{spec.CoreSchemaValid},
		Only:   []string{"results/declarations"},
		Wrap: extraTools(map[string]any{"name": "typo", "inputSchema": map[string]any{
			"type": "object", "properties": map[string]any{"q": map[string]any{"type": "strng"}}}}),
	})
	Register(&Variant{
		Name:   "input-schema-draft-07",
		Defect: "a tool's inputSchema declares JSON Schema draft-07 rather than 2020-12",
		Breaks: []spec.ID{spec.CoreSchemaUse202012},
		Only:   []string{"results/declarations"},
		Wrap: extraTools(map[string]any{"name": "old_dialect", "inputSchema": map[string]any{
			"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}}),
	})
	Register(&Variant{
		Name:   "prompt-invalid-params-served",
		Defect: "prompts/get for an unknown prompt, or without a required argument, is answered with an empty prompt instead of -32602",
		Breaks: []spec.ID{spec.CorePromptErrorName, spec.CorePromptErrorArgs},
		Only:   []string{"results/prompt-errors"},
		Wrap:   invalidParamsAsResult("prompts/get", map[string]any{"messages": []any{}}),
	})
	Register(&Variant{
		Name:   "completion-invalid-params-served",
		Defect: "completion/complete for an unknown prompt, or without its argument, is answered with no suggestions instead of -32602",
		Breaks: []spec.ID{spec.CoreCompletionErrorName, spec.CoreCompletionErrorArgs},
		Only:   []string{"results/completion-errors"},
		Wrap:   invalidParamsAsResult("completion/complete", map[string]any{"completion": map[string]any{"values": []any{}}}),
	})
	Register(&Variant{
		Name:   "completion-unsupported-internal-error",
		Defect: "a server without completion support (it does not declare completions) answers completion/complete with -32603 instead of -32601",
		Breaks: []spec.ID{spec.CoreCompletionErrorMethod},
		Only:   []string{"results/completion-errors"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			undeclared := rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil && q.Method == "server/discover" {
					if caps, ok := r["capabilities"].(map[string]any); ok {
						delete(caps, "completions")
					}
				}
				return one(m)
			})
			return refusing(undeclared, http.StatusInternalServerError, wire.CodeInternalError, "Internal error: no completion provider", func(m string, hasID bool) bool {
				return hasID && m == "completion/complete"
			})
		},
	})
	Register(&Variant{
		Name:   "late-cancel-disrupts",
		Defect: "a notifications/cancelled for a request already answered makes the server refuse the next request with HTTP 500",
		Breaks: []spec.ID{spec.CoreCancelRace},
		Only:   []string{"utilities/cancellation"},
		Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return disruptAfterCancel(next, true) },
	})
	Register(&Variant{
		Name:   "invalid-cancel-disrupts",
		Defect: "a notifications/cancelled for an unknown request id, or malformed, makes the server refuse the next request with HTTP 500",
		Breaks: []spec.ID{spec.CoreCancelInvalidIgnored},
		Only:   []string{"utilities/cancellation"},
		Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return disruptAfterCancel(next, false) },
	})
	Register(&Variant{
		Name:   "discover-not-implemented",
		Defect: "server/discover is answered with -32601 (method not found); every other request of 2026-07-28 is served",
		Breaks: []spec.ID{spec.CoreDiscover},
		Only:   []string{"legacy/revision"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return refusing(next, http.StatusNotFound, wire.CodeMethodNotFound, "Method not found", func(m string, hasID bool) bool {
				return hasID && m == "server/discover"
			})
		},
	})
}

func init() {
	Register(&Variant{
		Name:   "discover-header-mismatch",
		Defect: "server/discover is refused with HTTP 400 and HeaderMismatch (-32020) though its headers match; every other request of 2026-07-28 is served",
		Breaks: []spec.ID{spec.CoreDiscover},
		Only:   []string{"legacy/revision"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return refusing(next, http.StatusBadRequest, wire.CodeHeaderMismatch, "Header mismatch", func(m string, hasID bool) bool {
				return hasID && m == "server/discover"
			})
		},
	})
}

// disruptAfterCancel refuses the request after a notifications/cancelled:
// one for a request already answered (late), or one for an id never
// answered or without a usable requestId (not late).
func disruptAfterCancel(next http.Handler, late bool) http.Handler {
	var mu sync.Mutex
	answered := map[string]bool{}
	poisoned := false
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		method, _ := msg["method"].(string)
		id := string(wire.MustMarshal(msg["id"]))
		mu.Lock()
		if method == "notifications/cancelled" {
			params, _ := msg["params"].(map[string]any)
			rid, has := params["requestId"]
			known := has && answered[string(wire.MustMarshal(rid))]
			if known == late {
				poisoned = true
			}
			mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		hit := poisoned
		poisoned = false
		if _, hasID := msg["id"]; hasID {
			answered[id] = true
		}
		mu.Unlock()
		if hit {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	})
}
