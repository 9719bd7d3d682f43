package handles

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/wire"
)

// What data flow shows: the values a tool's result carries that could be
// handles, the arguments that could take them, and how strongly names,
// descriptions and declarations suggest that one goes into the other
// (an order of trial, never a verdict: the acceptance test decides).

// handleName matches names of handles (arguments and result members):
// id, *_id, *Id, *ID, and names with handle, token or session in them. A
// hint: it orders the candidates and vouches for a pair. The tests
// replace it with a pattern that matches nothing, to show that detection
// does not depend on it.
var handleName = regexp.MustCompile(`(?i)(^id$|_id$|[a-z0-9]Id$|ID$|handle|token|session)`)

// handleWords matches argument descriptions that speak of a handle or an
// identifier ("the cart id returned by cart_create", "identifier of the
// session").
var handleWords = regexp.MustCompile(`(?i)\b(handles?|identifiers?|ids?|tokens?|sessions?|returned by|obtained from|given by|issued by)\b`)

// createLike matches names of tools that create something.
var createLike = regexp.MustCompile(`(?i)(create|new|open|start|begin|init|make|mint|register|login|session|checkout|reserve|allocate)`)

// deleteLike matches names of tools that release something.
var deleteLike = regexp.MustCompile(`(?i)(delete|remove|destroy|close|release|drop|discard|revoke|dispose|terminate|end_|_end$)`)

// idWord matches id-like words in a text: letters and digits with an
// underscore, dash or digit in them.
var idWord = regexp.MustCompile(`\b[A-Za-z0-9][A-Za-z0-9_\-]*[_\-0-9][A-Za-z0-9_\-]*\b`)

var (
	// opaqueChars: the characters of an opaque value (letters, digits,
	// the separators and base64 signs).
	opaqueChars = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_\-.:~+/=]*$`)
	// dateLike: an ISO 8601 date or time, which no server mints as a
	// handle.
	dateLike = regexp.MustCompile(`^\d{4}-\d{2}\b|^\d{2}:\d{2}`)
)

// opaque reports whether s could be a handle: 6 to 256 characters of
// opaqueChars, an id-like word (a digit, dash or underscore in it) or at
// least 16 characters long, and not a date, a time or a URL.
func opaque(s string) bool {
	switch {
	case len(s) < 6 || len(s) > 256 || !opaqueChars.MatchString(s):
		return false
	case dateLike.MatchString(s) || strings.Contains(s, "://"):
		return false
	}
	return len(s) >= 16 || strings.ContainsAny(s, "_-0123456789")
}

// textWords returns the opaque id-like words of a tool result's text, in
// order.
func textWords(r *wire.CallToolResult) []string {
	var out []string
	for _, b := range r.Content {
		if t, ok := b.(*wire.TextContent); ok {
			for _, w := range idWord.FindAllString(t.Text, 32) {
				if opaque(w) {
					out = append(out, w)
				}
			}
		}
	}
	return out
}

// resultJSON decodes the result of o (numbers kept as written).
func resultJSON(o check.Observation) (any, bool) {
	var raw wire.Value
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCResultResponse); ok {
			raw = m.Result
		}
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return v, len(raw) > 0 && d.Decode(&v) == nil
}

// scalarHandle is the handle a JSON value can be: a non-empty string, or
// a number (as its text).
func scalarHandle(v any) (handleValue, bool) {
	switch x := v.(type) {
	case string:
		return handleValue{x, x}, x != ""
	case json.Number:
		return handleValue{x.String(), x}, true
	}
	return handleValue{}, false
}

// handleIn returns the handle a result of a minting tool carries: the
// value at t.path, or the t.word-th opaque id-like word of its text.
func (t handleTool) handleIn(o check.Observation) (handleValue, bool) {
	if len(t.path) > 0 {
		v, ok := resultJSON(o)
		if !ok {
			return handleValue{}, false
		}
		if v, ok = wire.Path(t.path).Lookup(v); !ok {
			return handleValue{}, false
		}
		return scalarHandle(v)
	}
	r, ok := o.Result().(*wire.CallToolResult)
	if !ok {
		return handleValue{}, false
	}
	if ws := textWords(r); t.word < len(ws) {
		return handleValue{ws[t.word], ws[t.word]}, true
	}
	return handleValue{}, false
}

// candidate is a value a tool returned that could be a handle.
type candidate struct {
	path  []string // in the result; nil: a word of the text
	word  int      // with no path, the index among the text's id-like words
	val   handleValue
	named bool // the member is named like a handle
}

func (c candidate) where() string {
	if c.path == nil {
		return "its text"
	}
	return strings.Join(c.path, ".")
}

// Bounds of the walk of a result.
const (
	walkDepth    = 4 // levels below structuredContent
	walkElements = 2 // elements of an array
)

// resultValues returns the values of a tool result that could be handles:
// the members of structuredContent (through objects and the first
// elements of arrays, walkDepth levels down) whose value is an opaque
// string, or any string or number when the member is named like a
// handle; then the opaque id-like words of its text that are not among
// those.
func resultValues(o check.Observation) []candidate {
	r, ok := o.Result().(*wire.CallToolResult)
	if !ok {
		return nil
	}
	var out []candidate
	seen := map[string]bool{}
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch x := v.(type) {
		case map[string]any:
			if len(path) > walkDepth {
				return
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k], append(slices.Clip(path), k))
			}
		case []any:
			if len(path) > walkDepth {
				return
			}
			for i := range min(len(x), walkElements) {
				walk(x[i], append(slices.Clip(path), strconv.Itoa(i)))
			}
		default:
			h, ok := scalarHandle(v)
			key := path[len(path)-1]
			named := handleName.MatchString(key)
			if _, isStr := v.(string); !ok || !(named || isStr && opaque(h.text)) {
				return
			}
			seen[h.text] = true
			out = append(out, candidate{path: path, val: h, named: named})
		}
	}
	if len(r.StructuredContent) > 0 {
		var v any
		d := json.NewDecoder(bytes.NewReader(r.StructuredContent))
		d.UseNumber()
		if d.Decode(&v) == nil {
			if _, isObj := v.(map[string]any); isObj {
				walk(v, []string{"structuredContent"})
			}
		}
	}
	for i, w := range textWords(r) {
		if !seen[w] {
			seen[w] = true
			out = append(out, candidate{word: i, val: handleValue{w, w}})
		}
	}
	return out
}

// slot is a candidate user of handles: a top-level string argument of a
// tool (or an integer one that names or descriptions call a handle).
type slot struct {
	tool, prop string
	schema     map[string]any
	nRequired  int
	required   bool
	named      bool     // named like a handle (handleName)
	described  bool     // its description speaks of a handle or identifier
	from       []string // the tools its description names
	// release: the tool is marked destructive or named like a release; it
	// is called only with a value some other tool was shown to take.
	release bool
	// open: the slot served a value never minted, so it does not look
	// values up; tries counts the values tried in it.
	open  bool
	tries int
}

// hinted reports whether the slot's name or description suggests a
// handle.
func (s *slot) hinted() bool { return s.named || s.described }

// destructive reports whether a tool is marked destructiveHint: true.
func destructive(td *check.ToolDecl) bool {
	a := td.Tool.Annotations
	return a != nil && a.DestructiveHint != nil && *a.DestructiveHint
}

// readOnly reports whether a tool is marked readOnlyHint: true.
func readOnly(td *check.ToolDecl) bool {
	a := td.Tool.Annotations
	return a != nil && a.ReadOnlyHint != nil && *a.ReadOnlyHint
}

// freeString: a string property whose value is free (no enum, no const,
// no format but uuid).
func freeString(ps map[string]any) bool {
	f, _ := ps["format"].(string)
	return ps["type"] == "string" && ps["enum"] == nil && ps["const"] == nil && (f == "" || f == "uuid")
}

// slotsOf returns the candidate slots of every tool, by tool and
// argument name.
func slotsOf(e *check.Env) []*slot {
	var out []*slot
	names := slices.Sorted(maps.Keys(e.Decl.Tools))
	for _, name := range names {
		td := e.Decl.Tools[name]
		props, _ := probe.SchemaProps(td.Schema)
		req := map[string]bool{}
		if m, ok := td.Schema.(map[string]any); ok {
			if r, ok := m["required"].([]any); ok {
				for _, x := range r {
					if s, ok := x.(string); ok {
						req[s] = true
					}
				}
			}
		}
		for _, p := range slices.Sorted(maps.Keys(props)) {
			ps, _ := props[p].(map[string]any)
			desc, _ := ps["description"].(string)
			s := &slot{tool: name, prop: p, schema: ps, required: req[p], nRequired: len(req),
				named: handleName.MatchString(p), described: handleWords.MatchString(desc),
				release: destructive(td) || deleteLike.MatchString(name)}
			for _, other := range names {
				if other != name && mentions(desc, other) {
					s.from = append(s.from, other)
				}
			}
			if freeString(ps) || ps["type"] == "integer" && s.hinted() {
				out = append(out, s)
			}
		}
	}
	return out
}

// mentions reports whether text names the tool (as a word).
func mentions(text, tool string) bool {
	for i := strings.Index(text, tool); i >= 0; {
		end := i + len(tool)
		if (i == 0 || !wordChar(text[i-1])) && (end == len(text) || !wordChar(text[end])) {
			return true
		}
		j := strings.Index(text[i+1:], tool)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func wordChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// fits reports whether v meets the length and pattern of the slot's
// schema (a value the schema refuses tells nothing).
func (s *slot) fits(v handleValue) bool {
	if _, isNum := v.arg.(json.Number); isNum != (s.schema["type"] == "integer") {
		return false
	}
	n := float64(len([]rune(v.text)))
	if m, ok := s.schema["minLength"].(float64); ok && n < m {
		return false
	}
	if m, ok := s.schema["maxLength"].(float64); ok && n > m {
		return false
	}
	if p, ok := s.schema["pattern"].(string); ok {
		if re, err := regexp.Compile(p); err == nil && !re.MatchString(v.text) {
			return false
		}
	}
	return true
}

// idSuffix is a separate id at the end of a name (cart_id, cart.ID,
// cartId, cartID), not letters that end a word (paid).
var idSuffix = regexp.MustCompile(`(?:[_.\-](?i:id)|([a-z0-9])(?:Id|ID))$`)

// baseName is a name without its id suffix and separators, in lower
// case: cart_id, cartId, CART-ID and cart are all "cart".
func baseName(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, idSuffix.ReplaceAllString(name, "$1"))
}

// stem is the first word of a tool name (cart of cart_create, cartCreate,
// cart.create).
func stem(tool string) string {
	for i, r := range tool {
		if i > 0 && (r == '_' || r == '-' || r == '.' || r == '/' || unicode.IsUpper(r)) {
			return strings.ToLower(tool[:i])
		}
	}
	return strings.ToLower(tool)
}

// pairScore says how strongly names and descriptions suggest that the
// candidate c minted by tool m goes into slot s: its description names m;
// the member and the argument have the same base name; either is named
// like a handle; the description speaks of a handle; the tools share a
// first word; the value is structured.
func pairScore(m string, c candidate, s *slot) int {
	n := 0
	if slices.Contains(s.from, m) {
		n += 8
	}
	if c.path != nil && baseName(c.path[len(c.path)-1]) == baseName(s.prop) {
		n += 4
	}
	if s.named {
		n += 2
	}
	if c.named {
		n += 2
	}
	if s.described {
		n += 2
	}
	if stem(m) == stem(s.tool) {
		n++
	}
	if c.path != nil {
		n++
	}
	return n
}

// vouched reports whether a pair has evidence besides the flow itself:
// a name or description that speaks of a handle, or a description that
// names the minting tool.
func vouched(m string, c candidate, s *slot) bool {
	return c.named || s.hinted() || slices.Contains(s.from, m)
}

// related reports whether, once c is known to be a handle, s may take
// it too: s's name or description speaks of a handle or names m, or its
// argument has the base name of the member or of a slot that took it.
func related(m string, c candidate, s *slot, took []*slot) bool {
	if s.hinted() || slices.Contains(s.from, m) {
		return true
	}
	if c.path != nil && baseName(c.path[len(c.path)-1]) == baseName(s.prop) {
		return true
	}
	for _, t := range took {
		if baseName(t.prop) == baseName(s.prop) {
			return true
		}
	}
	return false
}

// outputNames returns the property names an outputSchema declares, walkDepth
// levels down (through properties and items).
func outputNames(schema wire.Value) []string {
	var doc any
	if json.Unmarshal(schema, &doc) != nil {
		return nil
	}
	var out []string
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		m, _ := v.(map[string]any)
		if m == nil || depth > walkDepth {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(props)) {
				out = append(out, k)
				walk(props[k], depth+1)
			}
		}
		walk(m["items"], depth+1)
	}
	walk(doc, 0)
	return out
}
