package faulty

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the transport's generic behaviour (basic/index.mdx,
// "Messages"; basic/transports/streamable-http.mdx, "Sending Messages",
// "Protocol Version Header", "Backward Compatibility").

func init() {
	Register(&Variant{
		Name:   "unknown-method-empty-result",
		Defect: "a request for a method the server does not implement is answered with 200 and an empty (complete) result",
		Breaks: []spec.ID{spec.CoreMethodNotFound, spec.HttpMethodNotFound},
		Only:   []string{"transport/method-not-found"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				m, id, hasID, ok := peekRPC(r)
				if _, known := wire.LookupMethod(m); ok && hasID && !known {
					writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": id, "result": madeResult(nil)})
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "get-200",
		Defect: "GET on the endpoint is answered with 200 and an empty event stream, as a 2025 server opening its standalone stream",
		Breaks: []spec.ID{spec.HttpGetDelete405},
		Only:   []string{"transport/get-delete"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					w.Header()["Content-Type"] = []string{"text/event-stream"}
					w.Header()["X-Accel-Buffering"] = []string{"no"}
					w.WriteHeader(http.StatusOK)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "notification-answered",
		Defect: "a notification is answered with 200 and a JSON-RPC error response instead of 202",
		Breaks: []spec.ID{spec.HttpNotification202},
		Only:   []string{"transport/notification"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return refusing(next, http.StatusOK, wire.CodeMethodNotFound, "Method not found", func(_ string, hasID bool) bool { return !hasID })
		},
	})
	Register(&Variant{
		Name:   "parse-error-as-invalid-request",
		Defect: "answers a body that is not JSON with -32600 (Invalid Request) instead of -32700 (Parse error)",
		Breaks: []spec.ID{spec.CoreParseError},
		Only:   []string{"transport/malformed"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return errorRecoded(next, wire.CodeParseError, wire.CodeInvalidRequest)
		},
	})
	Register(&Variant{
		Name:   "jsonrpc-version-unchecked",
		Defect: "does not check the jsonrpc member: a request with \"jsonrpc\": \"1.0\" or none at all is served as a JSON-RPC 2.0 request instead of refused with -32600",
		Breaks: []spec.ID{spec.CoreInvalidRequest},
		Only:   []string{"transport/malformed"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				if _, isReq := msg["method"].(string); !isReq || msg["jsonrpc"] == "2.0" {
					return false
				}
				msg["jsonrpc"] = "2.0"
				return true
			})
		},
	})
	Register(&Variant{
		Name:   "response-id-as-float",
		Defect: "reads request ids as IEEE 754 doubles (as JavaScript does): an integer id beyond 2^53 comes back rounded, not as sent",
		Breaks: []spec.ID{spec.CoreResponseIdLarge},
		Only:   []string{"transport/large-ids"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return editMessages(next, func(m map[string]any) {
				if id, ok := m["id"].(json.Number); ok {
					if f, err := id.Float64(); err == nil {
						m["id"] = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
					}
				}
			})
		},
	})
	Register(&Variant{
		Name:   "response-id-stringified",
		Defect: "keys pending requests by the text of their id and answers with that text: an integer id comes back as a string",
		Breaks: []spec.ID{spec.CoreResponseId},
		Only:   []string{"transport/response-ids"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return editMessages(next, func(m map[string]any) {
				if id, ok := m["id"].(json.Number); ok {
					m["id"] = id.String()
				}
			})
		},
	})
	Register(&Variant{
		Name:   "sse-first-accept-no-content-type",
		Defect: "when the client's Accept lists text/event-stream before application/json, the JSON answer is sent without a Content-Type, which net/http then sniffs as text/plain",
		Breaks: []spec.ID{spec.HttpContentType},
		Only:   []string{"transport/content-type"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.Header.Get("Accept"), "text/event-stream") {
					next.ServeHTTP(w, r)
					return
				}
				rec := recorded(next, r)
				var drop []string
				if rec.Header().Get("Content-Type") == "application/json" {
					drop = append(drop, "Content-Type")
				}
				relay(w, rec, rec.Code, drop...)
			})
		},
	})
	Register(&Variant{
		Name:   "last-event-id-resumes",
		Defect: "reads a Last-Event-ID header on a POST as a request to resume a stream and refuses it (400, -32600: no such stream) instead of ignoring it",
		Breaks: []spec.ID{spec.HttpLastEventId},
		Only:   []string{"transport/last-event-id"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if v := r.Header.Get("Last-Event-ID"); v != "" && r.Method == http.MethodPost {
					msg, _ := message(r)
					writeRPCError(w, http.StatusBadRequest, hdrID(msg), wire.CodeInvalidRequest, "Invalid Request: no stream to resume from event "+strconv.Quote(v))
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
}
