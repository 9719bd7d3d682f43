package legacyclient

import (
	"errors"
	"net/http"

	"github.com/mcpverify/mcpverify/wire"
)

// The 2025-11-25 client: what a handshake-era client sends and reads
// (versioning.mdx, "Backward Compatibility with Initialization-Based
// Versions"). It builds messages and reads answers; sending is the
// caller's (Env.LegacyRequest, discovery).

// Session is a handshake-era session with a server that speaks only
// that era: what its initialize result said. On HTTP the session id (if
// the server assigned one) goes on every later request with the
// MCP-Protocol-Version header; on stdio the session is the process.
type Session struct {
	// Version is the protocolVersion of the initialize result.
	Version string
	// SessionID is the Mcp-Session-Id of the initialize response; "" if
	// none (and on stdio).
	SessionID string
	// Capabilities and ServerInfo are the initialize result's members, as
	// sent.
	Capabilities wire.Value
	ServerInfo   wire.Value
}

// SkipReason is the reason the checks of this revision give on a server
// that speaks only version v (2025-11-25 unless it negotiated an older
// one).
func SkipReason(v string) string { return "the server speaks only " + v }

// Header is the session's headers: MCP-Protocol-Version, and
// Mcp-Session-Id when the server assigned one.
func (s *Session) Header() http.Header {
	h := http.Header{}
	h[wire.HeaderProtocolVersion] = []string{s.Version}
	if s.SessionID != "" {
		h[wire.HeaderSessionID] = []string{s.SessionID}
	}
	return h
}

// Body is a handshake-era JSON-RPC message: no _meta protocol
// fields; a zero id makes a notification.
func Body(id wire.RequestID, method string, params map[string]any) []byte {
	msg := map[string]any{"jsonrpc": wire.JSONRPCVersion, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if !id.IsZero() {
		msg["id"] = id
	}
	return wire.MustMarshal(msg)
}

// InitializeParams are the params of initialize: the version asked
// for, no capabilities, the client's identity.
func InitializeParams(version string, info wire.Implementation) map[string]any {
	return map[string]any{"protocolVersion": version, "capabilities": map[string]any{}, "clientInfo": info}
}

// Result decodes the result of a result response into v (wire's
// strict decoding, into the caller's own type: legacy results are not
// this revision's result types).
func Result(ex *wire.Exchange, v any) error {
	ex.Decode()
	for _, r := range ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			return wire.Unmarshal(m.Result, v)
		}
	}
	return errors.New("no result response")
}

// SessionFrom reads the result of a served initialize: a result
// whose protocolVersion is a handshake-era version, and the session id.
// The caller has checked that the request was served.
func SessionFrom(ex *wire.Exchange) (*Session, bool) {
	var r struct {
		ProtocolVersion string     `json:"protocolVersion"`
		Capabilities    wire.Value `json:"capabilities"`
		ServerInfo      wire.Value `json:"serverInfo"`
	}
	if Result(ex, &r) != nil || !wire.IsLegacyVersion(r.ProtocolVersion) {
		return nil, false
	}
	s := &Session{Version: r.ProtocolVersion, Capabilities: r.Capabilities, ServerInfo: r.ServerInfo}
	if ex.Transport == wire.HTTP {
		s.SessionID, _ = wire.HeaderValue(ex.RespHeader, wire.HeaderSessionID)
	}
	return s, true
}

// Tool is a tool of a tools/list result of a legacy session.
type Tool struct {
	Name         string     `json:"name"`
	InputSchema  wire.Value `json:"inputSchema"`
	OutputSchema wire.Value `json:"outputSchema"`
	// Annotations are the tool's hints (readOnlyHint, ...), raw: a
	// malformed one must not lose the page.
	Annotations wire.Value `json:"annotations"`
}

// ToolsPage reads one tools/list page of a legacy session.
func ToolsPage(ex *wire.Exchange) ([]Tool, *string, error) {
	var r struct {
		Tools      []Tool  `json:"tools"`
		NextCursor *string `json:"nextCursor"`
	}
	if err := Result(ex, &r); err != nil {
		return nil, nil, err
	}
	return r.Tools, r.NextCursor, nil
}

// HasTools reports whether initialize's capabilities declare tools.
func HasTools(caps wire.Value) bool {
	var c struct {
		Tools wire.Value `json:"tools"`
	}
	return len(caps) > 0 && wire.Unmarshal(caps, &c) == nil && len(c.Tools) > 0 && string(c.Tools) != "null"
}
