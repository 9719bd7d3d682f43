package wire

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth is the default limit on the nesting of arrays and objects in one
// message. Deeper input is rejected before it is decoded.
const MaxDepth = 64

// ErrTooDeep reports input nested deeper than the limit.
var ErrTooDeep = errors.New("json nested too deeply")

// decodeOpts is the one strict decoding policy of mcpverify:
//   - object member names match struct fields case-sensitively;
//   - a duplicate member name anywhere is an error;
//   - invalid UTF-8 is an error;
//   - unknown members are kept where a type declares a `json:",embed"`
//     field (the schema allows extension almost everywhere) and are
//     otherwise ignored;
//   - sealed unions (ContentBlock, InputRequest, ...) decode by their
//     discriminator through unionUnmarshalers (unions.go).
//
// Unmarshal adds one check the options cannot express: an unknown member
// whose name differs from a defined member only in case is an error
// (ErrNameCase).
var decodeOpts = json.JoinOptions(strictOpts, json.WithUnmarshalers(unionUnmarshalers))

// strictOpts are decodeOpts without the union functions, for types that
// cannot hold a sealed union (see decodeOptsFor). Every check is the same.
var strictOpts = json.JoinOptions(
	json.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// decodeOptsFor returns the options to decode into a value of type t:
// decodeOpts, or strictOpts when no value of t can hold a sealed union.
// With functions registered, json looks up the type of every member it
// decodes among them; a type that needs none is spared the lookups.
func decodeOptsFor(t reflect.Type) json.Options {
	if o, ok := optsByType.Load(t); ok {
		return o.(json.Options)
	}
	o := strictOpts
	if holdsUnion(t) {
		o = decodeOpts
	}
	optsByType.Store(t, o)
	return o
}

var optsByType sync.Map // reflect.Type -> json.Options

var (
	unmarshalerFromType = reflect.TypeFor[json.UnmarshalerFrom]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// holdsUnion reports whether a value of type t may hold a sealed union (an
// interface with methods) that json decodes through unionUnmarshalers. A
// type with an unmarshal method of its own decodes itself: the methods of
// this package that decode unions pass decodeOpts themselves.
func holdsUnion(t reflect.Type) bool {
	return reachable(t, map[reflect.Type]bool{}, func(t reflect.Type) (found, skip bool) {
		for _, m := range []reflect.Type{unmarshalerFromType, unmarshalerType, textUnmarshalerType} {
			if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
				return false, true
			}
		}
		if t.Kind() == reflect.Interface {
			return t.NumMethod() > 0, true
		}
		return false, false
	}, reflect.StructField.IsExported)
}

// encodeOpts fixes the encoding: deterministic member order for maps.
var encodeOpts = json.JoinOptions(
	json.Deterministic(true),
	jsontext.AllowInvalidUTF8(false),
)

// Unmarshal decodes data into v with the strict policy. It is the only JSON
// decoding entry point for wire data in mcpverify; every package that reads
// protocol JSON goes through it (or through DecodeMessage, which uses it).
// Types with interface-typed members (the sealed unions of this package)
// decode only through Unmarshal.
func Unmarshal(data []byte, v any) error {
	if err := checkDepth(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v, decodeOptsFor(reflect.TypeOf(v))); err != nil {
		return err
	}
	return checkNames(v)
}

// Marshal encodes v as compact JSON with deterministic map order.
func Marshal(v any) ([]byte, error) {
	return json.Marshal(v, encodeOpts)
}

// MustMarshal is Marshal for values that cannot fail to encode (types of this
// package built in code); it panics otherwise.
func MustMarshal(v any) []byte {
	b, err := Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("wire: marshal %T: %v", v, err))
	}
	return b
}

// checkDepth refuses data nested deeper than MaxDepth (ErrTooDeep). Nesting
// never exceeds the number of opening brackets, counted inside strings too:
// text with at most MaxDepth of them, as nearly every message is, is
// cleared by counting bytes, and only the rest is scanned.
func checkDepth(data []byte) error {
	if bytes.Count(data, openObject)+bytes.Count(data, openArray) <= MaxDepth {
		return nil
	}
	if d := Depth(data); d > MaxDepth {
		return fmt.Errorf("%w: depth %d, limit %d", ErrTooDeep, d, MaxDepth)
	}
	return nil
}

var openObject, openArray = []byte{'{'}, []byte{'['}

// Depth returns the maximum nesting depth of arrays and objects in data,
// scanning bytes without decoding. Brackets inside strings do not count.
// It does not validate; malformed input gets some depth and fails later.
func Depth(data []byte) int {
	var sh Shape
	sh.Scan(data)
	return sh.Depth
}

// Shape measures JSON text without decoding it: the deepest nesting of
// arrays and objects, and how many object members and array elements it
// holds in all, at every depth. The text may be fed in pieces, as it
// arrives, so that a reader can stop at the first piece that crosses a
// limit instead of building what the text describes. The counts are exact
// for valid JSON; other text gets some counts and fails later. The zero
// Shape is ready for the first piece.
type Shape struct {
	// Depth is the deepest nesting seen so far.
	Depth int
	// Members counts the object members and array elements seen so far.
	Members int

	depth  int
	inStr  bool
	esc    bool
	opened bool // after '{' or '[': the next value, if any, is a member
}

// Scan feeds the next piece of the text.
func (s *Shape) Scan(p []byte) {
	for _, c := range p {
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
			}
			continue
		}
		if s.opened {
			switch c {
			case ' ', '\t', '\n', '\r':
				continue
			case '}', ']':
			default:
				s.Members++
			}
			s.opened = false
		}
		switch c {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
			s.Depth = max(s.Depth, s.depth)
			s.opened = true
		case '}', ']':
			s.depth--
		case ',':
			s.Members++
		}
	}
}

// Value is a raw JSON value, kept as received.
type Value = jsontext.Value

// Object is a JSON object whose members are kept in a map; used for
// free-form members the schema leaves open (`{ [key: string]: unknown }`).
type Object = map[string]jsontext.Value

// ValidJSON reports whether data is one syntactically valid JSON value in
// UTF-8. Duplicate member names are allowed here (RFC 8259 permits them;
// the strict policy is what refuses them).
func ValidJSON(data []byte) bool {
	return jsontext.Value(data).IsValid(jsontext.AllowDuplicateNames(true))
}

// ValidJSONLax reports whether data is one syntactically valid JSON value
// when invalid UTF-8 inside strings is tolerated (many parsers replace it).
func ValidJSONLax(data []byte) bool {
	return jsontext.Value(data).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// HasDuplicateNames reports whether valid JSON data repeats a member name
// in some object.
func HasDuplicateNames(data []byte) bool {
	return ValidJSON(data) && !jsontext.Value(data).IsValid()
}

// DescribeNotJSON says how data fails to be one JSON value, for messages:
// a value followed by more bytes (which), a value cut short, or the
// syntax error.
func DescribeNotJSON(data []byte) string {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	_, err := dec.ReadValue()
	switch {
	case err == nil:
		rest := bytes.TrimSpace(data[dec.InputOffset():])
		tail := rest
		if len(tail) > 24 {
			tail = append(tail[:24:24], "…"...)
		}
		return fmt.Sprintf("a JSON value followed by %d more byte(s) (%q)", len(rest), tail)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Sprintf("a JSON value cut short after %d byte(s)", len(data))
	}
	return "a body that is not JSON (" + err.Error() + ")"
}
