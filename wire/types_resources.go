package wire

// Resources: resources/list, resources/templates/list and resources/read.

// Resource describes a resource a server can read.
type Resource struct {
	Meta        MetaObject   `json:"_meta,omitzero"`
	Annotations *Annotations `json:"annotations,omitzero"`
	Description string       `json:"description,omitzero"`
	Icons       []Icon       `json:"icons,omitzero"`
	MimeType    string       `json:"mimeType,omitzero"`
	Name        string       `json:"name"`
	Size        *int64       `json:"size,omitzero"`
	Title       string       `json:"title,omitzero"`
	URI         string       `json:"uri"`
	Extra       Object       `json:",embed"`
}

// ResourceTemplate describes a family of resources by an RFC 6570 URI
// template.
type ResourceTemplate struct {
	Meta        MetaObject   `json:"_meta,omitzero"`
	Annotations *Annotations `json:"annotations,omitzero"`
	Description string       `json:"description,omitzero"`
	Icons       []Icon       `json:"icons,omitzero"`
	MimeType    string       `json:"mimeType,omitzero"`
	Name        string       `json:"name"`
	Title       string       `json:"title,omitzero"`
	URITemplate string       `json:"uriTemplate"`
	Extra       Object       `json:",embed"`
}

// ResourceContents is the shape shared by TextResourceContents and
// BlobResourceContents.
type ResourceContents struct {
	Meta     MetaObject `json:"_meta,omitzero"`
	MimeType string     `json:"mimeType,omitzero"`
	URI      string     `json:"uri"`
	Extra    Object     `json:",embed"`
}

// TextResourceContents are the contents of a text resource.
type TextResourceContents struct {
	Meta     MetaObject `json:"_meta,omitzero"`
	MimeType string     `json:"mimeType,omitzero"`
	Text     string     `json:"text"`
	URI      string     `json:"uri"`
	Extra    Object     `json:",embed"`
}

// BlobResourceContents are the contents of a binary resource,
// Base64-encoded in Blob.
type BlobResourceContents struct {
	Meta     MetaObject `json:"_meta,omitzero"`
	Blob     string     `json:"blob"`
	MimeType string     `json:"mimeType,omitzero"`
	URI      string     `json:"uri"`
	Extra    Object     `json:",embed"`
}

// TextOrBlobResourceContents is the contents of one resource in a read
// result or an embedded resource: *TextResourceContents or
// *BlobResourceContents. The schema gives no discriminator; it decodes by
// shape: a "text" member makes text contents, a "blob" member blob
// contents, and both or neither is an error.
type TextOrBlobResourceContents interface{ isTextOrBlobResourceContents() }

func (*TextResourceContents) isTextOrBlobResourceContents() {}
func (*BlobResourceContents) isTextOrBlobResourceContents() {}

// ResourceRequestParams is the shape of params naming one resource.
type ResourceRequestParams struct {
	Meta  *RequestMetaObject `json:"_meta,omitzero"`
	URI   string             `json:"uri"`
	Extra Object             `json:",embed"`
}

// ListResourcesRequest is a resources/list request.
type ListResourcesRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	ID      RequestID              `json:"id,omitzero"`
	Method  string                 `json:"method"`
	Params  PaginatedRequestParams `json:"params"`
	Extra   Object                 `json:",embed"`
}

// ListResourcesResult is a page of the resource list; cacheable.
type ListResourcesResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	CacheScope string            `json:"cacheScope,omitzero"`
	NextCursor *string           `json:"nextCursor,omitzero"`
	Resources  []Resource        `json:"resources"`
	ResultType string            `json:"resultType"`
	TTLMs      *int64            `json:"ttlMs,omitzero"`
	Extra      Object            `json:",embed"`
}

// ListResourcesResultResponse is the response to resources/list.
type ListResourcesResultResponse struct {
	JSONRPC string              `json:"jsonrpc"`
	ID      RequestID           `json:"id,omitzero"`
	Result  ListResourcesResult `json:"result"`
	Extra   Object              `json:",embed"`
}

// ListResourceTemplatesRequest is a resources/templates/list request.
type ListResourceTemplatesRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	ID      RequestID              `json:"id,omitzero"`
	Method  string                 `json:"method"`
	Params  PaginatedRequestParams `json:"params"`
	Extra   Object                 `json:",embed"`
}

// ListResourceTemplatesResult is a page of the resource template list;
// cacheable.
type ListResourceTemplatesResult struct {
	Meta              *ResultMetaObject  `json:"_meta,omitzero"`
	CacheScope        string             `json:"cacheScope,omitzero"`
	NextCursor        *string            `json:"nextCursor,omitzero"`
	ResourceTemplates []ResourceTemplate `json:"resourceTemplates"`
	ResultType        string             `json:"resultType"`
	TTLMs             *int64             `json:"ttlMs,omitzero"`
	Extra             Object             `json:",embed"`
}

// ListResourceTemplatesResultResponse is the response to
// resources/templates/list.
type ListResourceTemplatesResultResponse struct {
	JSONRPC string                      `json:"jsonrpc"`
	ID      RequestID                   `json:"id,omitzero"`
	Result  ListResourceTemplatesResult `json:"result"`
	Extra   Object                      `json:",embed"`
}

// ReadResourceRequest is a resources/read request.
type ReadResourceRequest struct {
	JSONRPC string                    `json:"jsonrpc"`
	ID      RequestID                 `json:"id,omitzero"`
	Method  string                    `json:"method"`
	Params  ReadResourceRequestParams `json:"params"`
	Extra   Object                    `json:",embed"`
}

// ReadResourceRequestParams are the params of resources/read.
// InputResponses and RequestState are set on a retry after an
// InputRequiredResult.
type ReadResourceRequestParams struct {
	Meta           *RequestMetaObject `json:"_meta,omitzero"`
	InputResponses InputResponses     `json:"inputResponses,omitzero"`
	RequestState   *string            `json:"requestState,omitzero"`
	URI            string             `json:"uri"`
	Extra          Object             `json:",embed"`
}

// ReadResourceResult is the complete result of resources/read; cacheable.
type ReadResourceResult struct {
	Meta       *ResultMetaObject            `json:"_meta,omitzero"`
	CacheScope string                       `json:"cacheScope,omitzero"`
	Contents   []TextOrBlobResourceContents `json:"contents"`
	ResultType string                       `json:"resultType"`
	TTLMs      *int64                       `json:"ttlMs,omitzero"`
	Extra      Object                       `json:",embed"`
}

// ReadResourceResultResponse is the response to resources/read. Result is
// a *ReadResourceResult, or an *InputRequiredResult when resultType is
// "input_required".
type ReadResourceResultResponse struct {
	JSONRPC string       `json:"jsonrpc"`
	ID      RequestID    `json:"id,omitzero"`
	Result  ServerResult `json:"result,omitzero"`
	Extra   Object       `json:",embed"`
}
