package check

import (
	"net/http"
	"strings"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// Client is the client the checker plays: the protocol version,
// capabilities and identity it declares in every request's _meta, and
// headers it adds to every request (e.g. a bearer token).
type Client struct {
	Version      string     // default wire.Version
	Capabilities wire.Value // a JSON object; default {}
	Info         wire.Implementation
	Header       http.Header
}

// DefaultClient declares this revision, no capabilities, and names
// mcpverify.
var DefaultClient = Client{Version: wire.Version, Capabilities: wire.Value(`{}`), Info: wire.Implementation{Name: "mcpverify", Version: "0.1.0"}}

// Meta returns the _meta of a request: the per-request protocol fields and
// any extra keys (progressToken, logLevel, ...).
func (c Client) Meta(extra map[string]any) map[string]any {
	m := map[string]any{
		wire.MetaProtocolVersion:    c.ProtocolVersion(),
		wire.MetaClientInfo:         c.Info,
		wire.MetaClientCapabilities: c.caps(),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// WithExtension returns a copy of c that declares extension id, with
// settings (nil: {}), in its capabilities' extensions, as an extension's
// Capability Negotiation shows it.
func (c Client) WithExtension(id string, settings map[string]any) Client {
	caps := map[string]any{}
	if len(c.Capabilities) > 0 {
		_ = wire.Unmarshal(c.Capabilities, &caps)
	}
	ext, _ := caps["extensions"].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
	}
	if settings == nil {
		settings = map[string]any{}
	}
	ext[id] = settings
	caps["extensions"] = ext
	if b, err := wire.Marshal(caps); err == nil {
		c.Capabilities = b
	}
	return c
}

// ProtocolVersion is the version the client declares (default wire.Version).
func (c Client) ProtocolVersion() string {
	if c.Version == "" {
		return wire.Version
	}
	return c.Version
}

func (c Client) caps() wire.Value {
	if len(c.Capabilities) == 0 {
		return wire.Value(`{}`)
	}
	return c.Capabilities
}

// Request builds a conforming request: the JSON-RPC body with _meta added
// to params (unless params holds one), and the headers of Streamable HTTP
// (MCP-Protocol-Version, Mcp-Method, Mcp-Name where the method has one,
// Mcp-Param-* for the annotated arguments of a tools/call when the tool's
// annotations are given).
func (c Client) Request(id wire.RequestID, method string, params map[string]any, headers []model.ParamHeader) *Request {
	if params == nil {
		params = map[string]any{}
	}
	if _, ok := params["_meta"]; !ok {
		params["_meta"] = c.Meta(nil)
	}
	msg := map[string]any{"jsonrpc": wire.JSONRPCVersion, "method": method, "params": params}
	if !id.IsZero() {
		msg["id"] = id
	}
	body := wire.MustMarshal(msg)
	h := http.Header{}
	h["Content-Type"] = []string{"application/json"}
	h["Accept"] = []string{"application/json, text/event-stream"}
	h[wire.HeaderProtocolVersion] = []string{c.ProtocolVersion()}
	h[wire.HeaderMethod] = []string{method}
	if info, ok := wire.LookupMethod(method); ok && info.NameParam != "" {
		if v, ok := params[info.NameParam].(string); ok {
			h[wire.HeaderName] = []string{wire.EncodeHeaderValue(v)}
		}
	}
	if method == "tools/call" && len(headers) > 0 {
		args, _ := params["arguments"].(map[string]any)
		for _, ph := range headers {
			if v, ok := wire.Path(ph.Path).Lookup(args); ok && v != nil {
				if s, ok := wire.ParamHeaderValue(v); ok {
					h[wire.HeaderParamPrefix+ph.Name] = []string{s}
				}
			}
		}
	}
	for k, vs := range c.Header {
		h[k] = append([]string(nil), vs...)
	}
	return &Request{HTTPMethod: http.MethodPost, Header: h, Body: body, Notification: id.IsZero()}
}

// headerKey returns the key of h matching name case-insensitively, or name.
func headerKey(h http.Header, name string) string {
	for k := range h {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}
