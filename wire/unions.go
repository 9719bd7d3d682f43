package wire

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Decoding of the sealed unions. Each union is an interface type; the
// functions here are registered for them in the strict policy, so a
// member of a union type decodes wherever it appears. Every function reads
// one JSON value from the decoder it is given (which has already checked
// its syntax, duplicate names and UTF-8), picks the variant by the
// discriminator or shape the schema defines, and decodes the value into it
// with the decoder's options. Unknown discriminators are errors.

var unionUnmarshalers = json.JoinUnmarshalers(
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *ContentBlock) error {
		return decodeTagged(dec, v, "content block", tagType, contentBlockVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *SamplingMessageContentBlock) error {
		return decodeTagged(dec, v, "sampling content block", tagType, samplingBlockVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *PromptOrResourceTemplateReference) error {
		return decodeTagged(dec, v, "reference", tagType, referenceVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *InputRequest) error {
		return decodeTagged(dec, v, "input request", tagMethod, inputRequestVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *ElicitRequestParams) error {
		return decodeTagged(dec, v, "elicitation params", tagMode, elicitParamsVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *ClientRequest) error {
		return decodeTagged(dec, v, "client request", tagMethod, clientRequestVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *ServerNotification) error {
		return decodeTagged(dec, v, "server notification", tagMethod, serverNotificationVariants)
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *ServerResult) error {
		return decodeServerResult(dec, v, func() ServerResult { return new(Result) })
	}),
	json.UnmarshalFromFunc(decodeTextOrBlob),
	json.UnmarshalFromFunc(decodeInputResponse),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *PrimitiveSchemaDefinition) error {
		return decodeSchema(dec, v, "primitive schema")
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *EnumSchema) error {
		return decodeSchema(dec, v, "enum schema")
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *SingleSelectEnumSchema) error {
		return decodeSchema(dec, v, "single-select enum schema")
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *MultiSelectEnumSchema) error {
		return decodeSchema(dec, v, "multi-select enum schema")
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *Message) error {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		m, err := decodeMessage(raw, dec.Options())
		if err != nil {
			return err
		}
		*v = m
		return nil
	}),
	json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *JSONRPCResponse) error {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		m, err := decodeMessage(raw, dec.Options())
		if err != nil {
			return err
		}
		r, ok := m.(JSONRPCResponse)
		if !ok {
			return fmt.Errorf("%w: want a result or error response", ErrNotMessage)
		}
		*v = r
		return nil
	}),
)

// variant is one alternative of a tagged union: its discriminator value
// and a constructor.
type variant[U any] struct {
	tag string
	new func() U
}

// A union's tables list the variants in schema order (the order errors
// name them in).
var (
	contentBlockVariants = []variant[ContentBlock]{
		{"text", func() ContentBlock { return new(TextContent) }},
		{"image", func() ContentBlock { return new(ImageContent) }},
		{"audio", func() ContentBlock { return new(AudioContent) }},
		{"resource_link", func() ContentBlock { return new(ResourceLink) }},
		{"resource", func() ContentBlock { return new(EmbeddedResource) }},
	}
	samplingBlockVariants = []variant[SamplingMessageContentBlock]{
		{"text", func() SamplingMessageContentBlock { return new(TextContent) }},
		{"image", func() SamplingMessageContentBlock { return new(ImageContent) }},
		{"audio", func() SamplingMessageContentBlock { return new(AudioContent) }},
		{"tool_use", func() SamplingMessageContentBlock { return new(ToolUseContent) }},
		{"tool_result", func() SamplingMessageContentBlock { return new(ToolResultContent) }},
	}
	referenceVariants = []variant[PromptOrResourceTemplateReference]{
		{"ref/prompt", func() PromptOrResourceTemplateReference { return new(PromptReference) }},
		{"ref/resource", func() PromptOrResourceTemplateReference { return new(ResourceTemplateReference) }},
	}
	inputRequestVariants = []variant[InputRequest]{
		{"elicitation/create", func() InputRequest { return new(ElicitRequest) }},
		{"sampling/createMessage", func() InputRequest { return new(CreateMessageRequest) }},
		{"roots/list", func() InputRequest { return new(ListRootsRequest) }},
	}
	// The tag "" stands for an absent mode: form is the default.
	elicitParamsVariants = []variant[ElicitRequestParams]{
		{"form", func() ElicitRequestParams { return new(ElicitRequestFormParams) }},
		{"url", func() ElicitRequestParams { return new(ElicitRequestURLParams) }},
		{"", func() ElicitRequestParams { return new(ElicitRequestFormParams) }},
	}
	clientRequestVariants = []variant[ClientRequest]{
		{"server/discover", func() ClientRequest { return new(DiscoverRequest) }},
		{"resources/list", func() ClientRequest { return new(ListResourcesRequest) }},
		{"resources/templates/list", func() ClientRequest { return new(ListResourceTemplatesRequest) }},
		{"resources/read", func() ClientRequest { return new(ReadResourceRequest) }},
		{"subscriptions/listen", func() ClientRequest { return new(SubscriptionsListenRequest) }},
		{"prompts/list", func() ClientRequest { return new(ListPromptsRequest) }},
		{"prompts/get", func() ClientRequest { return new(GetPromptRequest) }},
		{"tools/list", func() ClientRequest { return new(ListToolsRequest) }},
		{"tools/call", func() ClientRequest { return new(CallToolRequest) }},
		{"completion/complete", func() ClientRequest { return new(CompleteRequest) }},
	}
	serverNotificationVariants = []variant[ServerNotification]{
		{"notifications/cancelled", func() ServerNotification { return new(CancelledNotification) }},
		{"notifications/progress", func() ServerNotification { return new(ProgressNotification) }},
		{"notifications/resources/list_changed", func() ServerNotification { return new(ResourceListChangedNotification) }},
		{"notifications/subscriptions/acknowledged", func() ServerNotification { return new(SubscriptionsAcknowledgedNotification) }},
		{"notifications/resources/updated", func() ServerNotification { return new(ResourceUpdatedNotification) }},
		{"notifications/prompts/list_changed", func() ServerNotification { return new(PromptListChangedNotification) }},
		{"notifications/tools/list_changed", func() ServerNotification { return new(ToolListChangedNotification) }},
		{"notifications/message", func() ServerNotification { return new(LoggingMessageNotification) }},
	}
)

// Discriminator members. Each peek type decodes only its member (other
// members are skipped), so reading the tag costs one scan of the value.
type (
	peekType struct {
		V *string `json:"type"`
	}
	peekMethod struct {
		V *string `json:"method"`
	}
	peekMode struct {
		V *string `json:"mode"`
	}
	peekResultType struct {
		V *string `json:"resultType"`
	}
)

// tagReader reads one discriminator member of a JSON object.
type tagReader struct {
	name string
	read func(raw Value, opts json.Options) (*string, error)
}

var (
	tagType = tagReader{"type", func(raw Value, opts json.Options) (*string, error) {
		var p peekType
		err := json.Unmarshal(raw, &p, opts)
		return p.V, err
	}}
	tagMethod = tagReader{"method", func(raw Value, opts json.Options) (*string, error) {
		var p peekMethod
		err := json.Unmarshal(raw, &p, opts)
		return p.V, err
	}}
	tagMode = tagReader{"mode", func(raw Value, opts json.Options) (*string, error) {
		var p peekMode
		err := json.Unmarshal(raw, &p, opts)
		return p.V, err
	}}
	tagResultType = tagReader{"resultType", func(raw Value, opts json.Options) (*string, error) {
		var p peekResultType
		err := json.Unmarshal(raw, &p, opts)
		return p.V, err
	}}
)

// readFrom reads the tag of the object raw: by a peek, or, when the peek
// cannot tell, strictly (which reports what is wrong). present is false
// when the object has no such member.
func (tr tagReader) readFrom(raw Value, opts json.Options) (key []byte, present bool, err error) {
	if key, present, ok := peekMember(raw, tr.name); ok {
		return key, present, nil
	}
	t, err := tr.read(raw, opts)
	if err != nil || t == nil {
		return nil, false, err
	}
	return []byte(*t), true, nil
}

// readObject reads the next value of dec, which must be an object.
func readObject(dec *jsontext.Decoder, what string) (Value, error) {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadValue() // report the syntax or I/O error
			return nil, err
		}
		return nil, fmt.Errorf("%s is %s; want an object", what, kindName(k))
	}
	return dec.ReadValue()
}

// decodeTagged decodes a union whose variant is named by the string member
// tag. A variant with tag "" is the default when the member is absent;
// without one, an absent member is an error.
//
// The variant is found by peeking at the value in dec's buffer and then
// decoded from dec itself, so the value is decoded strictly once. When the
// peek cannot tell, or names no variant, the value is read whole and its
// tag decoded strictly, which reports what is wrong with it.
func decodeTagged[U any](dec *jsontext.Decoder, v *U, what string, tag tagReader, variants []variant[U]) error {
	if dec.PeekKind() == '{' {
		if key, present, ok := peekMember(unreadValue(dec), tag.name); ok {
			if vr, found := pickVariant(variants, key, present); found {
				u := vr.new()
				if err := json.UnmarshalDecode(dec, u); err != nil {
					return variantErr(u, err)
				}
				*v = u
				return nil
			}
		}
	}
	raw, err := readObject(dec, what)
	if err != nil {
		return err
	}
	opts := dec.Options()
	t, err := tag.read(raw, opts)
	if err != nil {
		return err
	}
	var key []byte
	if t != nil {
		key = []byte(*t)
	}
	if vr, found := pickVariant(variants, key, t != nil); found {
		u := vr.new()
		if err := json.Unmarshal(raw, u, opts); err != nil {
			return variantErr(u, err)
		}
		*v = u
		return nil
	}
	var names []string
	for _, vr := range variants {
		if vr.tag != "" {
			names = append(names, fmt.Sprintf("%q", vr.tag))
		}
	}
	if t == nil {
		return fmt.Errorf("%s without %q; want %s %s", what, tag.name, tag.name, orList(names))
	}
	return fmt.Errorf("%s with unknown %s %q; want %s", what, tag.name, key, orList(names))
}

// pickVariant returns the variant whose tag is key, or, when the tag is
// not present, the variant with tag "".
func pickVariant[U any](variants []variant[U], key []byte, present bool) (variant[U], bool) {
	for _, vr := range variants {
		if (present && vr.tag != "" && vr.tag == string(key)) || (!present && vr.tag == "") {
			return vr, true
		}
	}
	return variant[U]{}, false
}

// decodeServerResult decodes a result by its resultType: an
// *InputRequiredResult for "input_required", a *CreateTaskResult for
// "task", otherwise (absent included,
// which means "complete") the value complete returns. Like decodeTagged,
// it decodes the value from dec when a peek finds the resultType.
func decodeServerResult(dec *jsontext.Decoder, v *ServerResult, complete func() ServerResult) error {
	if dec.PeekKind() == '{' {
		if key, present, ok := peekMember(unreadValue(dec), tagResultType.name); ok {
			r := serverResultFor(key, present, complete)
			if err := json.UnmarshalDecode(dec, r); err != nil {
				return variantErr(r, err)
			}
			*v = r
			return nil
		}
	}
	raw, err := readObject(dec, "result")
	if err != nil {
		return err
	}
	r, err := serverResultFrom(raw, dec.Options(), complete)
	if err != nil {
		return err
	}
	*v = r
	return nil
}

func serverResultFrom(raw Value, opts json.Options, complete func() ServerResult) (ServerResult, error) {
	if k := raw.Kind(); k != '{' {
		return nil, fmt.Errorf("result is %s; want an object", kindName(k))
	}
	key, present, err := tagResultType.readFrom(raw, opts)
	if err != nil {
		return nil, err
	}
	r := serverResultFor(key, present, complete)
	if err := json.Unmarshal(raw, r, opts); err != nil {
		return nil, variantErr(r, err)
	}
	return r, nil
}

// serverResultFor returns a new result of the type the resultType names.
func serverResultFor(key []byte, present bool, complete func() ServerResult) ServerResult {
	if present && string(key) == ResultInputRequired {
		return new(InputRequiredResult)
	}
	if present && string(key) == ResultTask {
		return new(CreateTaskResult)
	}
	return complete()
}

// inputResultResponse is the shape of the responses whose result may be an
// InputRequiredResult (tools/call, prompts/get, resources/read).
type inputResultResponse struct {
	JSONRPC string       `json:"jsonrpc"`
	ID      RequestID    `json:"id,omitzero"`
	Result  ServerResult `json:"result,omitzero"`
	Extra   Object       `json:",embed"`
}

// decode decodes the response from dec; the result decodes with decodeOpts
// whatever the caller's options (see decodeOptsFor).
func (r *inputResultResponse) decode(dec *jsontext.Decoder, complete func() ServerResult) error {
	var raw struct {
		JSONRPC string    `json:"jsonrpc"`
		ID      RequestID `json:"id"`
		Result  Value     `json:"result"`
		Extra   Object    `json:",embed"`
	}
	if err := json.UnmarshalDecode(dec, &raw); err != nil {
		return err
	}
	var res ServerResult
	if raw.Result != nil {
		var err error
		if res, err = serverResultFrom(raw.Result, decodeOpts, complete); err != nil {
			return fmt.Errorf("result: %w", err)
		}
	}
	*r = inputResultResponse{JSONRPC: raw.JSONRPC, ID: raw.ID, Result: res, Extra: raw.Extra}
	return nil
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom: Result decodes as a
// *CallToolResult or, for resultType "input_required", an
// *InputRequiredResult.
func (r *CallToolResultResponse) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return (*inputResultResponse)(r).decode(dec, func() ServerResult { return new(CallToolResult) })
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom: Result decodes as a
// *GetPromptResult or, for resultType "input_required", an
// *InputRequiredResult.
func (r *GetPromptResultResponse) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return (*inputResultResponse)(r).decode(dec, func() ServerResult { return new(GetPromptResult) })
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom: Result decodes as a
// *ReadResourceResult or, for resultType "input_required", an
// *InputRequiredResult.
func (r *ReadResourceResultResponse) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return (*inputResultResponse)(r).decode(dec, func() ServerResult { return new(ReadResourceResult) })
}

// present records whether a member occurs, skipping its value.
type present bool

func (p *present) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*p = true
	return dec.SkipValue()
}

func decodeTextOrBlob(dec *jsontext.Decoder, v *TextOrBlobResourceContents) error {
	raw, err := readObject(dec, "resource contents")
	if err != nil {
		return err
	}
	opts := dec.Options()
	var p struct {
		Text present `json:"text"`
		Blob present `json:"blob"`
	}
	if err := json.Unmarshal(raw, &p, opts); err != nil {
		return err
	}
	var c TextOrBlobResourceContents
	switch {
	case bool(p.Text && p.Blob):
		return errors.New("resource contents with both \"text\" and \"blob\"; want one")
	case bool(p.Text):
		c = new(TextResourceContents)
	case bool(p.Blob):
		c = new(BlobResourceContents)
	default:
		return errors.New("resource contents without \"text\" or \"blob\"; want one")
	}
	if err := json.Unmarshal(raw, c, opts); err != nil {
		return variantErr(c, err)
	}
	*v = c
	return nil
}

func decodeInputResponse(dec *jsontext.Decoder, v *InputResponse) error {
	raw, err := readObject(dec, "input response")
	if err != nil {
		return err
	}
	opts := dec.Options()
	var p struct {
		Action  present `json:"action"`
		Roots   present `json:"roots"`
		Model   present `json:"model"`
		Role    present `json:"role"`
		Content present `json:"content"`
	}
	if err := json.Unmarshal(raw, &p, opts); err != nil {
		return err
	}
	var shapes []string
	var r InputResponse
	if p.Action {
		shapes, r = append(shapes, "ElicitResult (action)"), new(ElicitResult)
	}
	if p.Roots {
		shapes, r = append(shapes, "ListRootsResult (roots)"), new(ListRootsResult)
	}
	if p.Model || p.Role || (p.Content && !p.Action) {
		shapes, r = append(shapes, "CreateMessageResult (model, role, content)"), new(CreateMessageResult)
	}
	switch len(shapes) {
	case 0:
		return errors.New("input response without \"action\", \"roots\" or \"model\"; want an ElicitResult, a ListRootsResult or a CreateMessageResult")
	case 1:
	default:
		return fmt.Errorf("input response with members of %s; want one shape", strings.Join(shapes, " and "))
	}
	if err := json.Unmarshal(raw, r, opts); err != nil {
		return variantErr(r, err)
	}
	*v = r
	return nil
}

// decodeSchema decodes a primitive schema by type and shape (see
// PrimitiveSchemaDefinition) into v, if the variant found is a U.
func decodeSchema[U any](dec *jsontext.Decoder, v *U, what string) error {
	raw, err := readObject(dec, what)
	if err != nil {
		return err
	}
	opts := dec.Options()
	var p struct {
		Type      *string `json:"type"`
		Enum      present `json:"enum"`
		EnumNames present `json:"enumNames"`
		OneOf     present `json:"oneOf"`
		Items     *struct {
			Enum  present `json:"enum"`
			AnyOf present `json:"anyOf"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &p, opts); err != nil {
		return err
	}
	if p.Type == nil {
		return fmt.Errorf("%s without \"type\"; want \"string\", \"number\", \"integer\", \"boolean\" or \"array\"", what)
	}
	var s PrimitiveSchemaDefinition
	switch t := *p.Type; t {
	case "number", "integer":
		s = new(NumberSchema)
	case "boolean":
		s = new(BooleanSchema)
	case "string":
		switch {
		case bool(p.Enum) && bool(p.OneOf):
			return fmt.Errorf("%s with both \"enum\" and \"oneOf\"; want one", what)
		case bool(p.Enum) && bool(p.EnumNames):
			s = new(LegacyTitledEnumSchema)
		case bool(p.Enum):
			s = new(UntitledSingleSelectEnumSchema)
		case bool(p.OneOf):
			s = new(TitledSingleSelectEnumSchema)
		default:
			s = new(StringSchema)
		}
	case "array":
		switch {
		case p.Items == nil:
			return fmt.Errorf("%s of type \"array\" without \"items\"; want items with \"enum\" or \"anyOf\"", what)
		case bool(p.Items.Enum) && bool(p.Items.AnyOf):
			return fmt.Errorf("%s with items with both \"enum\" and \"anyOf\"; want one", what)
		case bool(p.Items.AnyOf):
			s = new(TitledMultiSelectEnumSchema)
		case bool(p.Items.Enum):
			s = new(UntitledMultiSelectEnumSchema)
		default:
			return fmt.Errorf("%s of type \"array\" with items without \"enum\" or \"anyOf\"; want one", what)
		}
	default:
		return fmt.Errorf("%s with unknown type %q; want \"string\", \"number\", \"integer\", \"boolean\" or \"array\"", what, t)
	}
	u, ok := s.(U)
	if !ok {
		return fmt.Errorf("%s is a %s; want a %s", what, variantName(s), what)
	}
	if err := json.Unmarshal(raw, s, opts); err != nil {
		return variantErr(s, err)
	}
	*v = u
	return nil
}

// variantErr says which variant a union member failed to decode as; the
// error then also carries the member's place in the enclosing value.
func variantErr(v any, err error) error {
	return fmt.Errorf("as %s: %w", variantName(v), err)
}

func variantName(v any) string { return strings.TrimPrefix(fmt.Sprintf("%T", v), "*wire.") }

// orList joins quoted names as `"a", "b" or "c"`.
func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// KindName names the kind of a raw JSON value for messages ("a string",
// "an object", ...).
func KindName(v Value) string { return kindName(v.Kind()) }

// kindName names a JSON kind for messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "not a JSON value"
}
