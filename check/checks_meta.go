package check

import (
	"fmt"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of the per-request _meta fields (basic/index.mdx, "_meta").

func init() {
	register(&Check{
		Name: "meta/required-fields",
		IDs:  []spec.ID{spec.CoreMetaRequired, spec.HttpMetaStatus},
		Run:  checkMetaRequired,
	})
}

// checkMetaRequired drops each required _meta key (and the whole _meta)
// from a request the server serves; each must be rejected with -32602 (or
// -32020 where the version header is present but the body's version is
// missing), HTTP 400. The model knows the acceptable forms.
func checkMetaRequired(e *Env) {
	b, ok := ListBaseline(e)
	if !ok {
		e.Inconclusive(spec.CoreMetaRequired, "the server did not serve the baseline request")
		return
	}
	for _, drop := range []string{wire.MetaProtocolVersion, wire.MetaClientCapabilities, "_meta"} {
		params := cloneParams(b.Params)
		meta := e.Client.Meta(nil)
		if drop == "_meta" {
			params["_meta"] = nil
			delete(params, "_meta")
		} else {
			delete(meta, drop)
			params["_meta"] = meta
		}
		req := e.Request(b.Method, params)
		if drop == "_meta" {
			req = WithBody(req, wire.MustMarshal(map[string]any{"jsonrpc": "2.0", "id": e.NextID(), "method": b.Method, "params": map[string]any{}}))
		}
		o := e.Send(req)
		what := fmt.Sprintf("%s without %s", b.Method, drop)
		e.Expect(o, spec.CoreMetaRequired, what)
		if e.Transport() == wire.HTTP {
			if _, bad := o.Violated(spec.HttpMetaStatus); !bad && o.Rejected() {
				if o.Ex.Status == 400 {
					e.Pass(spec.HttpMetaStatus, "%s: HTTP 400", what)
				}
			}
		}
	}
}
