package gen

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// Chooser is the source of choices of the generators: a *rand.Rand
// (gopter), or a rapid.T through an adapter, so that the same generators
// serve the live campaign and the property tests (where rapid shrinks the
// choices).
type Chooser interface {
	Intn(n int) int
}

// maxGenDepth bounds the nesting of generated values.
const maxGenDepth = 4

// GenerateValue draws a value meant to satisfy a JSON Schema (2020-12,
// decoded into map[string]any / []any / ...): types, enum and const,
// required and optional properties, items and prefixItems, numeric and
// length bounds, pattern (where Go's regexp reads it), common formats,
// anyOf/oneOf/allOf and local $ref. The result is made of map[string]any,
// []any, string, int64, float64, bool and nil. It is a best effort: callers
// that need a valid value validate it.
func GenerateValue(ch Chooser, schema any) any {
	g := &generator{ch: ch, root: schema}
	return g.value(schema, 0)
}

type generator struct {
	ch   Chooser
	root any
}

func (g *generator) pick(n int) int {
	if n <= 1 {
		return 0
	}
	return g.ch.Intn(n)
}

func (g *generator) value(schema any, depth int) any {
	s, ok := schema.(map[string]any)
	if !ok {
		if b, ok := schema.(bool); ok && !b {
			return nil // false schema: nothing is valid
		}
		return g.anyValue(depth)
	}
	if ref, ok := s["$ref"].(string); ok && depth < maxGenDepth*2 {
		if target := g.resolve(ref); target != nil {
			return g.value(target, depth+1)
		}
	}
	if c, ok := s["const"]; ok {
		return c
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[g.pick(len(e))]
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts, ok := s[k].([]any); ok && len(alts) > 0 {
			return g.value(merge(s, alts[g.pick(len(alts))], k), depth+1)
		}
	}
	if all, ok := s["allOf"].([]any); ok && len(all) > 0 {
		m := without(s, "allOf")
		for _, a := range all {
			m = merge(m, a, "")
		}
		return g.value(m, depth+1)
	}
	switch t := typeOf(s, g.pick); t {
	case "object":
		return g.object(s, depth)
	case "array":
		return g.array(s, depth)
	case "string":
		return g.str(s)
	case "integer":
		return g.integer(s)
	case "number":
		return g.number(s)
	case "boolean":
		return g.pick(2) == 1
	case "null":
		return nil
	}
	return g.anyValue(depth)
}

// typeOf picks the schema's type: its "type" (one of a list), or one
// implied by its keywords.
func typeOf(s map[string]any, pick func(int) int) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			if str, ok := t[pick(len(t))].(string); ok {
				return str
			}
		}
	}
	switch {
	case s["properties"] != nil || s["required"] != nil || s["additionalProperties"] != nil:
		return "object"
	case s["items"] != nil || s["prefixItems"] != nil:
		return "array"
	case s["pattern"] != nil || s["minLength"] != nil || s["maxLength"] != nil || s["format"] != nil:
		return "string"
	case s["minimum"] != nil || s["maximum"] != nil:
		return "number"
	}
	return ""
}

func (g *generator) anyValue(depth int) any {
	switch g.pick(4) {
	case 0:
		return "x"
	case 1:
		return int64(g.pick(100))
	case 2:
		return g.pick(2) == 1
	}
	if depth >= maxGenDepth {
		return nil
	}
	return map[string]any{}
}

func (g *generator) object(s map[string]any, depth int) map[string]any {
	out := map[string]any{}
	props, _ := s["properties"].(map[string]any)
	required := map[string]bool{}
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				required[name] = true
			}
		}
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !required[n] && (depth >= maxGenDepth || g.pick(2) == 0) {
			continue
		}
		out[n] = g.value(props[n], depth+1)
	}
	for n := range required {
		if _, ok := out[n]; !ok {
			out[n] = g.anyValue(maxGenDepth)
		}
	}
	return out
}

func (g *generator) array(s map[string]any, depth int) []any {
	lo, hi := IntKeyword(s, "minItems", 0), IntKeyword(s, "maxItems", 3)
	if hi < lo {
		hi = lo
	}
	if depth >= maxGenDepth {
		hi = lo
	}
	n := lo + g.pick(hi-lo+1)
	prefix, _ := s["prefixItems"].([]any)
	out := make([]any, n)
	for i := range out {
		if i < len(prefix) {
			out[i] = g.value(prefix[i], depth+1)
			continue
		}
		out[i] = g.value(s["items"], depth+1)
	}
	if u, ok := s["uniqueItems"].(bool); ok && u {
		out = dedup(out)
	}
	return out
}

func dedup(in []any) []any {
	seen := map[string]bool{}
	var out []any
	for _, v := range in {
		k := fmt.Sprintf("%#v", v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

var formats = map[string][]string{
	"email":     {"a@example.com", "x.y+z@example.org"},
	"uri":       {"https://example.com/a", "file:///tmp/x"},
	"date-time": {"2026-07-28T12:00:00Z"},
	"date":      {"2026-07-28"},
	"time":      {"12:00:00Z"},
	"uuid":      {"123e4567-e89b-12d3-a456-426614174000"},
	"hostname":  {"example.com"},
	"ipv4":      {"127.0.0.1"},
}

var SampleStrings = []string{"", "a", "hello", "Zürich", "x y", "=?base64?aGk=?=", "../etc", "a\nb", "日本"}

func (g *generator) str(s map[string]any) string {
	if f, ok := s["format"].(string); ok {
		if vals, ok := formats[f]; ok {
			return vals[g.pick(len(vals))]
		}
	}
	lo, hi := IntKeyword(s, "minLength", 0), IntKeyword(s, "maxLength", -1)
	if p, ok := s["pattern"].(string); ok {
		if v, ok := g.fromPattern(p, lo, hi); ok {
			return v
		}
	}
	v := SampleStrings[g.pick(len(SampleStrings))]
	for len([]rune(v)) < lo {
		v += "a"
	}
	if hi >= 0 && len([]rune(v)) > hi {
		v = string([]rune(v)[:hi])
	}
	return v
}

// fromPattern draws strings from simple sample strings and keeps one the
// pattern matches; patterns Go cannot compile give up.
func (g *generator) fromPattern(p string, lo, hi int) (string, bool) {
	re, err := regexp.Compile(p)
	if err != nil {
		return "", false
	}
	candidates := []string{"a", "abc", "A1", "x-1", "123", "abc123", "a_b", "2026-07-28", "us-west1"}
	start := g.pick(len(candidates))
	for i := range candidates {
		c := candidates[(start+i)%len(candidates)]
		if re.MatchString(c) && len(c) >= lo && (hi < 0 || len(c) <= hi) {
			return c, true
		}
	}
	return "", false
}

func (g *generator) integer(s map[string]any) int64 {
	lo, hi := Bounds(s, -100, 100)
	lo, hi = math.Ceil(lo), math.Floor(hi)
	if hi < lo {
		return int64(lo)
	}
	span := hi - lo
	if span > 1000 {
		span = 1000
	}
	v := int64(lo) + int64(g.pick(int(span)+1))
	if m, ok := s["multipleOf"].(float64); ok && m >= 1 {
		v = int64(math.Ceil(float64(v)/m) * m)
		if float64(v) > hi {
			v -= int64(m)
		}
	}
	return v
}

func (g *generator) number(s map[string]any) any {
	lo, hi := Bounds(s, -100, 100)
	if hi < lo {
		return lo
	}
	if g.pick(2) == 0 {
		return g.integer(s)
	}
	return lo + (hi-lo)*float64(g.pick(1000))/1000
}

// Bounds reads minimum/maximum and their exclusive forms, with defaults.
func Bounds(s map[string]any, lo, hi float64) (float64, float64) {
	if v, ok := s["minimum"].(float64); ok {
		lo = v
		if v > hi {
			hi = v + 100
		}
	}
	if v, ok := s["exclusiveMinimum"].(float64); ok {
		lo = v + 1
		if lo > hi {
			hi = lo + 100
		}
	}
	if v, ok := s["maximum"].(float64); ok {
		hi = v
		if v < lo {
			lo = v - 100
		}
	}
	if v, ok := s["exclusiveMaximum"].(float64); ok {
		hi = v - 1
	}
	return lo, hi
}

func IntKeyword(s map[string]any, k string, def int) int {
	if v, ok := s[k].(float64); ok && v >= 0 && v < 1e6 {
		return int(v)
	}
	return def
}

// resolve follows a local $ref ("#/$defs/x", "#/definitions/x", "#").
func (g *generator) resolve(ref string) any {
	if !strings.HasPrefix(ref, "#") {
		return nil // never dereference network or file refs
	}
	var cur any = g.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#"), "/") {
		if part == "" {
			continue
		}
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// merge returns base without keyword skip, overlaid with the keywords of
// alt (for the branch of a oneOf/anyOf, or a member of allOf).
func merge(base map[string]any, alt any, skip string) map[string]any {
	m := without(base, skip)
	a, ok := alt.(map[string]any)
	if !ok {
		return m
	}
	for k, v := range a {
		if k == "properties" {
			props := map[string]any{}
			if p, ok := m["properties"].(map[string]any); ok {
				for pk, pv := range p {
					props[pk] = pv
				}
			}
			if p, ok := v.(map[string]any); ok {
				for pk, pv := range p {
					props[pk] = pv
				}
			}
			m["properties"] = props
			continue
		}
		if k == "required" {
			r1, _ := m["required"].([]any)
			r2, _ := v.([]any)
			m["required"] = append(append([]any{}, r1...), r2...)
			continue
		}
		m[k] = v
	}
	return m
}

func without(s map[string]any, key string) map[string]any {
	m := make(map[string]any, len(s))
	for k, v := range s {
		if k != key {
			m[k] = v
		}
	}
	return m
}

var TemplateVar = regexp.MustCompile(`\{[+#./;?&]?([^}]*)\}`)

// ExpandTemplate fills every variable of an RFC 6570 URI template with a
// drawn value (simple string expansion; reserved expansion keeps '/').
func ExpandTemplate(ch Chooser, tmpl string) string {
	vals := []string{"1", "abc", "123", "a-b"}
	return TemplateVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		v := vals[ch.Intn(len(vals))]
		names := strings.Split(TemplateVar.FindStringSubmatch(m)[1], ",")
		sort.Strings(names)
		parts := make([]string, len(names))
		for i := range names {
			parts[i] = v
		}
		return strings.Join(parts, ",")
	})
}
