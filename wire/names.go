package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// ErrNameCase reports an unknown object member whose name differs from a
// member the type defines only in case ("ResultType" next to or instead of
// "resultType"). A case-insensitive decoder (Go's encoding/json and many
// others) would bind it to the defined member and this one would not: a
// parser differential, so the strict policy refuses it.
var ErrNameCase = errors.New("member name differs from a defined member only in case")

// checkNames walks a decoded value and reports the first unknown member
// (kept in a `json:",embed"` field) that folds to a defined member's name.
func checkNames(v any) error {
	return walkFallbacks(reflect.ValueOf(v), func(t reflect.Type, si *structInfo, names []string) error {
		for _, n := range names {
			if def, ok := si.fold[foldName(n)]; ok {
				return fmt.Errorf("%w: %q in %v; want %q", ErrNameCase, n, t, def)
			}
		}
		return nil
	})
}

// structInfo is what the walk needs to know of one struct type.
type structInfo struct {
	fold     map[string]string // foldName(json name) -> json name, of the defined members
	fallback int               // index of the `json:",embed"` Object or Value field, or -1
	children []int             // fields whose values may hold structs with a fallback
	names    []string          // the JSON names of children
}

var structInfos sync.Map // reflect.Type -> *structInfo

var (
	objectType = reflect.TypeFor[Object]()
	valueType  = reflect.TypeFor[Value]()
)

func infoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{fold: map[string]string{}, fallback: -1}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "embed") {
			if sf.Type == objectType || sf.Type == valueType {
				si.fallback = i
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		si.fold[foldName(name)] = name
		if mayHold(sf.Type) {
			si.children = append(si.children, i)
			si.names = append(si.names, name)
		}
	}
	structInfos.Store(t, si)
	return si
}

// mayHold reports whether a value of type t may hold a struct (and so an
// embedded fallback). Empty interfaces hold only generic JSON here.
func mayHold(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Interface:
		return t.NumMethod() > 0
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return mayHold(t.Elem())
	}
	return false
}

// pathError locates an error of walkFallbacks in the value, as a JSON
// Pointer built while the walk unwinds (so a walk that succeeds builds no
// path).
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return fmt.Sprintf("within %q: %v", e.path, e.err) }
func (e *pathError) Unwrap() error { return e.err }

func inPath(err error, token string) error {
	token = "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
	if pe, ok := err.(*pathError); ok {
		pe.path = token + pe.path
		return pe
	}
	return &pathError{path: token, err: err}
}

// walkFallbacks calls fn for every struct reachable from v whose embedded
// fallback holds at least one member, with the names of those members in
// sorted order.
func walkFallbacks(v reflect.Value, fn func(t reflect.Type, si *structInfo, names []string) error) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return walkFallbacks(v.Elem(), fn)
	case reflect.Interface:
		if v.IsNil() || v.Type().NumMethod() == 0 {
			return nil
		}
		return walkFallbacks(v.Elem(), fn)
	case reflect.Struct:
		si := infoOf(v.Type())
		if si.fallback >= 0 {
			if names := fallbackNames(v.Field(si.fallback)); len(names) > 0 {
				if err := fn(v.Type(), si, names); err != nil {
					return err
				}
			}
		}
		for j, i := range si.children {
			if err := walkFallbacks(v.Field(i), fn); err != nil {
				return inPath(err, si.names[j])
			}
		}
	case reflect.Slice, reflect.Array:
		if !mayHold(v.Type().Elem()) {
			return nil
		}
		for i := range v.Len() {
			if err := walkFallbacks(v.Index(i), fn); err != nil {
				return inPath(err, strconv.Itoa(i))
			}
		}
	case reflect.Map:
		if !mayHold(v.Type().Elem()) {
			return nil
		}
		it := v.MapRange()
		for it.Next() {
			if err := walkFallbacks(it.Value(), fn); err != nil {
				return inPath(err, it.Key().String())
			}
		}
	}
	return nil
}

// fallbackNames returns the member names held in a fallback field (an
// Object, or a Value holding an object), sorted.
func fallbackNames(f reflect.Value) []string {
	var names []string
	switch f.Type() {
	case objectType:
		if f.Len() == 0 {
			return nil
		}
		it := f.MapRange()
		for it.Next() {
			names = append(names, it.Key().String())
		}
	case valueType:
		raw := f.Bytes()
		if len(raw) == 0 {
			return nil
		}
		dec := jsontext.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
			return nil
		}
		for dec.PeekKind() == '"' {
			tok, err := dec.ReadToken()
			if err != nil {
				break
			}
			names = append(names, tok.String())
			if dec.SkipValue() != nil {
				break
			}
		}
	}
	slices.Sort(names)
	return names
}

// foldName maps s to a key that two names share exactly when they are
// equal under Unicode simple case folding (so "K" and the Kelvin sign
// fold together, as encoding/json folds them).
func foldName(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(minFold(r))
	}
	return b.String()
}

// minFold returns the smallest rune of r's case-folding orbit.
func minFold(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// CheckNameFolds applies the strict policy's rule on member names to JSON
// text whose objects no type describes (tool arguments, free-form
// members): no object, at any depth, may hold two members whose names are
// equal under case folding ("name" and "Name"), which a case-insensitive
// decoder would read as one member and this one as two. The error wraps
// ErrNameCase and locates the member. Text that is not valid JSON gives
// no error here: it fails where it is decoded.
func CheckNameFolds(data []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	// folds[d] holds the folded names of the object open at depth d.
	var folds []map[string]string
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		d := dec.StackDepth()
		for len(folds) <= d {
			folds = append(folds, nil)
		}
		switch tok.Kind() {
		case '{':
			clear(folds[d])
			continue
		case '"':
		default:
			continue
		}
		if kind, n := dec.StackIndex(d); kind != '{' || n%2 == 0 {
			continue // a string value, not a member name
		}
		name := tok.String()
		key := foldName(name)
		if folds[d] == nil {
			folds[d] = map[string]string{}
		}
		if prev, seen := folds[d][key]; seen {
			return fmt.Errorf("%w: %q and %q at %q", ErrNameCase, prev, name, dec.StackPointer().Parent())
		}
		folds[d][key] = name
	}
}
