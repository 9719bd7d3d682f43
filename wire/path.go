package wire

import (
	"strconv"
	"strings"
)

// Path is a path into a JSON value: object member names and, for arrays,
// decimal indices ("content", "0", "text"). It is the one way the module
// walks into arguments, results and schemas' instances: decoded JSON
// (map[string]any, []any, ...) with Lookup, Set and Delete, raw JSON with
// LookupValue. An empty Path is the value itself.
type Path []string

// String renders p as a JSON Pointer ("/a/b"), or "the root".
func (p Path) String() string {
	if len(p) == 0 {
		return "the root"
	}
	return "/" + strings.Join(p, "/")
}

// Lookup returns the value at p in v and whether it is present (a null
// member is present, with value nil).
func (p Path) Lookup(v any) (any, bool) {
	for _, k := range p {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, ok := index(k, len(x))
			if !ok {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// LookupValue is Lookup on raw JSON: the member's raw value and whether it
// is present (null included). It decodes one level at a time, leniently
// for what it does not visit.
func (p Path) LookupValue(v Value) (Value, bool) {
	for _, k := range p {
		switch v.Kind() {
		case '{':
			var m map[string]Value
			if Unmarshal(v, &m) != nil {
				return nil, false
			}
			var ok bool
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case '[':
			var a []Value
			if Unmarshal(v, &a) != nil {
				return nil, false
			}
			i, ok := index(k, len(a))
			if !ok {
				return nil, false
			}
			v = a[i]
		default:
			return nil, false
		}
	}
	return v, len(v) > 0
}

// Set sets the value at p in root to x, creating (or replacing by) empty
// objects on the way; an array on the way is indexed, never grown. An
// empty p does nothing.
func (p Path) Set(root map[string]any, x any) {
	if len(p) == 0 {
		return
	}
	var cur any = root
	for i, k := range p {
		last := i == len(p)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k] = x
				return
			}
			next := c[k]
			switch next.(type) {
			case map[string]any, []any:
			default:
				next = map[string]any{}
				c[k] = next
			}
			cur = next
		case []any:
			j, ok := index(k, len(c))
			if !ok {
				return
			}
			if last {
				c[j] = x
				return
			}
			cur = c[j]
		default:
			return
		}
	}
}

// Delete removes the member at p from root, if present (array elements
// are not removed).
func (p Path) Delete(root map[string]any) {
	if len(p) == 0 {
		return
	}
	parent, ok := p[:len(p)-1].Lookup(root)
	if m, isObj := parent.(map[string]any); ok && isObj {
		delete(m, p[len(p)-1])
	}
}

// index parses an array index below n.
func index(k string, n int) (int, bool) {
	i, err := strconv.Atoi(k)
	if err != nil || i < 0 || i >= n || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	return i, true
}
