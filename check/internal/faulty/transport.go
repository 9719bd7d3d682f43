package faulty

import (
	"net/http"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the transport's generic behaviour
// (basic/transports/streamable-http.mdx, "Sending Messages", "Protocol
// Version Header", "Backward Compatibility").

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
					w.Header()["Content-Type"] = []string{"application/json"}
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(id) + `,"result":{"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"faulty","version":"0"}}}}`))
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
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, _, hasID, ok := peekRPC(r); ok && !hasID {
					w.Header()["Content-Type"] = []string{"application/json"}
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte(`{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"}}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
}
