package faulty

import (
	"net/http"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// RejectEverything is the name of the variant that refuses every request:
// no check may pass against it (check/reject_test.go runs every check).
const RejectEverything = "reject-everything"

func init() {
	Register(&Variant{
		Name:   RejectEverything,
		Defect: "every request gets 400 and a -32020 error (with the request's id when it can be read), whatever it holds",
		// -32020 for headers that match the body misuses the code.
		Breaks: []spec.ID{spec.CoreErrorCodeMeaning},
		Only:   []string{"meta/"},
		Wrap: func(_ http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				idPart := ""
				if _, id, hasID, ok := peekRPC(r); ok && hasID {
					idPart = `"id":` + string(id) + `,`
				}
				w.Header()["Content-Type"] = []string{"application/json"}
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"jsonrpc":"2.0",` + idPart + `"error":{"code":-32020,"message":"Header mismatch: request rejected"}}`))
			})
		},
	})
}
