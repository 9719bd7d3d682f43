package wire

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Transport names the binding an exchange travelled on.
type Transport uint8

const (
	HTTP Transport = iota
	Stdio
)

func (t Transport) String() string {
	if t == Stdio {
		return "stdio"
	}
	return "http"
}

// Outcome says how the response side of an exchange ended.
type Outcome uint8

const (
	// Complete: the response arrived whole (a JSON body, an SSE stream
	// that ended, a stdio response line, or a 202/4xx without a body).
	Complete Outcome = iota
	// Cancelled: the client cancelled the request (closed the stream or sent
	// notifications/cancelled) after the replies recorded.
	Cancelled
	// TimedOut: the client stopped waiting.
	TimedOut
	// Truncated: the response exceeded the client's size limit.
	Truncated
	// Dropped: the connection broke before the response ended.
	Dropped
	// NoResponse: nothing is expected (a notification on stdio).
	NoResponse
)

// Finished reports an exchange whose response side ended as the protocol
// means it to: complete, or cancelled by the client after the replies
// recorded (not timed out, refused or broken).
func (o Outcome) Finished() bool { return o == Complete || o == Cancelled }

var outcomeNames = [...]string{"complete", "cancelled", "timed-out", "truncated", "dropped", "no-response"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// ParseOutcome is the inverse of Outcome.String.
func ParseOutcome(s string) (Outcome, error) {
	for i, n := range outcomeNames {
		if n == s {
			return Outcome(i), nil
		}
	}
	return 0, fmt.Errorf("unknown outcome %q; want one of %v", s, outcomeNames)
}

// Credential records how the checker made a request's credential: the
// case of its authentication matrix (which says what the credential's
// defect is: "aud-sibling", "expired", "no-token", "correct-alice-rs256"),
// the token's subject, and its claims.
type Credential struct {
	// Case names the authentication case.
	Case string
	// Principal is the subject of the case's token ("" when it sends
	// none).
	Principal string
	// Claims is the JSON of the token's claims (for readers of a trace;
	// "" when there is no token).
	Claims string
	// Resource and Scope are the canonical URI of the server and the
	// scope the case's correct token was made for: a replay re-mints the
	// case's token from them.
	Resource, Scope string
}

// Exchange is one observed exchange: a message the client sent (with its
// HTTP request line and headers) and everything the server sent for it.
// The raw fields are what travelled; Decode fills the decoded fields from
// them, strictly, once.
type Exchange struct {
	Transport Transport
	// Conn numbers the connection (HTTP) or process (stdio) that carried the
	// exchange, from 1; 0 means unknown. Instance numbers the server
	// instance (the --url given), from 0.
	Conn     int
	Instance int
	// At is the time the request was sent, as an offset from the start of
	// the run; the model takes time only from here.
	At time.Duration

	// The request as sent.
	HTTPMethod string      // HTTP only: "POST", "GET", "DELETE", "OPTIONS"
	Query      string      // HTTP only: the raw query of the request URI ("" for none)
	Header     http.Header // HTTP only
	Body       []byte      // the POST body, or the stdio line without its newline
	// Credential describes the credential the checker minted for this
	// request (an authentication case of its mock authorization server);
	// nil for a credential it was given, or none.
	Credential *Credential

	// The response as received.
	Status     int         // HTTP status; 0 on stdio
	RespHeader http.Header // HTTP only
	RespBody   []byte      // HTTP only: the body as received (bounded)
	Lines      [][]byte    // stdio only: the lines the server wrote for this request
	// LineAt gives, for each of Lines, when it arrived, as an offset from
	// At; empty when unknown.
	LineAt  []time.Duration
	Outcome Outcome
	// CancelAt is when the client cancelled the request (closed the stream
	// or sent notifications/cancelled), as an offset from At; 0 if it did not.
	CancelAt time.Duration

	// Decoded by Decode.
	Sent      Message // Body as a message; nil if it is not one
	SentErr   error
	Params    any // typed params of Sent by the method table; nil if unknown or undecodable
	ParamsErr error
	Replies   []Reply
	// BodyErr reports an HTTP body that could not be split into messages
	// (neither JSON nor SSE, or malformed SSE).
	BodyErr  error
	decoded  bool
	prepared bool
	// Filled by Decode: the response's media type and a lower-cased index
	// of the request headers.
	contentType string
	reqHeader   map[string][]string
	respHeader  map[string][]string
}

// Prepared reports whether MarkPrepared was called (see model.Prepare).
func (ex *Exchange) Prepared() bool { return ex.prepared }

// MarkPrepared records that the exchange was decoded and validated.
func (ex *Exchange) MarkPrepared() { ex.prepared = true }

// Reply is one message the server sent in an exchange.
type Reply struct {
	Raw []byte
	Msg Message // nil if Raw is not a JSON-RPC message
	Err error
	// Result is the typed result of a result response, by the method table
	// and resultType (e.g. *CallToolResult, *InputRequiredResult).
	Result    any
	ResultErr error
	// Params is the typed params of a notification.
	Params    any
	ParamsErr error
	// SchemaErr is set by validation against schema.json (see model.Prepare).
	SchemaErr error
}

// ContentType returns the media type of the response, lowercased, without
// parameters.
func (ex *Exchange) ContentType() string {
	if ex.decoded {
		return ex.contentType
	}
	return mediaType(ex.RespHeader)
}

// RequestHeader returns the first value of the request header whose name
// equals name case-insensitively. name must be lower case; after Decode the
// lookup is a map access.
func (ex *Exchange) RequestHeader(name string) (string, bool) {
	if !ex.decoded {
		return HeaderValue(ex.Header, name)
	}
	vs := ex.reqHeader[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// ResponseHeader is RequestHeader for the response headers.
func (ex *Exchange) ResponseHeader(name string) (string, bool) {
	if !ex.decoded {
		return HeaderValue(ex.RespHeader, name)
	}
	vs := ex.respHeader[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// RequestHeaders returns the request headers indexed by lower-cased name
// (after Decode; nil before). Values of names that differ only in case are
// merged, in the sorted order of the names as sent. Callers must not
// modify it.
func (ex *Exchange) RequestHeaders() map[string][]string { return ex.reqHeader }

// lowerIndex maps lower-cased header names to their values, merging names
// that differ only in case in sorted order (so the first value does not
// depend on map iteration).
func lowerIndex(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string][]string, len(h))
	for _, k := range keys {
		lk := strings.ToLower(k)
		out[lk] = append(out[lk], h[k]...)
	}
	return out
}

func mediaType(h http.Header) string {
	v, ok := HeaderValue(h, "Content-Type")
	if !ok {
		return ""
	}
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return mt
}

// Request returns the sent request, or nil if a notification or invalid.
func (ex *Exchange) Request() *JSONRPCRequest {
	r, _ := ex.Sent.(*JSONRPCRequest)
	return r
}

// Method returns the JSON-RPC method sent, or "".
func (ex *Exchange) Method() string { return MessageMethod(ex.Sent) }

// Decode fills the decoded fields from the raw ones. It is idempotent and
// never fails as a whole: each part records its own error.
func (ex *Exchange) Decode() {
	if ex.decoded {
		return
	}
	ex.decoded = true
	ex.contentType = mediaType(ex.RespHeader)
	ex.reqHeader = lowerIndex(ex.Header)
	ex.respHeader = lowerIndex(ex.RespHeader)
	ex.Sent, ex.Params, ex.ParamsErr, ex.SentErr = DecodeRequest(ex.Body)
	method := ""
	if ex.Sent != nil {
		method = MessageMethod(ex.Sent)
	}
	var raws [][]byte
	switch ex.Transport {
	case Stdio:
		raws = ex.Lines
	default:
		raws, ex.BodyErr = SplitHTTPBody(ex.ContentType(), ex.RespBody)
	}
	ex.Replies = make([]Reply, len(raws))
	for i, raw := range raws {
		ex.Replies[i] = DecodeReply(method, raw)
	}
}

// DecodeReply decodes one message the server sent in answer to a request
// of the given method.
func DecodeReply(method string, raw []byte) Reply {
	r := Reply{Raw: raw}
	r.Msg, r.Err = DecodeMessage(raw)
	switch m := r.Msg.(type) {
	case *JSONRPCResultResponse:
		if info, ok := LookupMethod(method); ok {
			r.Result, r.ResultErr = DecodeResult(info, m.Result)
		}
	case *JSONRPCNotification:
		if info, ok := LookupServerNotification(m.Method); ok {
			r.Params, r.ParamsErr = DecodeParams(info, m.Params)
		}
	}
	return r
}

// SplitHTTPBody splits an HTTP response body into the raw messages it
// carries: one for application/json, one per SSE event carrying data for
// text/event-stream, none for an empty body.
func SplitHTTPBody(contentType string, body []byte) ([][]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	switch contentType {
	case "application/json":
		return [][]byte{body}, nil
	case "text/event-stream":
		var out [][]byte
		err := ParseSSE(bytes.NewReader(body), MaxSSEEvent, func(ev SSEEvent) error {
			if len(ev.Data) > 0 {
				out = append(out, ev.Data)
			}
			return nil
		})
		return out, err
	default:
		return nil, fmt.Errorf("response body with content type %q; want application/json or text/event-stream", contentType)
	}
}
