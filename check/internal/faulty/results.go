package faulty

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Variants that break the rules of results and of the utilities that
// accompany a request (caching hints, resultType, result schemas,
// pagination cursors, resources that do not exist, outputSchema,
// progress, logging, subscriptions/listen), for the
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
	// cursorRejected: the server's -32602 for a list cursor it cannot read.
	cursorRejected := func(q *rpcCall, m map[string]any) bool {
		e, _ := m["error"].(map[string]any)
		return lists[q.Method] && q.Params["cursor"] != nil && e != nil && codeOf(e) == -32602
	}
	Register(&Variant{
		Name:   "invalid-cursor-internal-error",
		Defect: "a list request with a cursor the server cannot read gets -32603 (Internal error) instead of -32602",
		Breaks: []spec.ID{spec.CoreCursorInvalid},
		Only:   []string{"results/pagination"},
		Config: &impl.Config{PageSize: 2},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if cursorRejected(q, m) {
					e := m["error"].(map[string]any)
					e["code"], e["message"] = -32603, "Internal error: cannot decode cursor"
					delete(e, "data")
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "invalid-cursor-hangs",
		Defect: "a list request with a cursor the server cannot read is never answered (the request hangs until the client gives up)",
		Breaks: []spec.ID{spec.CoreCursorGraceful},
		Only:   []string{"results/pagination"},
		Config: &impl.Config{PageSize: 2},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
				return nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
					if cursorRejected(q, m) {
						<-r.Context().Done()
						return nil
					}
					return one(m)
				}
			})
		},
	})
	Register(&Variant{
		Name:   "prompt-content-bare-string",
		Defect: "prompts/get messages carry their text as a bare string, not as a content block",
		Breaks: []spec.ID{spec.CoreResultSchema},
		Only:   []string{"results/coverage"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if msgs, ok := resultOf(m)["messages"].([]any); ok && q.Method == "prompts/get" {
					for _, pm := range msgs {
						pm, _ := pm.(map[string]any)
						if c, _ := pm["content"].(map[string]any); c["type"] == "text" {
							pm["content"] = c["text"]
						}
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
					m["result"] = madeResult(map[string]any{"contents": []any{}, "ttlMs": 0, "cacheScope": "public"})
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
		Name:   "progress-token-stringified",
		Defect: "progress notifications for an integer progressToken carry it as a string",
		Breaks: []spec.ID{spec.CoreProgressToken},
		Only:   []string{"utilities/progress"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return editMessages(next, func(m map[string]any) {
				if p, ok := m["params"].(map[string]any); ok && m["method"] == "notifications/progress" {
					if n, ok := p["progressToken"].(json.Number); ok {
						p["progressToken"] = n.String()
					}
				}
			})
		},
	})
	Register(&Variant{
		Name:   "progress-after-response",
		Defect: "a request that reported progress gets one more progress notification (the work marked done) after its response",
		Breaks: []spec.ID{spec.CoreProgressAfterCompletion, spec.HttpSseTerminate},
		Only:   []string{"utilities/progress"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return perRequest(next, func(*http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
				var last map[string]any // the params of the request's last progress notification
				return nil, func(_ *rpcCall, m map[string]any, _ int) []map[string]any {
					if p, ok := m["params"].(map[string]any); ok && m["method"] == "notifications/progress" {
						last = p
						return one(m)
					}
					n, ok := last["progress"].(json.Number)
					v, err := n.Float64()
					if !ok || err != nil || (m["result"] == nil && m["error"] == nil) {
						return one(m)
					}
					done := map[string]any{"progressToken": last["progressToken"], "progress": v + 1, "total": v + 1}
					return []map[string]any{m, {"jsonrpc": "2.0", "method": "notifications/progress", "params": done}}
				}
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
	Register(&Variant{
		Name:   "log-level-ignored",
		Defect: "a logLevel only switches logging on: every message is sent, whatever level was asked for",
		Breaks: []spec.ID{spec.CoreLogBelowLevel},
		Only:   []string{"utilities/logging"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				params, _ := msg["params"].(map[string]any)
				meta, _ := params["_meta"].(map[string]any)
				if _, ok := meta["io.modelcontextprotocol/logLevel"]; !ok || meta["io.modelcontextprotocol/logLevel"] == "debug" {
					return false
				}
				meta["io.modelcontextprotocol/logLevel"] = "debug"
				return true
			})
		},
	})
	listChanged := func(kind string, id any) map[string]any {
		return map[string]any{"jsonrpc": "2.0", "method": "notifications/" + kind + "/list_changed",
			"params": map[string]any{"_meta": map[string]any{"io.modelcontextprotocol/subscriptionId": id}}}
	}
	// listenWithoutAck answers subscriptions/listen at once with an empty
	// result in place of its acknowledgement.
	listenWithoutAck := func(next http.Handler) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if q.Method == "subscriptions/listen" && m["method"] == "notifications/subscriptions/acknowledged" {
				return one(map[string]any{"jsonrpc": "2.0", "id": q.ID, "result": madeResult(nil)})
			}
			return one(m)
		})
	}
	Register(&Variant{
		Name:   "listen-answered-without-ack",
		Defect: "subscriptions/listen is answered at once with an empty result, as resources/subscribe was, and never acknowledged",
		Breaks: []spec.ID{spec.CoreListenAck},
		Only:   []string{"utilities/subscriptions"},
		Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return listenWithoutAck(next) },
	})
	Register(&Variant{
		Name:   "listen-uris-unbounded",
		Defect: "a subscriptions/listen may name any number of resource URIs (the bound set to a million)",
		Breaks: []spec.ID{spec.CoreListenUriLimit},
		Only:   []string{"utilities/listen-uris"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				msg, ok := message(r)
				params, _ := msg["params"].(map[string]any)
				n, _ := params["notifications"].(map[string]any)
				uris, _ := n["resourceSubscriptions"].([]any)
				if !ok || msg["method"] != "subscriptions/listen" || len(uris) <= impl.DefaultMaxListenURIs {
					next.ServeHTTP(w, r)
					return
				}
				// Acknowledged as the server would, whatever the count.
				ack := map[string]any{"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
					"params": map[string]any{"_meta": map[string]any{"io.modelcontextprotocol/subscriptionId": msg["id"]}, "notifications": n}}
				b, _ := json.Marshal(ack)
				sseHeaders(w.Header())
				w.WriteHeader(http.StatusOK)
				fmt.Fprintf(w, "data: %s\n\n", b)
				http.NewResponseController(w).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
			})
		},
	})
	Register(&Variant{
		Name:   "listen-ack-racy",
		Defect: "one subscriptions/listen in three is answered at once with an empty result, without acknowledgement (a race between the handler and the stream set-up)",
		Breaks: []spec.ID{spec.CoreListenAck},
		Only:   []string{"utilities/subscriptions"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			var listens atomic.Int64
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if m, _, _, ok := peekRPC(r); !ok || m != "subscriptions/listen" || listens.Add(1)%3 != 1 {
					next.ServeHTTP(w, r)
					return
				}
				listenWithoutAck(next).ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "listen-own-subscription-id",
		Defect: "the notifications of a subscriptions/listen stream carry a subscriptionId the server made up, not the listen request's id",
		Breaks: []spec.ID{spec.CoreListenSubscriptionId},
		Only:   []string{"utilities/subscriptions"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				p, _ := m["params"].(map[string]any)
				if meta, ok := p["_meta"].(map[string]any); ok && q.Method == "subscriptions/listen" && meta["io.modelcontextprotocol/subscriptionId"] != nil {
					meta["io.modelcontextprotocol/subscriptionId"] = fmt.Sprintf("sub-%v", q.ID)
				}
				return one(m)
			})
		},
	})
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

// madeResult is a complete result the variant makes up, with fields and
// the serverInfo _meta the reference server gives every result.
func madeResult(fields map[string]any) map[string]any {
	r := map[string]any{"resultType": "complete",
		"_meta": map[string]any{"io.modelcontextprotocol/serverInfo": map[string]any{"name": "faulty", "version": "0"}}}
	maps.Copy(r, fields)
	return r
}

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
