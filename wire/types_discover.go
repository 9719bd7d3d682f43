package wire

// Discovery: server/discover.

// DiscoverRequest is a server/discover request.
type DiscoverRequest struct {
	JSONRPC string        `json:"jsonrpc"`
	ID      RequestID     `json:"id,omitzero"`
	Method  string        `json:"method"`
	Params  RequestParams `json:"params"`
	Extra   Object        `json:",embed"`
}

// DiscoverResult tells the client the versions and capabilities of the
// server; cacheable.
type DiscoverResult struct {
	Meta              *ResultMetaObject  `json:"_meta,omitzero"`
	CacheScope        string             `json:"cacheScope,omitzero"`
	Capabilities      ServerCapabilities `json:"capabilities"`
	Instructions      string             `json:"instructions,omitzero"`
	ResultType        string             `json:"resultType"`
	SupportedVersions []string           `json:"supportedVersions"`
	TTLMs             *int64             `json:"ttlMs,omitzero"`
	Extra             Object             `json:",embed"`
}

// DiscoverResultResponse is the response to server/discover.
type DiscoverResultResponse struct {
	JSONRPC string         `json:"jsonrpc"`
	ID      RequestID      `json:"id,omitzero"`
	Result  DiscoverResult `json:"result"`
	Extra   Object         `json:",embed"`
}
