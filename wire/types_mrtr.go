package wire

import (
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Multi-round-trip requests (MRTR): the requests a server embeds in an
// InputRequiredResult (elicitation, sampling, roots) and the client's
// answers, sent back in the retried request's inputResponses.

// InputRequest is a request a server embeds in an InputRequiredResult:
// *ElicitRequest, *CreateMessageRequest or *ListRootsRequest. It decodes
// by its method; an unknown method is an error.
type InputRequest interface{ isInputRequest() }

func (*ElicitRequest) isInputRequest()        {}
func (*CreateMessageRequest) isInputRequest() {}
func (*ListRootsRequest) isInputRequest()     {}

// InputRequests maps keys the server chose to the requests it needs
// answered.
type InputRequests map[string]InputRequest

// InputResponse is a client's answer to one InputRequest: *ElicitResult,
// *CreateMessageResult or *ListRootsResult. The schema gives no
// discriminator; it decodes by shape: "action" makes an ElicitResult,
// "roots" a ListRootsResult, and "model", "role" or "content" a
// CreateMessageResult. Members of more than one shape, or of none, are an
// error; a server that knows which request it asked can check the type.
type InputResponse interface{ isInputResponse() }

func (*ElicitResult) isInputResponse()        {}
func (*CreateMessageResult) isInputResponse() {}
func (*ListRootsResult) isInputResponse()     {}

// InputResponses maps the keys of an InputRequests to the client's answers.
type InputResponses map[string]InputResponse

// UnmarshalJSONFrom implements json.UnmarshalerFrom: the map decodes as any
// map does, with decodeOpts whatever the caller's options, so that the
// params types that hold it need no union functions (see decodeOptsFor).
func (r *InputResponses) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return json.UnmarshalDecode(dec, (*map[string]InputResponse)(r), decodeOpts)
}

// InputResponseRequestParams is the shape of the params of a retried
// request: the answers and the echoed requestState.
type InputResponseRequestParams struct {
	Meta           *RequestMetaObject `json:"_meta,omitzero"`
	InputResponses InputResponses     `json:"inputResponses,omitzero"`
	RequestState   *string            `json:"requestState,omitzero"`
	Extra          Object             `json:",embed"`
}

// ElicitRequest asks the client to elicit information from the user.
// Method is "elicitation/create".
type ElicitRequest struct {
	Method string              `json:"method"`
	Params ElicitRequestParams `json:"params,omitzero"`
	Extra  Object              `json:",embed"`
}

// ElicitRequestParams are the params of an ElicitRequest:
// *ElicitRequestFormParams or *ElicitRequestURLParams. It decodes by its
// "mode": "form" or absent makes form params, "url" URL params, and any
// other mode is an error.
type ElicitRequestParams interface{ isElicitRequestParams() }

func (*ElicitRequestFormParams) isElicitRequestParams() {}
func (*ElicitRequestURLParams) isElicitRequestParams()  {}

// ElicitRequestFormParams ask for non-sensitive data through a form.
// Mode is "form" or "" (absent; form is the default).
type ElicitRequestFormParams struct {
	Message         string          `json:"message"`
	Mode            string          `json:"mode,omitzero"`
	RequestedSchema RequestedSchema `json:"requestedSchema"`
	Extra           Object          `json:",embed"`
}

// RequestedSchema is the restricted JSON Schema of an elicitation form:
// an object of primitive properties, without nesting. Type is "object".
type RequestedSchema struct {
	Schema     string                               `json:"$schema,omitzero"`
	Properties map[string]PrimitiveSchemaDefinition `json:"properties"`
	Required   []string                             `json:"required,omitzero"`
	Type       string                               `json:"type"`
	Extra      Object                               `json:",embed"`
}

// ElicitRequestURLParams send the user to a URL, out of band. Mode is
// "url".
type ElicitRequestURLParams struct {
	Message string `json:"message"`
	Mode    string `json:"mode"`
	URL     string `json:"url"`
	Extra   Object `json:",embed"`
}

// ElicitResult is the client's answer to an ElicitRequest. Action is
// "accept", "decline" or "cancel"; Content (form mode, accept only) maps
// property names to raw values (a string, integer, boolean or array of
// strings).
type ElicitResult struct {
	Action  string           `json:"action"`
	Content map[string]Value `json:"content,omitzero"`
	Extra   Object           `json:",embed"`
}

// CreateMessageRequest asks the client to sample from a model. Method is
// "sampling/createMessage".
type CreateMessageRequest struct {
	Method string                     `json:"method"`
	Params CreateMessageRequestParams `json:"params"`
	Extra  Object                     `json:",embed"`
}

// CreateMessageRequestParams are the params of a sampling request.
type CreateMessageRequestParams struct {
	IncludeContext   string            `json:"includeContext,omitzero"`
	MaxTokens        int64             `json:"maxTokens"`
	Messages         []SamplingMessage `json:"messages"`
	Metadata         JSONObject        `json:"metadata,omitzero"`
	ModelPreferences *ModelPreferences `json:"modelPreferences,omitzero"`
	StopSequences    []string          `json:"stopSequences,omitzero"`
	SystemPrompt     string            `json:"systemPrompt,omitzero"`
	Temperature      *float64          `json:"temperature,omitzero"`
	ToolChoice       *ToolChoice       `json:"toolChoice,omitzero"`
	Tools            []Tool            `json:"tools,omitzero"`
	Extra            Object            `json:",embed"`
}

// CreateMessageResult is the client's answer to a CreateMessageRequest.
type CreateMessageResult struct {
	Meta       MetaObject      `json:"_meta,omitzero"`
	Content    SamplingContent `json:"content"`
	Model      string          `json:"model"`
	Role       string          `json:"role"`
	StopReason string          `json:"stopReason,omitzero"`
	Extra      Object          `json:",embed"`
}

// SamplingMessage is one message of a sampling conversation.
type SamplingMessage struct {
	Meta    MetaObject      `json:"_meta,omitzero"`
	Content SamplingContent `json:"content"`
	Role    string          `json:"role"`
	Extra   Object          `json:",embed"`
}

// SamplingContent is the content of a SamplingMessage or a
// CreateMessageResult, which the schema allows as one block or an array of
// blocks. Array records the form: content of exactly one block with Array
// false encodes as a bare block, anything else as an array.
type SamplingContent struct {
	Blocks []SamplingMessageContentBlock
	Array  bool
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom: an object is one
// block, an array a list of blocks; anything else is an error. The blocks
// decode with decodeOpts whatever the caller's options (see
// decodeOptsFor).
func (c *SamplingContent) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch k := dec.PeekKind(); k {
	case '[':
		var blocks []SamplingMessageContentBlock
		if err := json.UnmarshalDecode(dec, &blocks, decodeOpts); err != nil {
			return err
		}
		*c = SamplingContent{Blocks: blocks, Array: true}
		return nil
	case '{':
		var b SamplingMessageContentBlock
		if err := json.UnmarshalDecode(dec, &b, decodeOpts); err != nil {
			return err
		}
		*c = SamplingContent{Blocks: []SamplingMessageContentBlock{b}}
		return nil
	default:
		return fmt.Errorf("sampling content is %s; want a content block or an array of them", kindName(k))
	}
}

// MarshalJSONTo implements json.MarshalerTo.
func (c SamplingContent) MarshalJSONTo(enc *jsontext.Encoder) error {
	if !c.Array && len(c.Blocks) == 1 {
		return json.MarshalEncode(enc, c.Blocks[0])
	}
	if c.Blocks == nil {
		return json.MarshalEncode(enc, []SamplingMessageContentBlock{})
	}
	return json.MarshalEncode(enc, c.Blocks)
}

// ModelPreferences are the server's advice on model choice; priorities are
// in [0, 1] and nil when absent.
type ModelPreferences struct {
	CostPriority         *float64    `json:"costPriority,omitzero"`
	Hints                []ModelHint `json:"hints,omitzero"`
	IntelligencePriority *float64    `json:"intelligencePriority,omitzero"`
	SpeedPriority        *float64    `json:"speedPriority,omitzero"`
	Extra                Object      `json:",embed"`
}

// ModelHint suggests a model by (a substring of) its name.
type ModelHint struct {
	Name  string `json:"name,omitzero"`
	Extra Object `json:",embed"`
}

// ToolChoice says whether the model may, must or must not use tools:
// Mode is "auto", "required" or "none".
type ToolChoice struct {
	Mode  string `json:"mode,omitzero"`
	Extra Object `json:",embed"`
}

// ListRootsRequest asks the client for its roots. Method is "roots/list".
type ListRootsRequest struct {
	Method string                  `json:"method"`
	Params *ListRootsRequestParams `json:"params,omitzero"`
	Extra  Object                  `json:",embed"`
}

// ListRootsRequestParams are the optional params of a ListRootsRequest.
type ListRootsRequestParams struct {
	Meta  MetaObject `json:"_meta,omitzero"`
	Extra Object     `json:",embed"`
}

// ListRootsResult is the client's answer to a ListRootsRequest.
type ListRootsResult struct {
	Roots []Root `json:"roots"`
	Extra Object `json:",embed"`
}

// Root is a directory or file the server may operate on; URI is a file://
// URI in this revision.
type Root struct {
	Meta  MetaObject `json:"_meta,omitzero"`
	Name  string     `json:"name,omitzero"`
	URI   string     `json:"uri"`
	Extra Object     `json:",embed"`
}
