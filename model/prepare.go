package model

import (
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Prepare decodes an exchange (wire.Exchange.Decode) and validates every
// message the server sent against its definition in schema.json, storing
// the outcome in Reply.SchemaErr. Step calls it; callers that measure or
// replay may call it beforehand. It is idempotent.
func Prepare(ex *wire.Exchange) {
	if ex.Prepared() {
		return
	}
	ex.Decode()
	method := ex.Method()
	info, _ := wire.LookupMethod(method)
	for i := range ex.Replies {
		r := &ex.Replies[i]
		if r.Msg == nil {
			continue
		}
		def := definitionOf(r.Msg, info)
		if def == "" {
			continue
		}
		raw := r.Raw
		if e, ok := r.Msg.(*wire.JSONRPCErrorResponse); ok && e.ID.IsZero() {
			// JSON-RPC 2.0 writes "id": null when the request's id could
			// not be read; schema.json omits it instead. Both say the same.
			raw = wire.MustMarshal(e)
		}
		if err := spec.Validate(def, raw); err != nil {
			r.SchemaErr = err
		}
	}
	ex.MarkPrepared()
}

// definitionOf names the schema.json definition a server message must
// validate against: the method's result response, the definition of a
// specified error, or the definition of a known notification.
func definitionOf(m wire.Message, info *wire.MethodInfo) string {
	switch m := m.(type) {
	case *wire.JSONRPCResultResponse:
		if info != nil && info.TaskAugmentable {
			// A CreateTaskResult is no result schema.json defines: the
			// tasks rules judge it (tasks.go).
			if rt, _ := peekResultType(m.Result); rt == wire.ResultTask {
				return "JSONRPCResultResponse"
			}
		}
		if info != nil && info.ResultDef != "" {
			return info.ResultDef
		}
		return "JSONRPCResultResponse"
	case *wire.JSONRPCErrorResponse:
		switch m.Error.Code {
		case wire.CodeHeaderMismatch:
			return "HeaderMismatchError"
		case wire.CodeMissingRequiredClientCapability:
			return "MissingRequiredClientCapabilityError"
		case wire.CodeUnsupportedProtocolVersion:
			return "UnsupportedProtocolVersionError"
		}
		return "JSONRPCErrorResponse"
	case *wire.JSONRPCNotification:
		if n, ok := wire.LookupServerNotification(m.Method); ok && n.RequestDef != "" {
			return n.RequestDef
		}
		return "JSONRPCNotification"
	case *wire.JSONRPCRequest:
		return "JSONRPCRequest"
	}
	return ""
}
