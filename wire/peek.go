package wire

import (
	"bytes"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Reading a discriminator without decoding the value: a union's variant
// is named by one member ("type", "method", "mode", "resultType"), and
// the schema's examples and every implementation we know put it first or
// near the front. peekMember reads the object's members only as far as
// that one, with a decoder that checks nothing the strict decoding of the
// variant does not check again, so the value is decoded strictly once.

// peeker is a reusable decoder over a byte slice.
type peeker struct {
	buf bytes.Buffer
	dec jsontext.Decoder
}

var (
	peekers = sync.Pool{New: func() any { return new(peeker) }}
	// peekOpts accept what the strict decoding refuses later (duplicate
	// names, invalid UTF-8), so that a peek never reports an error of its
	// own: it only says whether it found the member.
	peekOpts = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
)

// peekMember reads the JSON object at the start of data (after
// whitespace) up to the first member named name. It returns the member's
// string value (unquoted; it may share data's memory) and present true; present false if the object ends without
// the member. ok is false when it cannot tell: data does not begin with an
// object, the object is cut short or malformed before the member, or the
// member's value is not a string; the caller then decodes strictly, which
// reports the error.
func peekMember(data []byte, name string) (val []byte, present, ok bool) {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '{' {
		return nil, false, false
	}
	if val, ok := firstMember(data, name); ok {
		return val, true, true
	}
	// A pooled peeker keeps a reference to the last data it read until it
	// is used again or the pool drops it (at a garbage collection).
	p := peekers.Get().(*peeker)
	defer peekers.Put(p)
	p.buf = *bytes.NewBuffer(data)
	p.dec.Reset(&p.buf, peekOpts...)
	dec := &p.dec
	if _, err := dec.ReadToken(); err != nil {
		return nil, false, false
	}
	for {
		switch dec.PeekKind() {
		case '}':
			return nil, false, true
		case '"':
		default:
			return nil, false, false
		}
		n, err := dec.ReadValue()
		if err != nil {
			return nil, false, false
		}
		if !sameString(n, name) {
			if dec.SkipValue() != nil {
				return nil, false, false
			}
			continue
		}
		if dec.PeekKind() != '"' {
			return nil, false, false
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, false, false
		}
		if bytes.IndexByte(v, '\\') < 0 {
			return v[1 : len(v)-1], true, true
		}
		u, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return nil, false, false
		}
		return u, true, true
	}
}

// firstMember matches the form nearly every tagged object has, the tag
// first with a plain string value: '{', the quoted name, ':', and a quoted
// value without escapes, whitespace allowed between them. It returns the
// value's bytes; ok is false for any other form (the peeker reads those).
// Whether the rest of data is JSON is for the strict decoding to say.
func firstMember(data []byte, name string) (val []byte, ok bool) {
	rest := bytes.TrimLeft(data[1:], " \t\r\n")
	if len(rest) < len(name)+2 || rest[0] != '"' || string(rest[1:1+len(name)]) != name || rest[1+len(name)] != '"' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest[len(name)+2:], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return nil, false
	}
	end := bytes.IndexAny(rest[1:], "\"\\")
	if end < 0 || rest[1+end] != '"' {
		return nil, false
	}
	return rest[1 : 1+end], true
}

// sameString reports whether the quoted JSON string q is s.
func sameString(q []byte, s string) bool {
	if len(q) < 2 {
		return false
	}
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1:len(q)-1]) == s
	}
	u, err := jsontext.AppendUnquote(nil, q)
	return err == nil && string(u) == s
}

// unreadValue returns the bytes of dec's input from its next value on, as
// far as dec has them buffered: after PeekKind, the unread buffer starts
// with whitespace and the ':' or ',' before the value.
func unreadValue(dec *jsontext.Decoder) []byte {
	b := bytes.TrimLeft(dec.UnreadBuffer(), " \t\r\n")
	if len(b) > 0 && (b[0] == ':' || b[0] == ',') {
		b = b[1:]
	}
	return b
}
