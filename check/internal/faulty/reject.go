package faulty

import (
	"net/http"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
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
				_, id, _, _ := peekRPC(r) // nil when the request has no id
				writeRPCError(w, http.StatusBadRequest, id, wire.CodeHeaderMismatch, "Header mismatch: request rejected")
			})
		},
	})
}
