package check

import (
	"errors"
	"net/http"

	"github.com/mcpverify/mcpverify/wire"
)

// The 2025-11-25 client: what a handshake-era client sends and reads
// (versioning.mdx, "Backward Compatibility with Initialization-Based
// Versions"). It builds messages and reads answers; sending is the
// caller's (Env.LegacyRequest, discovery).

// LegacySession is a handshake-era session with a server that speaks only
// that era: what its initialize result said. On HTTP the session id (if
// the server assigned one) goes on every later request with the
// MCP-Protocol-Version header; on stdio the session is the process.
type LegacySession struct {
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

// LegacySkip is the reason the checks of this revision give on a server
// that speaks only version v (2025-11-25 unless it negotiated an older
// one).
func LegacySkip(v string) string { return "the server speaks only " + v }

// legacyHeader is the session's headers: MCP-Protocol-Version, and
// Mcp-Session-Id when the server assigned one.
func (s *LegacySession) legacyHeader() http.Header {
	h := http.Header{}
	h[wire.HeaderProtocolVersion] = []string{s.Version}
	if s.SessionID != "" {
		h[wire.HeaderSessionID] = []string{s.SessionID}
	}
	return h
}

// legacyBody is a handshake-era JSON-RPC message: no _meta protocol
// fields; a zero id makes a notification.
func legacyBody(id wire.RequestID, method string, params map[string]any) []byte {
	msg := map[string]any{"jsonrpc": wire.JSONRPCVersion, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if !id.IsZero() {
		msg["id"] = id
	}
	return wire.MustMarshal(msg)
}

// legacyInitializeParams are the params of initialize: the version asked
// for, no capabilities, the client's identity.
func legacyInitializeParams(version string, info wire.Implementation) map[string]any {
	return map[string]any{"protocolVersion": version, "capabilities": map[string]any{}, "clientInfo": info}
}

// legacyResultOf decodes the result of a result response into v (wire's
// strict decoding, into the caller's own type: legacy results are not
// this revision's result types).
func legacyResultOf(ex *wire.Exchange, v any) error {
	ex.Decode()
	for _, r := range ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			return wire.Unmarshal(m.Result, v)
		}
	}
	return errors.New("no result response")
}

// legacySessionFrom reads the result of a served initialize: a result
// whose protocolVersion is a handshake-era version, and the session id.
// The caller has checked that the request was served.
func legacySessionFrom(ex *wire.Exchange) (*LegacySession, bool) {
	var r struct {
		ProtocolVersion string     `json:"protocolVersion"`
		Capabilities    wire.Value `json:"capabilities"`
		ServerInfo      wire.Value `json:"serverInfo"`
	}
	if legacyResultOf(ex, &r) != nil || !wire.IsLegacyVersion(r.ProtocolVersion) {
		return nil, false
	}
	s := &LegacySession{Version: r.ProtocolVersion, Capabilities: r.Capabilities, ServerInfo: r.ServerInfo}
	if ex.Transport == wire.HTTP {
		s.SessionID, _ = wire.HeaderValue(ex.RespHeader, wire.HeaderSessionID)
	}
	return s, true
}

// LegacyTool is a tool of a tools/list result of a legacy session.
type LegacyTool struct {
	Name         string     `json:"name"`
	InputSchema  wire.Value `json:"inputSchema"`
	OutputSchema wire.Value `json:"outputSchema"`
}

// legacyToolsPage reads one tools/list page of a legacy session.
func legacyToolsPage(ex *wire.Exchange) ([]LegacyTool, *string, error) {
	var r struct {
		Tools      []LegacyTool `json:"tools"`
		NextCursor *string      `json:"nextCursor"`
	}
	if err := legacyResultOf(ex, &r); err != nil {
		return nil, nil, err
	}
	return r.Tools, r.NextCursor, nil
}

// legacyHasTools reports whether initialize's capabilities declare tools.
func legacyHasTools(caps wire.Value) bool {
	var c struct {
		Tools wire.Value `json:"tools"`
	}
	return len(caps) > 0 && wire.Unmarshal(caps, &c) == nil && len(c.Tools) > 0 && string(c.Tools) != "null"
}
