package headers

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

func init() {
	check.Register(&check.Check{
		Name: "headers/x-mcp-header",
		IDs: []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable,
			spec.HttpXMcpHeaderIntRange, spec.HttpXMcpHeaderSensitive},
		Needs: needsAnnotations,
		Run:   checkXMcpHeaderAnnotations,
	})
}

// xAnnotation is one x-mcp-header member found in an inputSchema.
type xAnnotation struct {
	value     any      // the member's value (a string when well-formed)
	where     string   // JSON pointer of the annotated schema
	path      []string // properties keys from the root (when reachable)
	reachable bool     // through properties keys alone
	schema    map[string]any
}

// hdrAnnotations walks an inputSchema for x-mcp-header members. A schema
// is statically reachable only through a chain of properties keys from
// the root; every other keyword (items, composition, conditionals, $defs,
// ...) breaks the chain. Instance values (const, enum, default, examples)
// are not schemas and are not searched.
func hdrAnnotations(schema any) []xAnnotation {
	var out []xAnnotation
	var walk func(v any, path []string, reachable bool, where string)
	walk = func(v any, path []string, reachable bool, where string) {
		switch v := v.(type) {
		case map[string]any:
			if h, ok := v["x-mcp-header"]; ok {
				out = append(out, xAnnotation{value: h, where: where, path: append([]string(nil), path...), reachable: reachable, schema: v})
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				switch k {
				case "const", "enum", "default", "examples", "x-mcp-header":
					continue
				case "properties":
					if props, ok := v[k].(map[string]any); ok {
						for _, p := range slices.Sorted(maps.Keys(props)) {
							walk(props[p], append(append([]string(nil), path...), p), reachable, where+"/properties/"+hdrEscapePointer(p))
						}
						continue
					}
				}
				walk(v[k], path, false, where+"/"+hdrEscapePointer(k))
			}
		case []any:
			for i, x := range v {
				walk(x, path, false, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(schema, nil, true, "#")
	return out
}

func hdrEscapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// hdrPrimitiveTyped reports whether a schema's type admits only integer,
// string or boolean values: one of them, possibly beside "null" (a null
// argument simply sends no header). number, object, array, several
// primitive types, or no type at all do not qualify.
func hdrPrimitiveTyped(t any) bool {
	prim := func(s any) bool { return s == "integer" || s == "string" || s == "boolean" }
	switch t := t.(type) {
	case string:
		return prim(t)
	case []any:
		n := 0
		for _, x := range t {
			switch {
			case prim(x):
				n++
			case x == "null":
			default:
				return false
			}
		}
		return n == 1
	}
	return false
}

func hdrIntegerTyped(t any) bool {
	if t == "integer" {
		return true
	}
	if l, ok := t.([]any); ok {
		for _, x := range l {
			if x == "integer" {
				return true
			}
		}
	}
	return false
}

// hdrSafeBounds reports whether an integer schema bounds its values within
// ±(2^53-1).
func hdrSafeBounds(s map[string]any) bool {
	const safe = float64(wire.MaxSafeInteger)
	num := func(k string) (float64, bool) { f, ok := s[k].(float64); return f, ok }
	lo, okLo := num("minimum")
	if x, ok := num("exclusiveMinimum"); ok && (!okLo || x+1 > lo) {
		lo, okLo = x+1, true
	}
	hi, okHi := num("maximum")
	if x, ok := num("exclusiveMaximum"); ok && (!okHi || x-1 < hi) {
		hi, okHi = x-1, true
	}
	return okLo && okHi && lo >= -safe && hi <= safe
}

// hdrSensitiveWords are the words that make a parameter look sensitive when
// they are its whole name or its last word (tools.mdx: passwords, API
// keys, tokens, PII).
var hdrSensitiveWords = map[string]bool{
	"password": true, "passwd": true, "passphrase": true, "pwd": true, "secret": true, "token": true,
	"apikey": true, "credential": true, "credentials": true, "ssn": true, "authorization": true,
	"cookie": true, "otp": true, "privatekey": true,
}

// hdrLooksSensitive guesses from a name (a property key or header name)
// whether the parameter carries a secret or PII: its last word is a
// sensitive one, or it has "api key", "private key", "secret key" or
// "access key".
func hdrLooksSensitive(name string) bool {
	words := hdrSplitWords(name)
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	if hdrSensitiveWords[last] || strings.HasPrefix(last, "password") {
		return true
	}
	for i := 0; i+1 < len(words); i++ {
		if words[i+1] == "key" && (words[i] == "api" || words[i] == "private" || words[i] == "secret" || words[i] == "access") {
			return true
		}
		if words[i] == "password" || words[i] == "secret" {
			return true
		}
	}
	return false
}

// hdrSplitWords splits snake, kebab, dotted and camel case into lower-case
// words.
func hdrSplitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// needsAnnotations: the constraints apply to tools with x-mcp-header.
func needsAnnotations(e *check.Env) string {
	if e.Server.Discover == nil {
		return ""
	}
	for _, td := range e.Decl.Tools {
		if len(hdrAnnotations(td.Schema)) > 0 {
			return ""
		}
	}
	return "no listed tool has an x-mcp-header annotation"
}

// checkXMcpHeaderAnnotations checks every x-mcp-header annotation of the
// listed tools against the constraints of tools.mdx: a non-empty token
// (HTTP-X-MCP-HEADER), unique case-insensitively within the inputSchema
// (-UNIQUE), on an integer, string or boolean property (-TYPE), reachable
// through properties alone (-REACHABLE); an integer property bounded
// within ±(2^53-1) by its schema, or refused out of range by the server
// (-INT-RANGE); and no sensitive-looking parameter annotated (-SENSITIVE,
// a name-based guess).
func checkXMcpHeaderAnnotations(e *check.Env) {
	ids := []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable,
		spec.HttpXMcpHeaderIntRange, spec.HttpXMcpHeaderSensitive}
	if e.Server.Discover == nil {
		probe.InconclusiveAll(e, ids, "discovery failed: the server's tools are unknown")
		return
	}
	bad := map[spec.ID]int{}
	n, ints := 0, 0
	type unbounded struct {
		tool string
		path []string
	}
	var probes []unbounded
	for _, tool := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		anns := hdrAnnotations(e.Decl.Tools[tool].Schema)
		seen := map[string]string{}
		for _, a := range anns {
			n++
			name, isStr := a.value.(string)
			where := fmt.Sprintf("tool %q: x-mcp-header at %s", tool, a.where)
			if !a.reachable {
				bad[spec.HttpXMcpHeaderReachable]++
				e.Violation(spec.HttpXMcpHeaderReachable, "%s is not reachable from the root through properties keys alone", where)
			}
			switch {
			case !isStr || name == "":
				bad[spec.HttpXMcpHeader]++
				e.Violation(spec.HttpXMcpHeader, "%s is %s; want a non-empty token", where, hdrClip(string(wire.MustMarshal(a.value)), 80))
				continue
			case !wire.IsToken(name):
				bad[spec.HttpXMcpHeader]++
				e.Violation(spec.HttpXMcpHeader, "%s is %q, not an RFC 9110 token (1*tchar, no control characters)", where, name)
			}
			if prev, dup := seen[strings.ToLower(name)]; dup {
				bad[spec.HttpXMcpHeaderUnique]++
				e.Violation(spec.HttpXMcpHeaderUnique, "%s: %q repeats %s (compared case-insensitively)", where, name, prev)
			} else {
				seen[strings.ToLower(name)] = a.where
			}
			if !hdrPrimitiveTyped(a.schema["type"]) {
				bad[spec.HttpXMcpHeaderType]++
				e.Violation(spec.HttpXMcpHeaderType, "%s (%q) is on a property of type %s; want integer, string or boolean", where, name, hdrClip(string(wire.MustMarshal(a.schema["type"])), 60))
			} else if a.reachable && hdrIntegerTyped(a.schema["type"]) {
				ints++
				if !hdrSafeBounds(a.schema) {
					probes = append(probes, unbounded{tool, a.path})
				}
			}
			prop := ""
			if len(a.path) > 0 {
				prop = a.path[len(a.path)-1]
			}
			if hdrLooksSensitive(name) || hdrLooksSensitive(prop) {
				bad[spec.HttpXMcpHeaderSensitive]++
				e.Violation(spec.HttpXMcpHeaderSensitive, "%s (%q on property %q) looks like it carries a secret or personal data (a guess from its name); header values are visible to intermediaries", where, name, prop)
			}
		}
	}
	for _, id := range []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable} {
		if bad[id] == 0 {
			e.Pass(id, "%d x-mcp-header annotation(s) of the listed tools checked", n)
		}
	}
	if bad[spec.HttpXMcpHeaderSensitive] == 0 {
		e.Pass(spec.HttpXMcpHeaderSensitive, "no annotated parameter looks sensitive by its name (a name-based guess over %d annotation(s))", n)
	}
	switch {
	case ints == 0:
		e.Skip(spec.HttpXMcpHeaderIntRange, "no valid x-mcp-header annotation is on an integer property")
	case len(probes) == 0:
		e.Pass(spec.HttpXMcpHeaderIntRange, "every annotated integer property (%d) is bounded within ±(2^53-1) by its schema", ints)
	}
	for _, p := range probes {
		if e.Ctx.Err() != nil {
			return
		}
		hdrProbeIntRange(e, p.tool, p.path)
	}
}

// hdrProbeIntRange calls an annotated tool whose integer property the schema
// leaves unbounded with ±2^53 there (and the matching header): the server
// must not serve a value outside the safe range (a refusal, or a tool
// error, passes).
func hdrProbeIntRange(e *check.Env, tool string, path []string) {
	id := spec.HttpXMcpHeaderIntRange
	b, _, ok := hdrParamServed(e, tool)
	if !ok {
		e.Inconclusive(id, "tool %q: no served call to vary (its integer argument %s is not bounded by the schema)", tool, strings.Join(path, "."))
		return
	}
	for _, v := range []int64{1 << 53, -(1 << 53)} {
		params := probe.CloneParams(b.Params)
		args, _ := params["arguments"].(map[string]any)
		wire.Path(path).Set(args, v)
		o := e.Send(e.Request("tools/call", params))
		what := fmt.Sprintf("tools/call %s with %s = %d, outside ±(2^53-1)", tool, strings.Join(path, "."), v)
		r, isCall := o.Result().(*wire.CallToolResult)
		switch {
		case !o.Answered():
			e.Inconclusive(id, "%s: %s", what, o.Describe())
		case o.Rejected() || (isCall && r.IsError != nil && *r.IsError):
			e.Pass(id, "%s: refused (%s)", what, o.Describe())
		case o.Accepted():
			e.Violation(id, "%s: served; an x-mcp-header integer must stay within the safe range, and the schema does not bound it", what)
		default:
			e.Inconclusive(id, "%s: %s", what, o.Describe())
		}
	}
}
