package wire

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Decoding without reflection, for the types every request carries: the
// params of tools/call, the request _meta (RequestMetaObject, Implementation, ClientCapabilities and
// its two capability objects) and the arguments of tools/call. json's
// struct decoding costs most of a typical request's decoding time, and
// these types are in nearly every message.
//
// Each method decodes exactly as json decodes the type without it, with
// the decoder's options (the strict policy: exact names, duplicate names
// and invalid UTF-8 refused by the decoder): a JSON null leaves the zero
// value, a member present decodes into what the field already holds (json
// merges), unknown members are kept in the `json:",embed"` Object, and
// values of the wrong kind are errors. Encoding is json's, unchanged.
// Each also refuses an unknown member whose name differs from a defined
// one only in case (ErrNameCase), as Unmarshal's walk would after it: the
// walk skips these types (checkedOnDecode).
// TestFastDecodeAgrees and FuzzFastDecodeAgrees hold each method to json's
// decoding of the same type without it.

// memberFunc decodes the value, next in dec, of the member named name (as
// unquoted), and reports whether the type defines that name.
type memberFunc func(dec *jsontext.Decoder, name []byte) (bool, error)

// fastType describes a type of this file for decodeObject.
type fastType struct {
	what string // its name in messages
	t    reflect.Type
	si   *structInfo
}

func newFastType[T any](what string) *fastType {
	t := reflect.TypeFor[T]()
	return &fastType{what, t, newStructInfo(t)}
}

var (
	fastCallParams   = newFastType[CallToolRequestParams]("tools/call params")
	fastMeta         = newFastType[RequestMetaObject]("_meta")
	fastImpl         = newFastType[Implementation]("implementation")
	fastCapabilities = newFastType[ClientCapabilities]("client capabilities")
	fastElicitation  = newFastType[ElicitationCapability]("elicitation capability")
	fastSampling     = newFastType[SamplingCapability]("sampling capability")
)

// checkedOnDecode is implemented by the types whose decoding refuses
// member names that differ from defined ones only in case: checkNames
// does not walk them again.
type checkedOnDecode interface{ namesCheckedOnDecode() }

func (*CallToolRequestParams) namesCheckedOnDecode() {}
func (*RequestMetaObject) namesCheckedOnDecode()     {}
func (*Implementation) namesCheckedOnDecode()        {}
func (*ClientCapabilities) namesCheckedOnDecode()    {}
func (*ElicitationCapability) namesCheckedOnDecode() {}
func (*SamplingCapability) namesCheckedOnDecode()    {}

// decodeObject decodes the object of type ft next in dec member by member
// through member; the members it does not define are added to *extra,
// unless one's name folds to a defined one (ErrNameCase). It reports null
// for a JSON null (read), for the caller to reset its value.
func decodeObject(dec *jsontext.Decoder, ft *fastType, extra *Object, member memberFunc) (null bool, err error) {
	what := ft.what
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		return true, err
	case '{':
	case 0:
		_, err := dec.ReadValue()
		return false, err
	default:
		return false, fmt.Errorf("%s is %s; want an object", what, kindName(k))
	}
	if _, err := dec.ReadToken(); err != nil {
		return false, err
	}
	for dec.PeekKind() == '"' {
		q, err := dec.ReadValue()
		if err != nil {
			return false, err
		}
		name, err := unquoteBytes(q)
		if err != nil {
			return false, err
		}
		ok, err := member(dec, name)
		if err != nil {
			return false, err
		}
		if ok {
			continue
		}
		n := string(name)
		if def, ok := ft.si.folds(n); ok {
			return false, fmt.Errorf("%w: %q in %v; want %q", ErrNameCase, n, ft.t, def)
		}
		v, err := dec.ReadValue()
		if err != nil {
			return false, err
		}
		if *extra == nil {
			*extra = Object{}
		}
		(*extra)[n] = append(Value(nil), v...)
	}
	_, err = dec.ReadToken()
	return false, err
}

// unquoteBytes returns the text a quoted JSON string (valid, as the
// decoder read it) stands for: inside q when it has no escapes.
func unquoteBytes(q []byte) ([]byte, error) {
	if bytes.IndexByte(q, '\\') < 0 {
		return q[1 : len(q)-1], nil
	}
	return jsontext.AppendUnquote(nil, q)
}

// unquote is unquoteBytes as a string.
func unquote(q []byte) (string, error) {
	u, err := unquoteBytes(q)
	return string(u), err
}

// decodeString decodes a string member into *s ("" for null).
func decodeString(dec *jsontext.Decoder, what string, s *string) error {
	if k := dec.PeekKind(); k != '"' && k != 'n' {
		if k == 0 {
			_, err := dec.ReadValue()
			return err
		}
		return fmt.Errorf("%s is %s; want a string", what, kindName(k))
	}
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if v.Kind() == 'n' {
		*s = ""
		return nil
	}
	*s, err = unquote(v)
	return err
}

// decodeStringPtr decodes a string member into **p (nil for null).
func decodeStringPtr(dec *jsontext.Decoder, what string, p **string) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		*p = nil
		return err
	}
	if *p == nil {
		*p = new(string)
	}
	return decodeString(dec, what, *p)
}

// decodeValueMap decodes an object member into *m, each member's value
// kept raw; the values share one buffer. Null leaves no map.
func decodeValueMap(dec *jsontext.Decoder, what string, m *map[string]Value) error {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		*m = nil
		return err
	case '{':
	default:
		if k == 0 {
			_, err := dec.ReadValue()
			return err
		}
		return fmt.Errorf("%s is %s; want an object", what, kindName(k))
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	type entry struct {
		name       string
		start, end int
	}
	var (
		small   [8]entry
		entries = small[:0]
		buf     []byte
	)
	for dec.PeekKind() == '"' {
		q, err := dec.ReadValue()
		if err != nil {
			return err
		}
		name, err := unquote(q)
		if err != nil {
			return err
		}
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		entries = append(entries, entry{name, len(buf), len(buf) + len(v)})
		buf = append(buf, v...)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if *m == nil {
		*m = make(map[string]Value, len(entries))
	}
	for _, e := range entries {
		(*m)[e.name] = Value(buf[e.start:e.end:e.end])
	}
	return nil
}

// decodePtr decodes an object member into **p with its own decoding
// (nil for null; else into what *p points to, allocated if nil).
func decodePtr[T any, P interface {
	*T
	json.UnmarshalerFrom
}](dec *jsontext.Decoder, p *P) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		*p = nil
		return err
	}
	if *p == nil {
		*p = new(T)
	}
	return (*p).UnmarshalJSONFrom(dec)
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (a *ToolArguments) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return decodeValueMap(dec, "arguments", (*map[string]Value)(a))
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (p *CallToolRequestParams) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	null, err := decodeObject(dec, fastCallParams, &p.Extra, func(dec *jsontext.Decoder, name []byte) (bool, error) {
		switch string(name) {
		case "_meta":
			return true, decodePtr(dec, &p.Meta)
		case "arguments":
			return true, p.Arguments.UnmarshalJSONFrom(dec)
		case "inputResponses":
			return true, json.UnmarshalDecode(dec, &p.InputResponses)
		case "name":
			return true, decodeString(dec, "name", &p.Name)
		case "requestState":
			return true, decodeStringPtr(dec, "requestState", &p.RequestState)
		}
		return false, nil
	})
	if null {
		*p = CallToolRequestParams{}
	}
	return err
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (m *RequestMetaObject) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	null, err := decodeObject(dec, fastMeta, &m.Extra, func(dec *jsontext.Decoder, name []byte) (bool, error) {
		switch string(name) {
		case MetaProtocolVersion:
			return true, decodeStringPtr(dec, MetaProtocolVersion, &m.ProtocolVersion)
		case MetaClientInfo:
			return true, decodePtr(dec, &m.ClientInfo)
		case MetaClientCapabilities:
			return true, decodePtr(dec, &m.ClientCapabilities)
		case MetaLogLevel:
			return true, decodeStringPtr(dec, MetaLogLevel, &m.LogLevel)
		case MetaProgressToken:
			return true, decodePtr(dec, &m.ProgressToken)
		}
		return false, nil
	})
	if null {
		*m = RequestMetaObject{}
	}
	return err
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (im *Implementation) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	null, err := decodeObject(dec, fastImpl, &im.Extra, func(dec *jsontext.Decoder, name []byte) (bool, error) {
		switch string(name) {
		case "name":
			return true, decodeString(dec, "name", &im.Name)
		case "version":
			return true, decodeString(dec, "version", &im.Version)
		case "title":
			return true, decodeString(dec, "title", &im.Title)
		case "description":
			return true, decodeString(dec, "description", &im.Description)
		case "websiteUrl":
			return true, decodeString(dec, "websiteUrl", &im.WebsiteURL)
		case "icons":
			return true, json.UnmarshalDecode(dec, &im.Icons)
		}
		return false, nil
	})
	if null {
		*im = Implementation{}
	}
	return err
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (c *ClientCapabilities) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	null, err := decodeObject(dec, fastCapabilities, &c.Extra, func(dec *jsontext.Decoder, name []byte) (bool, error) {
		switch string(name) {
		case "elicitation":
			return true, decodePtr(dec, &c.Elicitation)
		case "sampling":
			return true, decodePtr(dec, &c.Sampling)
		case "roots":
			return true, decodeValueMap(dec, "roots", &c.Roots)
		case "experimental":
			return true, json.UnmarshalDecode(dec, &c.Experimental)
		case "extensions":
			return true, json.UnmarshalDecode(dec, &c.Extensions)
		}
		return false, nil
	})
	if null {
		*c = ClientCapabilities{}
	}
	return err
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (c *ElicitationCapability) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	null, err := decodeObject(dec, fastElicitation, &c.Extra, func(dec *jsontext.Decoder, name []byte) (bool, error) {
		switch string(name) {
		case "form":
			return true, decodeValueMap(dec, "form", &c.Form)
		case "url":
			return true, decodeValueMap(dec, "url", &c.URL)
		}
		return false, nil
	})
	if null {
		*c = ElicitationCapability{}
	}
	return err
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom (see decodeObject).
func (c *SamplingCapability) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	null, err := decodeObject(dec, fastSampling, &c.Extra, func(dec *jsontext.Decoder, name []byte) (bool, error) {
		switch string(name) {
		case "context":
			return true, decodeValueMap(dec, "context", &c.Context)
		case "tools":
			return true, decodeValueMap(dec, "tools", &c.Tools)
		}
		return false, nil
	})
	if null {
		*c = SamplingCapability{}
	}
	return err
}
