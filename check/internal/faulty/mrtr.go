package faulty

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants that break the rules of multi round-trip requests and client
// capabilities, for the checks mrtr/*.

func init() {
	inputMethods := map[string]bool{"tools/call": true, "prompts/get": true, "resources/read": true}
	Register(&Variant{
		Name:   "input-request-without-capability",
		Defect: "asks for elicitation in an InputRequiredResult from a client that did not declare the elicitation capability",
		Breaks: []spec.ID{spec.CoreMrtrCapability},
		Only:   []string{"mrtr/capabilities"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			// The server behind sees the capability declared; the client
			// (and the model) see the request as sent.
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				if method, _ := msg["method"].(string); !inputMethods[method] {
					return false
				}
				params, _ := msg["params"].(map[string]any)
				meta, _ := params["_meta"].(map[string]any)
				caps, _ := meta[wire.MetaClientCapabilities].(map[string]any)
				if caps == nil || caps["elicitation"] != nil {
					return false
				}
				caps["elicitation"] = map[string]any{}
				return true
			})
		},
	})
	Register(&Variant{
		Name:   "missing-capability-without-data",
		Defect: "MissingRequiredClientCapability (-32021) errors carry no data.requiredCapabilities",
		Breaks: []spec.ID{spec.CoreCapabilityRequired},
		Only:   []string{"mrtr/capabilities"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if e, ok := m["error"].(map[string]any); ok && codeOf(e) == -32021 {
					delete(e, "data")
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "retry-missing-input-error",
		Defect: "a retry that still lacks requested input gets an error instead of a new InputRequiredResult",
		Breaks: []spec.ID{spec.CoreMrtrAskAgain},
		Only:   []string{"mrtr/retry"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				r := resultOf(m)
				if r == nil || r["resultType"] != "input_required" || q.Params["requestState"] == nil {
					return one(m)
				}
				delete(m, "result")
				m["error"] = map[string]any{"code": -32602, "message": "Invalid params: missing input"}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "malformed-input-responses-ignored",
		Defect: "malformed inputResponses are ignored (the server asks again) instead of rejected",
		Breaks: []spec.ID{spec.CoreMrtrProtocolError},
		Only:   []string{"mrtr/retry"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				params, _ := msg["params"].(map[string]any)
				if _, isObject := params["inputResponses"].(map[string]any); params["inputResponses"] != nil && !isObject {
					delete(params, "inputResponses")
					return true
				}
				return false
			})
		},
	})
	Register(&Variant{
		Name:   "unrequested-input-response-rejected",
		Defect: "a retry whose inputResponses carry a key the server never asked for is rejected with -32602",
		Breaks: []spec.ID{spec.CoreMrtrIgnoreUnknown},
		Only:   []string{"mrtr/retry"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			var mu sync.Mutex
			asked := map[string]bool{} // every key of every inputRequests sent
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				mu.Lock()
				defer mu.Unlock()
				if reqs, ok := resultOf(m)["inputRequests"].(map[string]any); ok {
					for k := range reqs {
						asked[k] = true
					}
				}
				responses, _ := q.Params["inputResponses"].(map[string]any)
				if m["result"] == nil && m["error"] == nil {
					return one(m)
				}
				for k := range responses {
					if !asked[k] {
						return one(map[string]any{"jsonrpc": "2.0", "id": q.ID, "error": map[string]any{
							"code": -32602, "message": fmt.Sprintf("Invalid params: inputResponses[%q] answers nothing that was asked", k)}})
					}
				}
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "invalid-input-response-dropped",
		Defect: "an inputResponses entry that is not a valid result of the kind asked is dropped as if it had not been sent (the server asks again) instead of rejected",
		Breaks: []spec.ID{spec.CoreMrtrValidateResponses},
		Only:   []string{"mrtr/retry"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				msg, ok := message(r)
				params, _ := msg["params"].(map[string]any)
				responses, _ := params["inputResponses"].(map[string]any)
				if !ok || len(responses) == 0 {
					next.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				// The reference server names the entry it could not read in
				// error.data.inputResponse.
				var resp map[string]any
				if decodeJSON(rec.Body.Bytes(), &resp) == nil {
					e, _ := resp["error"].(map[string]any)
					data, _ := e["data"].(map[string]any)
					key, _ := data["inputResponse"].(string)
					if _, isObject := responses[key].(map[string]any); isObject && codeOf(e) == -32602 {
						delete(responses, key)
						if b, err := json.Marshal(msg); err == nil {
							setBody(r, b)
							next.ServeHTTP(w, r)
							return
						}
					}
				}
				relay(w, rec, rec.Code)
			})
		},
	})
}
