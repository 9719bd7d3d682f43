package impl

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/mcpverify/mcpverify/wire"
)

// This file is the transport-independent core: it reads one message,
// validates the per-request envelope and dispatches by the method table.
// The transports (http.go, stdio.go) add their own checks through the
// transportChecks hooks and carry what the core produces.

// readMessage decodes one message with the strict policy of package wire.
// On failure it returns the error to answer with, and the request's id when
// it could still be read (an error response keeps the request id). shape
// is the body's, when the transport measured it as it arrived; nil
// measures it here. A message nested or populated beyond the limits
// (MaxDepth, MaxMembers) is refused before anything is decoded.
func (s *Server) readMessage(body []byte, shape *wire.Shape) (wire.Message, *rpcError, wire.RequestID) {
	if shape == nil {
		shape = new(wire.Shape)
		shape.Scan(body)
	}
	if err := s.checkShape(shape); err != nil {
		id := wire.RequestID{}
		if err.code == wire.CodeInvalidParams {
			// Many members, within the byte limit: the id can be read
			// without decoding them.
			id = recoverID(body)
		}
		return nil, err, id
	}
	// Syntax first, so that malformed JSON (including invalid UTF-8) is a
	// parse error and well-formed JSON that is not a valid message is an
	// invalid request.
	if !jsontext.Value(body).IsValid(jsontext.AllowDuplicateNames(true)) {
		return nil, errParse("the message is not valid JSON text (RFC 8259, UTF-8)"), wire.RequestID{}
	}
	msg, err := wire.DecodeMessage(body)
	if err != nil {
		return nil, errInvalidRequest(err.Error()), recoverID(body)
	}
	return msg, nil, wire.RequestID{}
}

// recoverID reads the id of a message that is not a valid request, so the
// error response can carry it (basic/index.mdx: an error response omits
// the id only when it could not be read). It reads the top-level members
// leniently (the message is invalid anyway) and gives up when the id is
// absent, repeated, or not a string or an integer. Zero when it cannot be
// read.
func recoverID(body []byte) wire.RequestID {
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return wire.RequestID{}
	}
	var raw jsontext.Value
	n := 0
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil || tok.Kind() != '"' {
			return wire.RequestID{}
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return wire.RequestID{}
		}
		if name == "id" {
			n++
			raw = bytes.Clone(v)
		}
	}
	var id wire.RequestID
	if n != 1 || wire.Unmarshal(raw, &id) != nil {
		return wire.RequestID{}
	}
	return id
}

// transportChecks are the checks a transport adds to the core's envelope
// validation. Stdio has none: its request metadata is all in the body.
type transportChecks interface {
	// protocolVersion checks the transport's copy of the protocol version
	// against the body's _meta (HTTP: the MCP-Protocol-Version header).
	protocolVersion(bodyVersion string) *rpcError
	// names checks the transport's copies of the request's name and
	// parameters (HTTP: Mcp-Name and Mcp-Param-*).
	names(x *exchange) *rpcError
}

// noChecks is the transportChecks of stdio.
type noChecks struct{}

func (noChecks) protocolVersion(string) *rpcError { return nil }
func (noChecks) names(*exchange) *rpcError        { return nil }

// sink carries the notifications of one request to its client.
type sink interface {
	// send writes one complete JSON-RPC notification. It fails once the
	// request is cancelled; nothing is written for the request after that.
	send(msg []byte) error
}

// exchange is one request being served.
type exchange struct {
	s      *Server
	ctx    context.Context
	id     wire.RequestID
	method string
	spec   *methodSpec
	params reqParams
	meta   *wire.RequestMetaObject
	// principal is the caller (auth.go): "" is anonymous.
	principal string
	// logLevel is the rank of the request's io.modelcontextprotocol/logLevel,
	// or -1 when the request did not ask for log messages.
	logLevel int
	out      sink
	// closing is closed when the transport ends: open subscriptions end
	// gracefully.
	closing <-chan struct{}
	// lastProgress is the last progress value sent (progress must increase).
	lastProgress float64
	sentProgress bool
}

// prepare validates the envelope of a request and builds its exchange. The
// order of the checks decides which error a request with several defects
// gets; it follows the spec's layering: params that cannot be read at all,
// then the required _meta (-32602), the transport's version copy (-32020),
// the version itself (-32022), the method (-32601), the method's required
// params (-32602) and the transport's name copies (-32020).
func (s *Server) prepare(ctx context.Context, req *wire.JSONRPCRequest, tc transportChecks) (*exchange, *rpcError) {
	x, err := s.prepare1(ctx, req, tc)
	return x, forMethod(req.Method, err)
}

// forMethod adjusts an error to the method it answers: versioning.mdx says a
// modern-only server SHOULD name the versions it supports in any error it
// returns to initialize (a legacy client has no other way to learn them).
func forMethod(method string, err *rpcError) *rpcError {
	if err == nil || method != "initialize" {
		return err
	}
	e := *err
	e.msg += "; this server supports only protocol version " + wire.Version + ", which has no initialize (send server/discover)"
	if e.data == nil {
		e.data = map[string]any{"supported": supportedVersions}
	}
	return &e
}

func (s *Server) prepare1(ctx context.Context, req *wire.JSONRPCRequest, tc transportChecks) (*exchange, *rpcError) {
	spec := s.methods[req.Method]
	var p reqParams
	if spec != nil {
		p = spec.newParams()
	} else {
		p = new(metaParams)
	}
	raw := req.Params
	if len(raw) == 0 {
		raw = wire.Value("{}")
	}
	if err := wire.CheckNameFolds(raw); err != nil {
		return nil, errBadParams("params: %v", err)
	}
	if err := wire.Unmarshal(raw, p); err != nil {
		return nil, errBadParams("%v", cleanDecodeError(err))
	}
	meta := p.getMeta()
	if meta == nil {
		return nil, errBadParams("params._meta is required (it carries %s and %s)", wire.MetaProtocolVersion, wire.MetaClientCapabilities)
	}
	if meta.ProtocolVersion == nil {
		return nil, errBadParams("params._meta[%q] is required", wire.MetaProtocolVersion)
	}
	if meta.ClientCapabilities == nil {
		return nil, errBadParams("params._meta[%q] is required", wire.MetaClientCapabilities)
	}
	logLevel := -1
	if meta.LogLevel != nil {
		if logLevel = wire.LogLevelRank(*meta.LogLevel); logLevel < 0 {
			return nil, errBadParams("params._meta[%q] is %q; want one of %v", wire.MetaLogLevel, *meta.LogLevel, wire.LoggingLevels)
		}
	}
	version := *meta.ProtocolVersion
	if err := tc.protocolVersion(version); err != nil {
		return nil, err
	}
	if !supportsVersion(version) {
		return nil, errUnsupportedVersion(version)
	}
	if spec == nil {
		return nil, errMethodNotFound(req.Method)
	}
	x := &exchange{
		s:        s,
		ctx:      ctx,
		id:       req.ID,
		method:   req.Method,
		spec:     spec,
		params:   p,
		meta:     meta,
		logLevel: logLevel,
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	if err := tc.names(x); err != nil {
		return nil, err
	}
	return x, nil
}

func supportsVersion(v string) bool {
	for _, s := range supportedVersions {
		if s == v {
			return true
		}
	}
	return false
}

// cleanDecodeError shortens a decoding error for an error message.
func cleanDecodeError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// serve runs the method of a prepared exchange and returns the result
// object to answer with.
func (x *exchange) serve() ([]byte, *rpcError) {
	x.s.running.Add(1)
	defer x.s.running.Add(-1)
	res, err := x.spec.serve(x)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// responseFor encodes the final response of a request: the result object,
// or the error.
func responseFor(id wire.RequestID, result []byte, rerr *rpcError) []byte {
	if rerr != nil {
		return encodeError(id, rerr)
	}
	return encodeResult(id, result)
}

// encodeResult builds {"jsonrpc":"2.0","id":ID,"result":RESULT}.
func encodeResult(id wire.RequestID, result []byte) []byte {
	b := make([]byte, 0, len(result)+48)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = appendID(b, id)
	b = append(b, `,"result":`...)
	b = append(b, result...)
	return append(b, '}')
}

// errorBody is the error member of an error response.
type errorBody struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitzero"`
}

// errorResponse is a JSON-RPC error response; ID is omitted when the
// request's id could not be read.
type errorResponse struct {
	JSONRPC string         `json:"jsonrpc"`
	ID      wire.RequestID `json:"id,omitzero"`
	Error   errorBody      `json:"error"`
}

func encodeError(id wire.RequestID, e *rpcError) []byte {
	b, err := wire.Marshal(errorResponse{JSONRPC: wire.JSONRPCVersion, ID: id, Error: errorBody{Code: e.code, Message: e.msg, Data: e.data}})
	if err != nil {
		// Only data can fail to encode; drop it rather than fail the answer.
		b = wire.MustMarshal(errorResponse{JSONRPC: wire.JSONRPCVersion, ID: id, Error: errorBody{Code: e.code, Message: e.msg}})
	}
	return b
}

// appendID appends the JSON encoding of a request id.
func appendID(b []byte, id wire.RequestID) []byte {
	if id.IsInt() {
		return append(b, id.String()...)
	}
	enc, err := wire.Marshal(id)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, enc...)
}

// encode encodes a result object built by a handler (a wire result type
// with Meta and ResultType set).
func encode(v any) ([]byte, *rpcError) {
	b, err := wire.Marshal(v)
	if err != nil {
		return nil, errInternal("encode result: %v", err)
	}
	return b, nil
}

// notify encodes and sends a notification of the request.
func (x *exchange) notify(n any) error {
	msg, err := wire.Marshal(n)
	if err != nil {
		return err
	}
	return x.out.send(msg)
}

// errCancelled is the error a sink returns after cancellation.
var errCancelled = errors.New("request cancelled")

// progress reports progress on the request if it carries a progressToken.
// Progress values must increase (progress.mdx); a non-increasing value is
// not sent. It returns an error once the request is cancelled.
func (x *exchange) progress(progress, total float64, message string) error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	tok := x.meta.ProgressToken
	if tok == nil || x.out == nil {
		return nil
	}
	if x.sentProgress && progress <= x.lastProgress {
		return nil
	}
	x.sentProgress, x.lastProgress = true, progress
	p := wire.ProgressNotificationParams{ProgressToken: *tok, Progress: progress, Message: message}
	if total > 0 {
		p.Total = &total
	}
	return x.notify(wire.ProgressNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/progress", Params: p})
}

// logf sends a notifications/message for the request when the request set
// io.modelcontextprotocol/logLevel at or below level (logging.mdx: never
// without the field, never below it, only on this request's stream).
func (x *exchange) logf(level, logger string, data any) error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	if x.logLevel < 0 || x.out == nil || wire.LogLevelRank(level) < x.logLevel {
		return nil
	}
	raw, err := wire.Marshal(data)
	if err != nil {
		return err
	}
	return x.notify(wire.LoggingMessageNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/message",
		Params: wire.LoggingMessageNotificationParams{Level: level, Logger: logger, Data: raw}})
}
