package impl

import (
	"bytes"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpverify/mcpverify/wire"
)

// The params of each client request, decoded strictly by wire.Unmarshal in
// one pass (types checked there), then checked for the members the method
// requires by validate. Members a method does not take are ignored (the
// schema leaves params open), but kept in Extra, so that the strict policy
// refuses one whose name differs from a member's only in case ("Name",
// "Arguments", "_META"): a case-insensitive parser would read it as that
// member. Before decoding, prepare refuses any object of the params, at
// any depth (arguments included), with two names equal under case folding
// (wire.CheckNameFolds); duplicate names are refused with the message.

// reqParams is the params of one request.
type reqParams interface {
	getMeta() *wire.RequestMetaObject
	// validate checks what decoding cannot: required members, and the shape
	// of members kept raw. Errors are -32602 with HTTP 400.
	validate() *rpcError
}

// metaParams are the params of a request that takes only _meta
// (server/discover), and the params read of an unknown method.
type metaParams struct {
	Meta  *wire.RequestMetaObject `json:"_meta"`
	Extra wire.Object             `json:",embed"`
}

func (p *metaParams) getMeta() *wire.RequestMetaObject { return p.Meta }
func (p *metaParams) validate() *rpcError              { return nil }

// listParams are the params of a paginated list request.
type listParams struct {
	Meta   *wire.RequestMetaObject `json:"_meta"`
	Extra  wire.Object             `json:",embed"`
	Cursor *string                 `json:"cursor"`
}

func (p *listParams) getMeta() *wire.RequestMetaObject { return p.Meta }
func (p *listParams) validate() *rpcError              { return nil }

// mrtrRequest is implemented by the params of the requests that may be
// retried with input (basic/patterns/mrtr.mdx): they carry inputResponses
// (kept raw in the params, checked by decodeInputResponses) and
// requestState.
type mrtrRequest interface {
	inputResponses() map[string]wire.Value
	requestState() *string
}

// decodeInputResponses checks that raw is an InputResponses map: an object
// whose values are result objects. Absent is nil.
func decodeInputResponses(raw wire.Value) (map[string]wire.Value, *rpcError) {
	if raw == nil {
		return nil, nil
	}
	if raw.Kind() != '{' {
		return nil, errBadParams("inputResponses must be an object mapping the keys of inputRequests to results, not %s", wire.KindName(raw))
	}
	var m map[string]wire.Value
	if err := wire.Unmarshal(raw, &m); err != nil {
		return nil, errBadParams("inputResponses: %v", cleanDecodeError(err))
	}
	for k, v := range m {
		if v.Kind() != '{' {
			return nil, errBadParams("inputResponses[%q] must be a result object (ElicitResult, CreateMessageResult or ListRootsResult), not %s", k, wire.KindName(v))
		}
	}
	return m, nil
}

// callToolParams are the params of tools/call.
type callToolParams struct {
	Meta           *wire.RequestMetaObject `json:"_meta"`
	Extra          wire.Object             `json:",embed"`
	Name           *string                 `json:"name"`
	Arguments      wire.Value              `json:"arguments"`
	InputResponses wire.Value              `json:"inputResponses"`
	RequestState   *string                 `json:"requestState"`

	responses map[string]wire.Value
	// args is Arguments decoded for validation and the tool (numbers as
	// json.Number); nil when absent.
	args map[string]any
}

func (p *callToolParams) getMeta() *wire.RequestMetaObject { return p.Meta }

func (p *callToolParams) validate() *rpcError {
	if p.Name == nil {
		return errBadParams("params.name is required")
	}
	if p.Arguments != nil {
		if p.Arguments.Kind() != '{' {
			return errBadParams("params.arguments must be an object, not %s", wire.KindName(p.Arguments))
		}
		if isEmptyObject(p.Arguments) {
			// The common call without arguments: nothing to decode.
			p.args = map[string]any{}
			return p.finishMRTR()
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(p.Arguments))
		if err != nil {
			return errBadParams("params.arguments: %v", err)
		}
		p.args, _ = v.(map[string]any)
	}
	return p.finishMRTR()
}

func (p *callToolParams) finishMRTR() *rpcError {
	var err *rpcError
	p.responses, err = decodeInputResponses(p.InputResponses)
	return err
}

// isEmptyObject reports whether a valid JSON object has no members.
func isEmptyObject(v wire.Value) bool {
	for _, c := range v[1 : len(v)-1] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func (p *callToolParams) inputResponses() map[string]wire.Value { return p.responses }
func (p *callToolParams) requestState() *string                 { return p.RequestState }

// getPromptParams are the params of prompts/get.
type getPromptParams struct {
	Meta           *wire.RequestMetaObject `json:"_meta"`
	Extra          wire.Object             `json:",embed"`
	Name           *string                 `json:"name"`
	Arguments      map[string]string       `json:"arguments"`
	InputResponses wire.Value              `json:"inputResponses"`
	RequestState   *string                 `json:"requestState"`

	responses map[string]wire.Value
}

func (p *getPromptParams) getMeta() *wire.RequestMetaObject { return p.Meta }

func (p *getPromptParams) validate() *rpcError {
	if p.Name == nil {
		return errBadParams("params.name is required")
	}
	var err *rpcError
	p.responses, err = decodeInputResponses(p.InputResponses)
	return err
}

func (p *getPromptParams) inputResponses() map[string]wire.Value { return p.responses }
func (p *getPromptParams) requestState() *string                 { return p.RequestState }

// readResourceParams are the params of resources/read.
type readResourceParams struct {
	Meta           *wire.RequestMetaObject `json:"_meta"`
	Extra          wire.Object             `json:",embed"`
	URI            *string                 `json:"uri"`
	InputResponses wire.Value              `json:"inputResponses"`
	RequestState   *string                 `json:"requestState"`

	responses map[string]wire.Value
}

func (p *readResourceParams) getMeta() *wire.RequestMetaObject { return p.Meta }

func (p *readResourceParams) validate() *rpcError {
	if p.URI == nil {
		return errBadParams("params.uri is required")
	}
	var err *rpcError
	p.responses, err = decodeInputResponses(p.InputResponses)
	return err
}

func (p *readResourceParams) inputResponses() map[string]wire.Value { return p.responses }
func (p *readResourceParams) requestState() *string                 { return p.RequestState }

// completeParams are the params of completion/complete.
type completeParams struct {
	Meta     *wire.RequestMetaObject `json:"_meta"`
	Extra    wire.Object             `json:",embed"`
	Ref      *completeRef            `json:"ref"`
	Argument *completeArgument       `json:"argument"`
	Context  *struct {
		Arguments map[string]string `json:"arguments"`
		Extra     wire.Object       `json:",embed"`
	} `json:"context"`
}

type completeRef struct {
	Type  string      `json:"type"`
	Name  string      `json:"name"`
	URI   string      `json:"uri"`
	Extra wire.Object `json:",embed"`
}

type completeArgument struct {
	Name  *string     `json:"name"`
	Value *string     `json:"value"`
	Extra wire.Object `json:",embed"`
}

func (p *completeParams) getMeta() *wire.RequestMetaObject { return p.Meta }

func (p *completeParams) validate() *rpcError {
	if p.Ref == nil {
		return errBadParams("params.ref is required")
	}
	switch p.Ref.Type {
	case "ref/prompt":
		if p.Ref.Name == "" {
			return errBadParams("params.ref.name is required for ref/prompt")
		}
	case "ref/resource":
		if p.Ref.URI == "" {
			return errBadParams("params.ref.uri is required for ref/resource")
		}
	default:
		return errBadParams("params.ref.type is %q; want \"ref/prompt\" or \"ref/resource\"", p.Ref.Type)
	}
	if p.Argument == nil || p.Argument.Name == nil || p.Argument.Value == nil {
		return errBadParams("params.argument with name and value is required")
	}
	return nil
}

// listenParams are the params of subscriptions/listen.
type listenParams struct {
	Meta          *wire.RequestMetaObject  `json:"_meta"`
	Extra         wire.Object              `json:",embed"`
	Notifications *wire.SubscriptionFilter `json:"notifications"`
}

func (p *listenParams) getMeta() *wire.RequestMetaObject { return p.Meta }

func (p *listenParams) validate() *rpcError {
	if p.Notifications == nil {
		return errBadParams("params.notifications is required (the notification types to receive)")
	}
	return nil
}
