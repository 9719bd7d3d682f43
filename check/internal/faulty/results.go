package faulty

import (
	"encoding/json"
	"net/http"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Variants that break the rules of results and of the utilities that
// accompany a request (caching hints, resultType, resources that do not
// exist, outputSchema, progress, logging, subscriptions/listen), for the
// checks results/* and utilities/*. Each rewrites the messages the
// reference server sends (rewriteMessages), as they are streamed.

func init() {
	lists := map[string]bool{"tools/list": true, "prompts/list": true, "resources/list": true, "resources/templates/list": true}
	Register(&Variant{
		Name:   "list-without-ttl",
		Defect: "list results carry no ttlMs",
		Breaks: []spec.ID{spec.CoreCacheHints},
		Only:   []string{"results/coverage"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil && lists[q.Method] {
					delete(r, "ttlMs")
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "negative-ttl",
		Defect: "cacheable results carry ttlMs -1",
		Breaks: []spec.ID{spec.CoreCacheTtl},
		Only:   []string{"results/coverage"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil {
					if _, ok := r["ttlMs"]; ok {
						r["ttlMs"] = -1
					}
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "cache-scope-per-page",
		Defect: "pages after the first of a list carry another cacheScope than the first",
		Breaks: []spec.ID{spec.CoreCacheScopePages},
		Only:   []string{"results/pagination"},
		Config: &impl.Config{PageSize: 2},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil && lists[q.Method] && q.Params["cursor"] != nil {
					if r["cacheScope"] == "public" {
						r["cacheScope"] = "private"
					} else {
						r["cacheScope"] = "public"
					}
				}
				return one(m)
			})
		},
	})
	notFound := func(q *rpcCall, m map[string]any) bool {
		e, _ := m["error"].(map[string]any)
		return q.Method == "resources/read" && e != nil && codeOf(e) == -32602
	}
	Register(&Variant{
		Name:   "missing-resource-empty-contents",
		Defect: "a read of a resource that does not exist returns an empty contents array",
		Breaks: []spec.ID{spec.CoreResourceNotEmpty},
		Only:   []string{"results/resource-not-found"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if notFound(q, m) {
					delete(m, "error")
					m["result"] = map[string]any{"resultType": "complete", "contents": []any{}, "ttlMs": 0, "cacheScope": "public",
						"_meta": map[string]any{"io.modelcontextprotocol/serverInfo": map[string]any{"name": "faulty", "version": "0"}}}
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "missing-resource-legacy-code",
		Defect: "a read of a resource that does not exist gets -32002, the code of earlier revisions",
		Breaks: []spec.ID{spec.CoreErrorCodeLegacy, spec.CoreResourceNotFound},
		Only:   []string{"results/resource-not-found"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if notFound(q, m) {
					m["error"].(map[string]any)["code"] = -32002
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "structured-content-mismatch",
		Defect: "structuredContent does not conform to the tool's outputSchema",
		Breaks: []spec.ID{spec.CoreOutputSchema},
		Only:   []string{"results/coverage"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil && q.Method == "tools/call" && r["structuredContent"] != nil {
					r["structuredContent"] = map[string]any{"temperature": "hot"}
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "result-without-result-type",
		Defect: "results carry no resultType",
		Breaks: []spec.ID{spec.CoreResultType},
		Only:   []string{"results/coverage"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil {
					delete(r, "resultType")
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "progress-backwards",
		Defect: "progress notifications count down",
		Breaks: []spec.ID{spec.CoreProgressIncreasing},
		Only:   []string{"utilities/progress"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if m["method"] == "notifications/progress" {
					if p, ok := m["params"].(map[string]any); ok {
						if n, ok := p["progress"].(json.Number); ok {
							if v, err := n.Float64(); err == nil {
								p["progress"] = 1000 - v
								delete(p, "total")
							}
						}
					}
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "log-without-level",
		Defect: "tool calls without io.modelcontextprotocol/logLevel get a log message",
		Breaks: []spec.ID{spec.CoreLogOptIn},
		Only:   []string{"utilities/logging"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if q.Method != "tools/call" || q.meta()["io.modelcontextprotocol/logLevel"] != nil || (m["result"] == nil && m["error"] == nil) {
					return one(m)
				}
				log := map[string]any{"jsonrpc": "2.0", "method": "notifications/message",
					"params": map[string]any{"level": "info", "logger": "faulty", "data": "logged without being asked"}}
				return []map[string]any{log, m}
			})
		},
	})
	listChanged := func(kind string, id any) map[string]any {
		return map[string]any{"jsonrpc": "2.0", "method": "notifications/" + kind + "/list_changed",
			"params": map[string]any{"_meta": map[string]any{"io.modelcontextprotocol/subscriptionId": id}}}
	}
	Register(&Variant{
		Name:   "listen-notification-before-ack",
		Defect: "a subscriptions/listen stream sends a list_changed notification before the acknowledgement",
		Breaks: []spec.ID{spec.CoreListenAckFirst},
		Only:   []string{"utilities/subscriptions"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, i int) []map[string]any {
				if q.Method == "subscriptions/listen" && i == 0 && m["method"] == "notifications/subscriptions/acknowledged" {
					return []map[string]any{listChanged("tools", q.ID), m}
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "listen-unrequested-type",
		Defect: "a subscriptions/listen stream sends a list_changed notification of a type the client did not request",
		Breaks: []spec.ID{spec.CoreListenFilter},
		Only:   []string{"utilities/subscriptions"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, i int) []map[string]any {
				if q.Method != "subscriptions/listen" || m["method"] != "notifications/subscriptions/acknowledged" {
					return one(m)
				}
				f, _ := q.Params["notifications"].(map[string]any)
				for _, k := range []string{"tools", "prompts", "resources"} {
					if f[k+"ListChanged"] != true {
						return []map[string]any{m, listChanged(k, q.ID)}
					}
				}
				return one(m)
			})
		},
	})
}

func one(m map[string]any) []map[string]any { return []map[string]any{m} }

// resultOf returns the result object of a result response, or nil.
func resultOf(m map[string]any) map[string]any {
	r, _ := m["result"].(map[string]any)
	return r
}

// codeOf returns the code of an error object (0 if unreadable).
func codeOf(e map[string]any) int64 {
	switch c := e["code"].(type) {
	case json.Number:
		n, _ := c.Int64()
		return n
	case int:
		return int64(c)
	case int64:
		return c
	case float64:
		return int64(c)
	}
	return 0
}
