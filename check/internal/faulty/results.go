package faulty

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

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

// rpcCall is what a rewriting variant knows of the request: its method,
// raw id and params (decoded with json.Number for numbers).
type rpcCall struct {
	Method string
	ID     any
	Params map[string]any
}

// meta returns the request's params._meta (nil if none).
func (q *rpcCall) meta() map[string]any {
	m, _ := q.Params["_meta"].(map[string]any)
	return m
}

// decodeJSON decodes b keeping numbers exact (json.Number).
func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// maxRewriteBody bounds the request body a rewriting variant reads.
const maxRewriteBody = 8 << 20

// rewriteMessages returns a handler around next that reads the JSON-RPC
// request (editReq, if set, may change its params before next sees it:
// return true to re-encode the body), and passes every message next sends
// (a JSON body, or each SSE event as it is written) through edit, with its
// index in the response; edit returns the messages to send in its place.
// A JSON body replaced by several messages becomes an SSE stream.
func rewriteMessages(next http.Handler, editReq func(q *rpcCall) bool, edit func(q *rpcCall, m map[string]any, i int) []map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &rpcCall{}
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxRewriteBody))
			if err != nil {
				http.Error(w, "read error", http.StatusBadRequest)
				return
			}
			var msg map[string]any
			if decodeJSON(body, &msg) == nil {
				q.Method, _ = msg["method"].(string)
				q.ID = msg["id"]
				q.Params, _ = msg["params"].(map[string]any)
				if q.Params == nil {
					q.Params = map[string]any{}
				}
				if editReq != nil && editReq(q) {
					msg["params"] = q.Params
					if b, err := json.Marshal(msg); err == nil {
						body = b
					}
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		rw := &rewriteWriter{w: w, q: q, edit: edit}
		next.ServeHTTP(rw, r)
		rw.finish()
	})
}

// rewriteWriter passes the messages of a response through edit: SSE events
// as they are written (streams stay live), a JSON body at the end.
type rewriteWriter struct {
	w      http.ResponseWriter
	q      *rpcCall
	edit   func(q *rpcCall, m map[string]any, i int) []map[string]any
	status int
	wrote  bool
	sse    bool
	buf    bytes.Buffer
	n      int
}

func (rw *rewriteWriter) Header() http.Header { return rw.w.Header() }

func (rw *rewriteWriter) WriteHeader(code int) {
	if rw.wrote {
		return
	}
	rw.wrote, rw.status = true, code
	rw.sse = strings.HasPrefix(rw.w.Header().Get("Content-Type"), "text/event-stream")
	rw.w.Header().Del("Content-Length")
	if rw.sse {
		rw.w.WriteHeader(code)
	}
}

func (rw *rewriteWriter) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	rw.buf.Write(b)
	if rw.sse {
		if err := rw.drain(false); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// FlushError implements the flush of http.ResponseController.
func (rw *rewriteWriter) FlushError() error {
	if !rw.sse {
		return nil
	}
	if err := rw.drain(false); err != nil {
		return err
	}
	return http.NewResponseController(rw.w).Flush()
}

// editOne passes one raw message through edit and encodes the result.
func (rw *rewriteWriter) editOne(raw []byte) [][]byte {
	var m map[string]any
	if decodeJSON(raw, &m) != nil {
		return [][]byte{raw}
	}
	out := rw.edit(rw.q, m, rw.n)
	rw.n++
	var bs [][]byte
	for _, o := range out {
		if b, err := json.Marshal(o); err == nil {
			bs = append(bs, b)
		}
	}
	return bs
}

// drain rewrites the complete SSE events in buf (all of it at the end).
func (rw *rewriteWriter) drain(final bool) error {
	for {
		data := rw.buf.Bytes()
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 {
			if final && len(data) > 0 {
				_, err := rw.w.Write(data)
				rw.buf.Reset()
				return err
			}
			return nil
		}
		block := append([]byte(nil), data[:i]...)
		rw.buf.Next(i + 2)
		var payload [][]byte
		var other []string
		for _, line := range strings.Split(string(block), "\n") {
			if v, ok := strings.CutPrefix(line, "data:"); ok {
				payload = append(payload, []byte(strings.TrimPrefix(v, " ")))
			} else {
				other = append(other, line)
			}
		}
		var out bytes.Buffer
		if len(payload) == 0 {
			out.Write(block)
			out.WriteString("\n\n")
		} else {
			for _, msg := range rw.editOne(bytes.Join(payload, []byte("\n"))) {
				for _, l := range other {
					out.WriteString(l + "\n")
				}
				out.WriteString("data: ")
				out.Write(msg)
				out.WriteString("\n\n")
			}
		}
		if _, err := rw.w.Write(out.Bytes()); err != nil {
			return err
		}
	}
}

// finish writes what is left: the rest of a stream, or the edited JSON
// body (as an SSE stream when edit made it several messages).
func (rw *rewriteWriter) finish() {
	if !rw.wrote {
		return
	}
	if rw.sse {
		_ = rw.drain(true)
		return
	}
	body := rw.buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 || !strings.HasPrefix(rw.w.Header().Get("Content-Type"), "application/json") {
		rw.w.WriteHeader(rw.status)
		rw.w.Write(body)
		return
	}
	msgs := rw.editOne(body)
	if len(msgs) == 1 {
		rw.w.WriteHeader(rw.status)
		rw.w.Write(msgs[0])
		return
	}
	rw.w.Header().Set("Content-Type", "text/event-stream")
	rw.w.WriteHeader(rw.status)
	for _, m := range msgs {
		rw.w.Write([]byte("data: "))
		rw.w.Write(m)
		rw.w.Write([]byte("\n\n"))
	}
}
