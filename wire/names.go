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
// (kept in a `json:",embed"` field), in sorted order, that folds to a
// defined member's name. Names are sorted only when one folds.
func checkNames(v any) error {
	return walk(reflect.ValueOf(v), func(t reflect.Type, si *structInfo, f reflect.Value) error {
		if obj, ok := f.Interface().(Object); ok && !si.foldsAny(obj) {
			return nil
		}
		for _, n := range fallbackNames(f) {
			if def, ok := si.folds(n); ok {
				return fmt.Errorf("%w: %q in %v; want %q", ErrNameCase, n, t, def)
			}
		}
		return nil
	})
}

// folds returns the defined member whose name folds to the same key as
// name. ASCII names, nearly all, are folded without allocating.
func (si *structInfo) folds(name string) (string, bool) {
	var buf [64]byte
	if len(name) > len(buf) || !isASCII(name) {
		def, ok := si.fold[foldName(name)]
		return def, ok
	}
	b := buf[:len(name)]
	for i := range len(name) {
		c := name[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	def, ok := si.fold[string(b)] // as foldName folds ASCII: strings.ToUpper
	return def, ok
}

// foldsAny reports whether a member name of obj folds to a defined one.
func (si *structInfo) foldsAny(obj Object) bool {
	for n := range obj {
		if _, ok := si.folds(n); ok {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// structInfo is what the walk needs to know of one struct type.
type structInfo struct {
	fold     map[string]string // foldName(json name) -> json name, of the defined members
	fallback int               // index of the `json:",embed"` Object or Value field, or -1
}

var (
	checkedOnDecodeType = reflect.TypeFor[checkedOnDecode]()
	objectType          = reflect.TypeFor[Object]()
	valueType           = reflect.TypeFor[Value]()
)

func newStructInfo(t reflect.Type) *structInfo {
	si := &structInfo{fold: map[string]string{}, fallback: -1}
	for i := range t.NumField() {
		sf := t.Field(i)
		if name, ok := memberName(sf); ok {
			si.fold[foldName(name)] = name
		} else if isFallback(sf) {
			si.fallback = i
		}
	}
	return si
}

// memberName returns the JSON name of a struct field that is a member of
// its own (not skipped, not an embedded fallback).
func memberName(sf reflect.StructField) (string, bool) {
	if !sf.IsExported() {
		return "", false
	}
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if slices.Contains(strings.Split(opts, ","), "embed") {
		return "", false
	}
	if name == "" {
		name = sf.Name
	}
	return name, true
}

// isFallback reports whether a struct field is an embedded fallback the
// walk reads (an Object or a Value).
func isFallback(sf reflect.StructField) bool {
	_, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
	return sf.IsExported() && slices.Contains(strings.Split(opts, ","), "embed") &&
		(sf.Type == objectType || sf.Type == valueType)
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

// visitFunc is called by walkFallbacks for a struct whose fallback holds
// members.
type visitFunc = func(t reflect.Type, si *structInfo, names []string) error

// walkFallbacks calls fn for every struct reachable from v whose embedded
// fallback holds at least one member, with the names of those members in
// sorted order.
func walkFallbacks(v reflect.Value, fn visitFunc) error {
	return walk(v, func(t reflect.Type, si *structInfo, f reflect.Value) error {
		if names := fallbackNames(f); len(names) > 0 {
			return fn(t, si, names)
		}
		return nil
	})
}

// fallbackFunc is called by walk for a struct whose fallback field f is not
// empty.
type fallbackFunc = func(t reflect.Type, si *structInfo, f reflect.Value) error

// walk calls fn for every struct reachable from v whose embedded fallback
// is not empty.
func walk(v reflect.Value, fn fallbackFunc) error {
	if !v.IsValid() {
		return nil
	}
	if w := walkerOf(v.Type()); w != nil {
		return w(v, fn)
	}
	return nil
}

// A walker is walk compiled for one type: built once per type, it goes
// straight to the fields, elements and values that may hold a struct with
// a fallback. Types that can hold none have a nil walker, so a walk costs
// nothing there.
type walker func(v reflect.Value, fn fallbackFunc) error

// walkerCell holds the walker of one type; a type that refers to itself
// reaches its own cell while the walker is being built, and calls it
// through the cell once it is set.
type walkerCell struct {
	w    walker
	done bool // w is built (and may be nil)
}

var (
	walkers   sync.Map // reflect.Type -> *walkerCell, complete
	walkersMu sync.Mutex
)

func walkerOf(t reflect.Type) walker {
	if c, ok := walkers.Load(t); ok {
		return c.(*walkerCell).w
	}
	walkersMu.Lock()
	defer walkersMu.Unlock()
	building := map[reflect.Type]*walkerCell{}
	w := buildWalker(t, building)
	for bt, c := range building {
		walkers.Store(bt, c)
	}
	return w
}

// buildWalker builds the walker of t; building holds the cells of the
// types whose walkers are being built (complete when the outermost call
// returns). Called with walkersMu held.
func buildWalker(t reflect.Type, building map[reflect.Type]*walkerCell) walker {
	if c, ok := walkers.Load(t); ok {
		return c.(*walkerCell).w
	}
	if c, ok := building[t]; ok {
		if c.done {
			return c.w
		}
		// A cycle: the walk may go round it, through the cell.
		return func(v reflect.Value, fn fallbackFunc) error {
			if c.w == nil {
				return nil
			}
			return c.w(v, fn)
		}
	}
	c := &walkerCell{}
	building[t] = c
	c.w, c.done = compileWalker(t, building), true
	return c.w
}

func compileWalker(t reflect.Type, building map[reflect.Type]*walkerCell) walker {
	if !mayHold(t) {
		return nil
	}
	if reflect.PointerTo(t).Implements(checkedOnDecodeType) {
		return nil // its decoding checked the names (fastdecode.go)
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := buildWalker(t.Elem(), building)
		if elem == nil {
			return nil
		}
		return func(v reflect.Value, fn fallbackFunc) error {
			if v.IsNil() {
				return nil
			}
			return elem(v.Elem(), fn)
		}
	case reflect.Interface:
		// Empty interfaces hold only generic JSON here; a sealed union holds
		// a variant, walked by its own type.
		if t.NumMethod() == 0 {
			return nil
		}
		return func(v reflect.Value, fn fallbackFunc) error {
			if v.IsNil() {
				return nil
			}
			return walk(v.Elem(), fn)
		}
	case reflect.Struct:
		return structWalker(t, building)
	case reflect.Slice, reflect.Array:
		elem := buildWalker(t.Elem(), building)
		if elem == nil {
			return nil
		}
		return func(v reflect.Value, fn fallbackFunc) error {
			for i := range v.Len() {
				if err := elem(v.Index(i), fn); err != nil {
					return inPath(err, strconv.Itoa(i))
				}
			}
			return nil
		}
	case reflect.Map:
		elem := buildWalker(t.Elem(), building)
		if elem == nil {
			return nil
		}
		return func(v reflect.Value, fn fallbackFunc) error {
			if v.Len() == 0 {
				return nil
			}
			it := v.MapRange()
			for it.Next() {
				if err := elem(it.Value(), fn); err != nil {
					return inPath(err, it.Key().String())
				}
			}
			return nil
		}
	}
	return nil
}

// mayHold reports whether a value of type t may hold a struct with an
// embedded fallback: whether one is reachable through its members, or
// through a sealed union (whose variants are known only at run time).
func mayHold(t reflect.Type) bool {
	return reachable(t, map[reflect.Type]bool{}, func(t reflect.Type) (found, skip bool) {
		switch t.Kind() {
		case reflect.Interface:
			return t.NumMethod() > 0, true
		case reflect.Struct:
			for i := range t.NumField() {
				if isFallback(t.Field(i)) {
					return true, true
				}
			}
		}
		return false, false
	}, func(sf reflect.StructField) bool {
		_, ok := memberName(sf)
		return ok
	})
}

// reachable reports whether match finds t, or a type reachable from it
// through pointers, slices, arrays, map values and the struct fields that
// follow accepts; match also says which types not to look into (skip).
// seen holds the types already looked at.
func reachable(t reflect.Type, seen map[reflect.Type]bool, match func(reflect.Type) (found, skip bool), follow func(reflect.StructField) bool) bool {
	if seen[t] {
		return false // what it reaches is being looked at already
	}
	seen[t] = true
	if found, skip := match(t); found || skip {
		return found
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return reachable(t.Elem(), seen, match, follow)
	case reflect.Struct:
		for i := range t.NumField() {
			if sf := t.Field(i); follow(sf) && reachable(sf.Type, seen, match, follow) {
				return true
			}
		}
	}
	return false
}

func structWalker(t reflect.Type, building map[reflect.Type]*walkerCell) walker {
	si := newStructInfo(t)
	type child struct {
		index int
		name  string
		walk  walker
	}
	var children []child
	for i := range t.NumField() {
		sf := t.Field(i)
		name, ok := memberName(sf)
		if !ok {
			continue
		}
		if w := buildWalker(sf.Type, building); w != nil {
			children = append(children, child{i, name, w})
		}
	}
	if si.fallback < 0 && len(children) == 0 {
		return nil
	}
	return func(v reflect.Value, fn fallbackFunc) error {
		if si.fallback >= 0 {
			// An Object or a Value: empty (nil) unless a member was kept.
			if f := v.Field(si.fallback); f.Len() > 0 {
				if err := fn(t, si, f); err != nil {
					return err
				}
			}
		}
		for _, c := range children {
			if err := c.walk(v.Field(c.index), fn); err != nil {
				return inPath(err, c.name)
			}
		}
		return nil
	}
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
	if isASCII(s) {
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
