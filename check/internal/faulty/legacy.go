package faulty

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Servers of the handshake era, for the checker's era detection: a server
// that speaks only 2025-11-25 (NewLegacy) and a dual-era one (NewLegacy
// with Modern set). A legacy server breaks no rule of 2026-07-28, it is
// out of its scope: it is a variant only for the one finding the checker
// reports instead (see the init below).
//
// The legacy server is a small, correct server of the 2025-11-25
// Streamable HTTP transport: initialize assigns a session (Mcp-Session-Id)
// and negotiates the version; every later request must carry the session
// id (400 without, 404 for an unknown one) and may carry
// MCP-Protocol-Version (400 for an unsupported one); a present Origin
// other than the server's own gets 403, a Host that is not a loopback name
// gets 403; GET gets 405 (no standalone stream); DELETE ends the session.
// It serves ping, tools/list and tools/call with three tools: echo and add
// (with outputSchema) and now (without).

// The two servers that do not serve this revision at all are variants for
// the one finding the checker reports about each (HARDENING, not a rule
// of the spec): a legacy-only server (NewLegacy in place of the reference
// server), and a modern server whose server/discover lists only another
// revision.
func init() {
	Register(&Variant{
		Name:   "legacy-only",
		Defect: "speaks only 2025-11-25 (initialize handshake and sessions): server/discover is not served",
		Breaks: []spec.ID{spec.CoreLegacyOnly},
		Only:   []string{"legacy/revision"},
		Wrap:   func(http.Handler, *impl.Server) http.Handler { return NewLegacy(LegacyOptions{}) },
	})
	Register(&Variant{
		Name:   "draft-revision-only",
		Defect: "server/discover lists only a pre-release revision (" + draftVersion + "), not 2026-07-28, as a server built against a draft does",
		Breaks: []spec.ID{spec.CoreRevisionServed},
		Only:   []string{"legacy/revision"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return editMessages(next, func(m map[string]any) {
				if r := resultOf(m); r["supportedVersions"] != nil {
					r["supportedVersions"] = []any{draftVersion}
				}
			})
		},
	})
}

// draftVersion is the revision draft-revision-only serves.
const draftVersion = "DRAFT-2026-v1"

// LegacyOptions configure NewLegacy.
type LegacyOptions struct {
	// AnyOrigin serves requests whatever their Origin: the defect of a
	// legacy server that does not validate Origin (2025-11-25 requires 403
	// too).
	AnyOrigin bool
	// BadOutput makes the tool "add" return structuredContent that does not
	// conform to its outputSchema (a string sum).
	BadOutput bool
	// Modern, if set, makes the server dual-era: every request that is not
	// initialize and belongs to no session (no Mcp-Session-Id header) is
	// served by Modern, e.g. the reference server's handler.
	Modern http.Handler
	// DeclareLegacy, with Modern, adds the handshake-era versions the
	// server negotiates to the supportedVersions of Modern's
	// server/discover result, as a dual-era server declares them.
	DeclareLegacy bool
}

// LegacyVersions are the versions the legacy server negotiates, newest
// first.
var LegacyVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26"}

// maxLegacySessions bounds the sessions a legacy server keeps; the oldest
// is dropped beyond it.
const maxLegacySessions = 256

// NewLegacy returns the handler of a legacy (or, with Modern, dual-era)
// server. It serves any path.
func NewLegacy(o LegacyOptions) http.Handler {
	return &legacyServer{opts: o, sessions: map[string]string{}}
}

type legacyServer struct {
	opts     LegacyOptions
	mu       sync.Mutex
	sessions map[string]string // id → negotiated version
	order    []string
}

type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

func (s *legacyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sid := r.Header.Get("Mcp-Session-Id")
	var body []byte
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		if err != nil || len(b) > 1<<20 {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		body = b
	}
	if s.opts.Modern != nil && sid == "" && !isInitialize(body) {
		s.serveModern(w, r, body)
		return
	}
	if !s.opts.AnyOrigin && !ownOrigin(r) {
		writeRPCError(w, http.StatusForbidden, nil, -32600, "Forbidden: invalid Origin")
		return
	}
	if !loopbackHostHeader(r.Host) {
		writeRPCError(w, http.StatusForbidden, nil, -32600, "Forbidden: invalid Host")
		return
	}
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet:
		w.Header().Set("Allow", "POST, DELETE")
		http.Error(w, "no standalone SSE stream", http.StatusMethodNotAllowed)
		return
	case http.MethodDelete:
		if !s.endSession(sid) {
			http.Error(w, "unknown session", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	default:
		w.Header().Set("Allow", "POST, GET, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var m rpcMessage
	if err := json.Unmarshal(body, &m); err != nil || m.JSONRPC != "2.0" {
		writeRPCError(w, http.StatusBadRequest, nil, -32700, "Parse error")
		return
	}
	if m.Method == "initialize" {
		s.initialize(w, m)
		return
	}
	if v := r.Header.Get("MCP-Protocol-Version"); v != "" && !slices.Contains(LegacyVersions, v) {
		writeRPCError(w, http.StatusBadRequest, nil, -32600, "Bad Request: unsupported MCP-Protocol-Version "+v)
		return
	}
	if sid == "" {
		writeRPCError(w, http.StatusBadRequest, nil, -32000, "Bad Request: No valid session ID provided")
		return
	}
	if !s.hasSession(sid) {
		writeRPCError(w, http.StatusNotFound, nil, -32001, "Session not found")
		return
	}
	switch {
	case m.Method == "" || len(m.ID) == 0:
		// A notification or a response: accepted.
		w.WriteHeader(http.StatusAccepted)
	default:
		result, code, msg := s.call(m)
		if code != 0 {
			writeRPCError(w, http.StatusOK, m.ID, code, msg)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
	}
}

func isInitialize(body []byte) bool {
	var m rpcMessage
	return json.Unmarshal(body, &m) == nil && m.Method == "initialize"
}

// ownOrigin: no Origin, or one whose host:port is the request's Host.
func ownOrigin(r *http.Request) bool {
	o := r.Header.Values("Origin")
	if len(o) == 0 {
		return true
	}
	u, err := url.Parse(o[0])
	return err == nil && u.User == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}

func (s *legacyServer) initialize(w http.ResponseWriter, m rpcMessage) {
	var p struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if len(m.ID) == 0 || json.Unmarshal(m.Params, &p) != nil || p.ProtocolVersion == "" {
		writeRPCError(w, http.StatusBadRequest, m.ID, -32602, "Invalid params: protocolVersion is required")
		return
	}
	v := LegacyVersions[0]
	if slices.Contains(LegacyVersions, p.ProtocolVersion) {
		v = p.ProtocolVersion
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	sid := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.sessions[sid] = v
	s.order = append(s.order, sid)
	if len(s.order) > maxLegacySessions {
		delete(s.sessions, s.order[0])
		s.order = s.order[1:]
	}
	s.mu.Unlock()
	w.Header().Set("Mcp-Session-Id", sid)
	writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": map[string]any{
		"protocolVersion": v,
		"capabilities":    map[string]any{"tools": map[string]any{"listChanged": false}},
		"serverInfo":      map[string]any{"name": "mcpverify-legacy-fixture", "version": "0.1.0"},
	}})
}

func (s *legacyServer) hasSession(sid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[sid]
	return ok
}

func (s *legacyServer) endSession(sid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[sid]; !ok {
		return false
	}
	delete(s.sessions, sid)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == sid })
	return true
}

var legacyTools = []map[string]any{
	{
		"name": "echo", "description": "Echoes its text.",
		"inputSchema":  map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}, "required": []string{"text"}},
		"outputSchema": map[string]any{"type": "object", "properties": map[string]any{"echoed": map[string]any{"type": "string"}}, "required": []string{"echoed"}},
	},
	{
		"name": "add", "description": "Adds two integers.",
		"inputSchema": map[string]any{"type": "object", "properties": map[string]any{
			"a": map[string]any{"type": "integer", "minimum": -1000000, "maximum": 1000000},
			"b": map[string]any{"type": "integer", "minimum": -1000000, "maximum": 1000000},
		}, "required": []string{"a", "b"}},
		"outputSchema": map[string]any{"type": "object", "properties": map[string]any{"sum": map[string]any{"type": "integer"}}, "required": []string{"sum"}},
	},
	{
		"name": "now", "description": "Says hello (no structured output).",
		"inputSchema": map[string]any{"type": "object"},
	},
}

// call serves a request of the session: a result, or a JSON-RPC error.
func (s *legacyServer) call(m rpcMessage) (any, int64, string) {
	switch m.Method {
	case "ping":
		return map[string]any{}, 0, ""
	case "tools/list":
		return map[string]any{"tools": legacyTools}, 0, ""
	case "tools/call":
		var p struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
		if json.Unmarshal(m.Params, &p) != nil {
			return nil, -32602, "Invalid params"
		}
		return s.tool(p.Name, p.Arguments)
	}
	return nil, -32601, "Method not found: " + m.Method
}

func (s *legacyServer) tool(name string, args map[string]any) (any, int64, string) {
	toolError := func(msg string) (any, int64, string) {
		return map[string]any{"content": []any{map[string]any{"type": "text", "text": msg}}, "isError": true}, 0, ""
	}
	switch name {
	case "echo":
		text, ok := args["text"].(string)
		if !ok {
			return toolError("text must be a string")
		}
		return map[string]any{"content": []any{map[string]any{"type": "text", "text": text}}, "structuredContent": map[string]any{"echoed": text}}, 0, ""
	case "add":
		a, okA := args["a"].(float64)
		b, okB := args["b"].(float64)
		if !okA || !okB || a != float64(int64(a)) || b != float64(int64(b)) {
			return toolError("a and b must be integers")
		}
		sum := int64(a) + int64(b)
		var structured any = map[string]any{"sum": sum}
		if s.opts.BadOutput {
			structured = map[string]any{"sum": fmt.Sprint(sum)}
		}
		return map[string]any{"content": []any{map[string]any{"type": "text", "text": fmt.Sprint(sum)}}, "structuredContent": structured}, 0, ""
	case "now":
		return map[string]any{"content": []any{map[string]any{"type": "text", "text": "hello"}}}, 0, ""
	}
	return nil, -32602, "Unknown tool: " + name
}

// serveModern hands a modern request to Modern; with DeclareLegacy the
// server/discover result lists the handshake-era versions too.
func (s *legacyServer) serveModern(w http.ResponseWriter, r *http.Request, body []byte) {
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	var m rpcMessage
	if !s.opts.DeclareLegacy || json.Unmarshal(body, &m) != nil || m.Method != "server/discover" {
		s.opts.Modern.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.opts.Modern.ServeHTTP(rec, r)
	out := rec.Body.Bytes()
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		out = declareLegacy(out)
	}
	relayBody(w, rec, rec.Code, out)
}

// declareLegacy appends LegacyVersions to result.supportedVersions.
func declareLegacy(body []byte) []byte {
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) != nil || resp["result"] == nil {
		return body
	}
	var result map[string]json.RawMessage
	if json.Unmarshal(resp["result"], &result) != nil {
		return body
	}
	var versions []string
	if json.Unmarshal(result["supportedVersions"], &versions) != nil {
		return body
	}
	versions = append(versions, LegacyVersions...)
	b, _ := json.Marshal(versions)
	result["supportedVersions"] = b
	rb, err := json.Marshal(result)
	if err != nil {
		return body
	}
	resp["result"] = rb
	out, err := json.Marshal(resp)
	if err != nil {
		return body
	}
	return out
}

// LegacyStdioOptions configure ServeLegacyStdio.
type LegacyStdioOptions struct {
	// Silent leaves requests before initialize unanswered (some legacy
	// servers do), instead of answering them with an error.
	Silent bool
}

// ServeLegacyStdio serves the legacy server over stdio (newline-delimited
// JSON-RPC on in and out) until in ends: initialize negotiates the version
// for the process; before it, requests get -32601 for unknown methods and
// -32600 for the others (or nothing, with Silent); after it, ping,
// tools/list and tools/call are served.
func ServeLegacyStdio(in io.Reader, out io.Writer, o LegacyStdioOptions) error {
	s := &legacyServer{sessions: map[string]string{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	initialized := false
	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = out.Write(append(b, '\n'))
		return err
	}
	for sc.Scan() {
		var m rpcMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m.JSONRPC != "2.0" {
			if err := write(rpcError(nil, -32700, "Parse error")); err != nil {
				return err
			}
			continue
		}
		if m.Method == "" || len(m.ID) == 0 {
			continue // notifications and responses
		}
		var resp map[string]any
		switch {
		case m.Method == "initialize":
			var p struct {
				ProtocolVersion string `json:"protocolVersion"`
			}
			if json.Unmarshal(m.Params, &p) != nil || p.ProtocolVersion == "" {
				resp = rpcError(m.ID, -32602, "Invalid params: protocolVersion is required")
				break
			}
			v := LegacyVersions[0]
			if slices.Contains(LegacyVersions, p.ProtocolVersion) {
				v = p.ProtocolVersion
			}
			initialized = true
			resp = map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": map[string]any{
				"protocolVersion": v,
				"capabilities":    map[string]any{"tools": map[string]any{"listChanged": false}},
				"serverInfo":      map[string]any{"name": "mcpverify-legacy-fixture", "version": "0.1.0"},
			}}
		case !initialized && o.Silent:
			continue
		case !initialized && !slices.Contains([]string{"ping", "tools/list", "tools/call"}, m.Method):
			resp = rpcError(m.ID, -32601, "Method not found: "+m.Method)
		case !initialized:
			resp = rpcError(m.ID, -32600, "Server not initialized")
		default:
			result, code, msg := s.call(m)
			if code != 0 {
				resp = rpcError(m.ID, code, msg)
			} else {
				resp = map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result}
			}
		}
		if err := write(resp); err != nil {
			return err
		}
	}
	return sc.Err()
}

// rpcError is a JSON-RPC error response (id null when nil).
func rpcError(id json.RawMessage, code int64, msg string) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}}
}
