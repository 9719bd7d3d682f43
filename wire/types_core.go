package wire

import "fmt"

// ProgressToken associates progress notifications with a request: a string
// or an integer, like a request id.
type ProgressToken = RequestID

// RequestMetaObject is the _meta of a request: the per-request protocol
// fields and any other keys.
type RequestMetaObject struct {
	ProtocolVersion    *string             `json:"io.modelcontextprotocol/protocolVersion,omitzero"`
	ClientInfo         *Implementation     `json:"io.modelcontextprotocol/clientInfo,omitzero"`
	ClientCapabilities *ClientCapabilities `json:"io.modelcontextprotocol/clientCapabilities,omitzero"`
	LogLevel           *string             `json:"io.modelcontextprotocol/logLevel,omitzero"`
	ProgressToken      *ProgressToken      `json:"progressToken,omitzero"`
	Extra              Object              `json:",embed"`
}

// ResultMetaObject is the _meta of a result.
type ResultMetaObject struct {
	ServerInfo *Implementation `json:"io.modelcontextprotocol/serverInfo,omitzero"`
	Extra      Object          `json:",embed"`
}

// Implementation names an MCP implementation (clientInfo, serverInfo).
type Implementation struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Title       string `json:"title,omitzero"`
	Description string `json:"description,omitzero"`
	WebsiteURL  string `json:"websiteUrl,omitzero"`
	Icons       []Icon `json:"icons,omitzero"`
	Extra       Object `json:",embed"`
}

// Icon is a sized icon for display.
type Icon struct {
	Src      string   `json:"src"`
	MimeType string   `json:"mimeType,omitzero"`
	Sizes    []string `json:"sizes,omitzero"`
	Theme    string   `json:"theme,omitzero"`
	Extra    Object   `json:",embed"`
}

// ClientCapabilities are the capabilities a client declares on a request.
// A present member (even an empty object) declares the capability.
type ClientCapabilities struct {
	Elicitation  *ElicitationCapability `json:"elicitation,omitzero"`
	Sampling     *SamplingCapability    `json:"sampling,omitzero"`
	Roots        Object                 `json:"roots,omitzero"`
	Experimental map[string]Object      `json:"experimental,omitzero"`
	Extensions   map[string]Object      `json:"extensions,omitzero"`
	Extra        Object                 `json:",embed"`
}

// ElicitationCapability declares elicitation modes; an empty object means
// form mode only.
type ElicitationCapability struct {
	Form  Object `json:"form,omitzero"`
	URL   Object `json:"url,omitzero"`
	Extra Object `json:",embed"`
}

// SamplingCapability declares sampling and its optional features.
type SamplingCapability struct {
	Context Object `json:"context,omitzero"`
	Tools   Object `json:"tools,omitzero"`
	Extra   Object `json:",embed"`
}

// Has reports whether the capabilities declare the named top-level
// capability ("elicitation", "sampling", "roots").
func (c *ClientCapabilities) Has(name string) bool {
	if c == nil {
		return false
	}
	switch name {
	case "elicitation":
		return c.Elicitation != nil
	case "sampling":
		return c.Sampling != nil
	case "roots":
		return c.Roots != nil
	}
	_, ok := c.Extra[name]
	return ok
}

// InputRequiredResult asks the client to retry the request with input.
// At least one of InputRequests and RequestState must be present.
//
// InputRequests is kept raw, entry by entry, so that one malformed entry
// (an unknown method, say) is a fact to judge rather than a failure to
// decode the whole result; Requests decodes the entries as InputRequests.
type InputRequiredResult struct {
	Meta          *ResultMetaObject `json:"_meta,omitzero"`
	ResultType    string            `json:"resultType"`
	InputRequests map[string]Value  `json:"inputRequests,omitzero"`
	RequestState  *string           `json:"requestState,omitzero"`
	Extra         Object            `json:",embed"`
}

// Requests decodes InputRequests strictly, each entry by its method.
func (r *InputRequiredResult) Requests() (InputRequests, error) {
	return decodeInputRequests(r.InputRequests)
}

// decodeInputRequests decodes raw input requests strictly, each entry by
// its method; nil for nil.
func decodeInputRequests(raws map[string]Value) (InputRequests, error) {
	if raws == nil {
		return nil, nil
	}
	out := make(InputRequests, len(raws))
	for k, raw := range raws {
		var ir InputRequest
		if err := Unmarshal(raw, &ir); err != nil {
			return nil, fmt.Errorf("inputRequests[%q]: %w", k, err)
		}
		out[k] = ir
	}
	return out, nil
}
