package utilities

import (
	"fmt"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Cancellations the server must take in its stride
// (basic/patterns/cancellation.mdx): one that arrives after its request
// completed ("Timing Considerations": handled gracefully, a MUST), and
// invalid ones, for an unknown request id or malformed ("Error Handling":
// ignored, a SHOULD). Each must get no JSON-RPC response, and the server
// must go on serving: the unaltered request, served before, is served
// again after it.

func init() {
	check.Register(&check.Check{
		Name: "utilities/cancellation",
		IDs:  []spec.ID{spec.CoreCancelRace, spec.CoreCancelInvalidIgnored},
		Run:  checkCancellations,
	})
}

// checkCancellations sends late and invalid cancellations between
// requests the server serves.
func checkCancellations(e *check.Env) {
	s, ok := probe.ServedList(e)
	if !ok {
		probe.InconclusiveAll(e, []spec.ID{spec.CoreCancelRace, spec.CoreCancelInvalidIgnored}, "the server served no unaltered request")
		return
	}
	// A late cancellation: of the unaltered request, answered already.
	var id wire.RequestID
	if q := s.Obs.Ex.Request(); q != nil {
		id = q.ID
	}
	what := fmt.Sprintf("notifications/cancelled for %s %s, which was answered (%s)", s.Method, id, s.Obs.Describe())
	params := map[string]any{"requestId": id, "reason": "mcpverify: a late cancellation"}
	judgeCancel(e, s, spec.CoreCancelRace, what, params)
	for _, c := range []struct {
		what   string
		params map[string]any
	}{
		{"notifications/cancelled for a request id never sent", map[string]any{"requestId": "mcpverify-unknown-" + e.RandHex(6)}},
		{"notifications/cancelled without a requestId", map[string]any{"reason": "mcpverify: malformed"}},
		{"notifications/cancelled whose requestId is an object", map[string]any{"requestId": map[string]any{"id": 1}}},
	} {
		if e.Ctx.Err() != nil {
			return
		}
		judgeCancel(e, s, spec.CoreCancelInvalidIgnored, c.what, c.params)
	}
}

// judgeCancel sends one cancellation, then the unaltered request again:
// a JSON-RPC response to the notification, or an unaltered request no
// longer served, breaks id.
func judgeCancel(e *check.Env, s *probe.Served, id spec.ID, what string, params map[string]any) {
	mark := e.Mark()
	o := e.Send(e.Notification("notifications/cancelled", params))
	if o.Ex.Transport == wire.HTTP && !o.Answered() {
		e.Inconclusive(id, "%s: %s", what, o.Describe())
		return
	}
	for _, r := range o.Ex.Replies {
		switch r.Msg.(type) {
		case *wire.JSONRPCErrorResponse, *wire.JSONRPCResultResponse:
			e.ViolationShown(e.Since(mark), id, "%s: answered with a JSON-RPC response (%s); a cancellation gets none", what, o.Describe())
			return
		}
	}
	after := e.Send(s.Fresh(e))
	switch {
	case after.Accepted():
		e.Pass(id, "%s: no response, and %s was served again after it", what, s.Method)
	case !after.Answered():
		e.Inconclusive(id, "%s: then %s: %s", what, s.Method, after.Describe())
	default:
		e.ViolationShown(e.Since(mark), id, "%s: afterwards %s, served before it, was refused (%s)", what, s.Method, after.Describe())
	}
}
