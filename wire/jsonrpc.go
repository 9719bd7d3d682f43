package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// JSONRPCVersion is the only value of the "jsonrpc" member.
const JSONRPCVersion = "2.0"

// RequestID is a JSON-RPC request id: a string or an integer. MCP forbids
// null ids on requests. The zero RequestID is "absent".
type RequestID struct {
	str   string
	num   int64
	isNum bool
	set   bool
}

// StringID returns the string id s.
func StringID(s string) RequestID { return RequestID{str: s, set: true} }

// IntID returns the integer id n.
func IntID(n int64) RequestID { return RequestID{num: n, isNum: true, set: true} }

// IsZero reports whether the id is absent.
func (id RequestID) IsZero() bool { return !id.set }

// IsInt reports whether the id is an integer.
func (id RequestID) IsInt() bool { return id.isNum }

// Int returns an integer id's value.
func (id RequestID) Int() (int64, bool) { return id.num, id.isNum && id.set }

// String renders the id as it appears in JSON (strings quoted).
func (id RequestID) String() string {
	switch {
	case !id.set:
		return "<none>"
	case id.isNum:
		return strconv.FormatInt(id.num, 10)
	default:
		return strconv.Quote(id.str)
	}
}

// Equal reports whether two ids are the same id (the string "1" and the
// integer 1 differ).
func (id RequestID) Equal(o RequestID) bool {
	return id.set == o.set && id.isNum == o.isNum && id.num == o.num && id.str == o.str
}

// Key returns a map key distinguishing string "1" from integer 1.
func (id RequestID) Key() string {
	if id.isNum {
		return "n" + strconv.FormatInt(id.num, 10)
	}
	return "s" + id.str
}

// MarshalJSONTo implements json.MarshalerTo.
func (id RequestID) MarshalJSONTo(enc *jsontext.Encoder) error {
	switch {
	case !id.set:
		return enc.WriteToken(jsontext.Null)
	case id.isNum:
		return enc.WriteToken(jsontext.Int(id.num))
	default:
		return enc.WriteToken(jsontext.String(id.str))
	}
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom. It accepts a string or
// an integer (a number with no fraction or exponent), and rejects null.
func (id *RequestID) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '"':
		*id = StringID(tok.String())
		return nil
	case '0':
		raw := tok.String()
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("request id %s is not an integer", raw)
		}
		*id = IntID(n)
		return nil
	case 'n':
		return errors.New("request id is null; want a string or an integer")
	default:
		return fmt.Errorf("request id is a %v; want a string or an integer", tok.Kind())
	}
}

// Error is the error object of a JSON-RPC error response.
type Error struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
	// Data is optional and free-form.
	Data  Value  `json:"data,omitzero"`
	Extra Object `json:",embed"`
}

func (e *Error) Error() string { return fmt.Sprintf("json-rpc error %d: %s", e.Code, e.Message) }

// Message is one JSON-RPC 2.0 message: a *JSONRPCRequest,
// *JSONRPCNotification, *JSONRPCResultResponse or *JSONRPCErrorResponse.
type Message interface {
	isMessage()
}

// JSONRPCRequest is a request: it has an id and a method.
type JSONRPCRequest struct {
	JSONRPC string    `json:"jsonrpc"`
	ID      RequestID `json:"id,omitzero"`
	Method  string    `json:"method"`
	// Params is kept raw; DecodeParams decodes it by the method table.
	Params Value `json:"params,omitzero"`
	Extra  Value `json:",embed"`
}

// JSONRPCNotification is a notification: a method and no id.
type JSONRPCNotification struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  Value  `json:"params,omitzero"`
	Extra   Value  `json:",embed"`
}

// JSONRPCResultResponse is a successful response.
type JSONRPCResultResponse struct {
	JSONRPC string    `json:"jsonrpc"`
	ID      RequestID `json:"id,omitzero"`
	Result  Value     `json:"result"`
	Extra   Value     `json:",embed"`
}

// JSONRPCErrorResponse is an error response. ID is zero when the request's
// id could not be read.
type JSONRPCErrorResponse struct {
	JSONRPC string    `json:"jsonrpc"`
	ID      RequestID `json:"id,omitzero"`
	Error   Error     `json:"error"`
	Extra   Value     `json:",embed"`
}

func (*JSONRPCRequest) isMessage()        {}
func (*JSONRPCNotification) isMessage()   {}
func (*JSONRPCResultResponse) isMessage() {}
func (*JSONRPCErrorResponse) isMessage()  {}

// envelope is the union of the members of all four message shapes, used to
// classify a message in one strict decoding pass.
type envelope struct {
	JSONRPC *string    `json:"jsonrpc"`
	ID      envelopeID `json:"id"`
	Method  *string    `json:"method"`
	Params  Value      `json:"params"`
	Result  Value      `json:"result"`
	Error   *Error     `json:"error"`
	Unknown Value      `json:",embed"`

	// src, when set, is the text being decoded: the params of a method
	// of the table that come after the method are then decoded into its
	// params type in the same pass (typed), their text sliced from src.
	// A failure of that decoding is errTyped: the caller decodes again in
	// two passes, which tells a message error from a params error.
	src   []byte
	typed any
}

// errTyped stops an envelope whose params did not decode into their type
// in the envelope's pass (see envelope.src).
var errTyped = errors.New("params did not decode in the envelope's pass")

// UnmarshalJSONFrom implements json.UnmarshalerFrom: one pass over the
// members, each known one decoded as json decodes its field (names matched
// exactly; a null string, error or id member as json leaves it), and the
// unknown ones kept in Unknown exactly as json keeps them in an embedded
// Value. The decoder refuses duplicate names, known or unknown.
func (env *envelope) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil // as json leaves a struct for null: zero
	case '{':
	default:
		return fmt.Errorf("message is %s; want an object", kindName(tok.Kind()))
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadValue()
		if err != nil {
			return err
		}
		unquoted, err := unquoteBytes(name)
		if err != nil {
			return err
		}
		switch string(unquoted) {
		case "jsonrpc":
			env.JSONRPC, err = readStringMember(dec, "jsonrpc")
		case "id":
			err = env.ID.UnmarshalJSONFrom(dec)
		case "method":
			env.Method, err = readStringMember(dec, "method")
		case "params":
			if env.src != nil && env.Method != nil && dec.PeekKind() == '{' {
				err = env.decodeTyped(dec)
				break
			}
			env.Params, err = readValueMember(dec)
		case "result":
			env.Result, err = readValueMember(dec)
		case "error":
			env.Error, err = nil, nil
			if dec.PeekKind() == 'n' {
				_, err = dec.ReadToken()
			} else {
				env.Error = new(Error)
				err = json.UnmarshalDecode(dec, env.Error)
			}
		default:
			env.Unknown, err = appendMember(env.Unknown, name, dec)
		}
		if err != nil {
			return err
		}
	}
	_, err = dec.ReadToken()
	return err
}

// decodeTyped decodes the params, next in dec, into the params type of
// the method already read (a method outside the table: kept raw), and
// keeps their text as read.
func (env *envelope) decodeTyped(dec *jsontext.Decoder) error {
	info, ok := LookupMethod(*env.Method)
	if !ok || info.NewParams == nil {
		var err error
		env.Params, err = readValueMember(dec)
		return err
	}
	start := dec.InputOffset()
	p := info.NewParams()
	if json.UnmarshalDecode(dec, p, decodeOptsFor(reflect.TypeOf(p))) != nil {
		return errTyped
	}
	raw := bytes.TrimLeft(env.src[start:dec.InputOffset()], " \t\r\n:")
	env.Params, env.typed = append(Value(nil), raw...), p
	return nil
}

// readStringMember reads a string member's value: nil for null. The
// version and the method names of the method table are not allocated
// again: the pointer is shared (the envelope is only read).
func readStringMember(dec *jsontext.Decoder, name string) (*string, error) {
	if k := dec.PeekKind(); k != '"' && k != 'n' && k != 0 {
		return nil, fmt.Errorf("%q is %s; want a string", name, kindName(k))
	}
	v, err := dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return nil, err
	}
	if bytes.IndexByte(v, '\\') < 0 {
		if p, ok := knownStrings[string(v[1:len(v)-1])]; ok {
			return p, nil
		}
	}
	u, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return nil, err
	}
	s := string(u)
	return &s, nil
}

// knownStrings holds the values of "jsonrpc" and "method" that messages
// carry again and again.
var knownStrings = func() map[string]*string {
	m := map[string]*string{JSONRPCVersion: new(JSONRPCVersion)}
	for _, row := range Methods {
		m[row.Method] = &row.Method
	}
	return m
}()

// readValueMember reads a member's value raw, in memory of its own.
func readValueMember(dec *jsontext.Decoder) (Value, error) {
	v, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return append(Value(nil), v...), nil
}

// appendMember adds the member whose quoted name was just read to the
// object obj (nil for none yet), as json adds an unknown member to an
// embedded Value: the name as written, ':', the value as written.
func appendMember(obj Value, quotedName []byte, dec *jsontext.Decoder) (Value, error) {
	v, err := dec.ReadValue()
	if err != nil {
		return obj, err
	}
	if len(obj) == 0 {
		obj = append(obj, '{')
	} else {
		obj[len(obj)-1] = ','
	}
	obj = append(obj, quotedName...)
	obj = append(obj, ':')
	obj = append(obj, v...)
	return append(obj, '}'), nil
}

// envelopeID is the id member of an envelope, read in the envelope's pass:
// absent (the zero value), null, or a RequestID.
type envelopeID struct {
	id      RequestID
	present bool
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom: null is a present id
// whose RequestID is zero; anything else decodes as a RequestID.
func (e *envelopeID) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	e.present = true
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	return e.id.UnmarshalJSONFrom(dec)
}

// DecodeMessage decodes one JSON-RPC message strictly and classifies it.
// It rejects: anything but a JSON object; a missing or wrong "jsonrpc";
// a message that is none or more than one of the four shapes; a null id on
// a request; params that are not an object; members of the wrong type; an
// unknown member whose name differs from a defined one only in case
// (ErrNameCase). Unknown top-level members are kept in the message's Extra (the schema
// leaves the envelope open).
func DecodeMessage(data []byte) (Message, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("%w: want a JSON object", ErrNotMessage)
	}
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	return decodeMessage(data, strictOpts) // an envelope holds no union
}

// DecodeRequest is DecodeMessage followed, for a request or notification
// of a method of the table, by DecodeParams of its params, with the same
// results, in one pass over the text where it can (params after method,
// and decoding without error); params and paramsErr are DecodeParams'.
func DecodeRequest(data []byte) (m Message, params any, paramsErr error, err error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' && checkDepth(data) == nil {
		env := envelope{src: data}
		if m, err := env.decode(data, strictOpts); err == nil {
			if env.typed == nil {
				params, paramsErr = paramsOf(m)
				return m, params, paramsErr, nil
			}
			if err := checkNames(env.typed); err != nil {
				return m, nil, fmt.Errorf("%s params: %w", MessageMethod(m), err), nil
			}
			return m, env.typed, nil, nil
		} else if !errors.Is(err, errTyped) {
			return nil, nil, nil, err
		}
	}
	if m, err = DecodeMessage(data); err != nil {
		return nil, nil, nil, err
	}
	params, paramsErr = paramsOf(m)
	return m, params, paramsErr, nil
}

// paramsOf is DecodeParams of a request's or notification's params, by the
// method table (nil, nil for another message or method).
func paramsOf(m Message) (any, error) {
	var raw Value
	switch m := m.(type) {
	case *JSONRPCRequest:
		raw = m.Params
	case *JSONRPCNotification:
		raw = m.Params
	default:
		return nil, nil
	}
	info, ok := LookupMethod(MessageMethod(m))
	if !ok {
		return nil, nil
	}
	return DecodeParams(info, raw)
}

// decodeMessage is DecodeMessage after the cheap checks, with the options
// given (the strict policy, or the options of a decoder in progress).
func decodeMessage(data []byte, opts json.Options) (Message, error) {
	var env envelope
	return env.decode(data, opts)
}

// decode decodes data into env and classifies the message.
func (env *envelope) decode(data []byte, opts json.Options) (Message, error) {
	if err := json.Unmarshal(data, env, opts); err != nil {
		if errors.Is(err, errTyped) {
			return nil, errTyped
		}
		return nil, fmt.Errorf("%w: %v", ErrNotMessage, err)
	}
	id, hasID := env.ID.id, env.ID.present // id is zero for an absent or null id
	if env.JSONRPC == nil || *env.JSONRPC != JSONRPCVersion {
		return nil, fmt.Errorf("%w: \"jsonrpc\" must be \"2.0\"", ErrNotMessage)
	}
	if len(env.Params) > 0 && env.Params.Kind() != '{' {
		return nil, fmt.Errorf("%w: params must be an object", ErrNotMessage)
	}
	var m Message
	switch {
	case env.Method != nil && env.Result == nil && env.Error == nil:
		if !hasID {
			m = &JSONRPCNotification{JSONRPC: JSONRPCVersion, Method: *env.Method, Params: env.Params, Extra: env.Unknown}
			break
		}
		if id.IsZero() {
			return nil, fmt.Errorf("%w: request id is null", ErrNotMessage)
		}
		m = &JSONRPCRequest{JSONRPC: JSONRPCVersion, ID: id, Method: *env.Method, Params: env.Params, Extra: env.Unknown}
	case env.Method == nil && env.Params == nil && env.Result != nil && env.Error == nil:
		if !hasID || id.IsZero() {
			return nil, fmt.Errorf("%w: result response without an id", ErrNotMessage)
		}
		if env.Result.Kind() != '{' {
			return nil, fmt.Errorf("%w: result must be an object", ErrNotMessage)
		}
		m = &JSONRPCResultResponse{JSONRPC: JSONRPCVersion, ID: id, Result: env.Result, Extra: env.Unknown}
	case env.Method == nil && env.Params == nil && env.Result == nil && env.Error != nil:
		r := &JSONRPCErrorResponse{JSONRPC: JSONRPCVersion, Error: *env.Error, Extra: env.Unknown}
		if hasID {
			r.ID = id
		}
		m = r
	default:
		return nil, fmt.Errorf("%w: not a request, notification, result or error", ErrNotMessage)
	}
	if err := checkNames(env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotMessage, err)
	}
	return m, nil
}

// ErrNotMessage reports input that is not a JSON-RPC 2.0 message.
var ErrNotMessage = errors.New("not a json-rpc message")

// EncodeMessage encodes a message compactly.
func EncodeMessage(m Message) ([]byte, error) { return Marshal(m) }

// NewRequest builds a request whose params are params encoded.
func NewRequest(id RequestID, method string, params any) (*JSONRPCRequest, error) {
	r := &JSONRPCRequest{JSONRPC: JSONRPCVersion, ID: id, Method: method}
	if params != nil {
		b, err := Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("encode %s params: %w", method, err)
		}
		r.Params = b
	}
	return r, nil
}

// NewResult builds a result response whose result is result encoded.
func NewResult(id RequestID, result any) (*JSONRPCResultResponse, error) {
	b, err := Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return &JSONRPCResultResponse{JSONRPC: JSONRPCVersion, ID: id, Result: b}, nil
}

// NewError builds an error response.
func NewError(id RequestID, code int64, message string, data any) *JSONRPCErrorResponse {
	r := &JSONRPCErrorResponse{JSONRPC: JSONRPCVersion, ID: id, Error: Error{Code: code, Message: message}}
	if data != nil {
		if b, err := Marshal(data); err == nil {
			r.Error.Data = b
		}
	}
	return r
}

// MessageID returns the id of a request or response (zero for a
// notification or an id-less error).
func MessageID(m Message) RequestID {
	switch m := m.(type) {
	case *JSONRPCRequest:
		return m.ID
	case *JSONRPCResultResponse:
		return m.ID
	case *JSONRPCErrorResponse:
		return m.ID
	}
	return RequestID{}
}

// MessageMethod returns the method of a request or notification, "" otherwise.
func MessageMethod(m Message) string {
	switch m := m.(type) {
	case *JSONRPCRequest:
		return m.Method
	case *JSONRPCNotification:
		return m.Method
	}
	return ""
}
