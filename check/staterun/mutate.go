package staterun

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Mutations of a requestState: generated families over every view of the
// state the checker can read, never a hand-picked example.
//
// Views. The raw text; each dot-separated segment that is Base64 (standard
// or URL alphabet, padded or not, in the canonical spelling: decoding and
// encoding again gives the same text) or hex, decoded; and the JSON object
// a view holds (the text itself, a decoded segment, a JWT payload).
//
// Families. flip: a character of the text (first, middle, last, replaced by
// the next of its class, so the text stays in its alphabet) and a byte of
// each decoded segment (first, middle, last; bit 0 and bit 7), re-encoded
// in the segment's own spelling; truncate and extend, of the text and of
// the longest decoded segment; field: a leaf of a JSON view changed (a
// string's last character, a number's last digit, a boolean negated) with
// the rest of the bytes as they were; jwt-none: a JWT's header set to alg
// "none" and its signature dropped; case: the text upper- and lower-cased;
// respell: another spelling of the same bytes (padding added or removed,
// the other Base64 alphabet, line breaks, hex in the other case); empty.
//
// Each mutation says whether it changes the content (Content: the decoded
// bytes, or the text of a segment that has no encoding) or only the
// spelling. A state may be sealed (no readable view): the families still
// reach every byte class of the sealed bytes.

// Mutation is one altered requestState.
type Mutation struct {
	Family string // flip, truncate, extend, field, jwt-none, case, respell, empty
	// Key names the mutation independently of the state's bytes (the
	// family, view and position), so that the same mutation can be applied
	// to a fresh state of the same request.
	Key   string
	What  string // which change, for messages
	Value string
	// Content: the decoded bytes (or the text of a segment without an
	// encoding) differ from the original's; false for another spelling.
	Content bool
}

// spelling is an encoding of a segment.
type spelling struct {
	name   string
	encode func([]byte) string
	decode func(string) ([]byte, bool)
}

func b64Spelling(name string, enc *base64.Encoding) spelling {
	return spelling{name: name, encode: enc.EncodeToString, decode: func(s string) ([]byte, bool) {
		b, err := enc.Strict().DecodeString(s)
		if err != nil || enc.EncodeToString(b) != s {
			return nil, false
		}
		return b, true
	}}
}

var (
	spellingsB64 = []spelling{
		b64Spelling("base64url", base64.RawURLEncoding),
		b64Spelling("base64url (padded)", base64.URLEncoding),
		b64Spelling("base64", base64.RawStdEncoding),
		b64Spelling("base64 (padded)", base64.StdEncoding),
	}
	spellingHexLower = spelling{name: "hex", encode: hex.EncodeToString, decode: func(s string) ([]byte, bool) {
		b, err := hex.DecodeString(s)
		return b, err == nil && hex.EncodeToString(b) == s
	}}
	spellingHexUpper = spelling{name: "hex (upper case)", encode: func(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }, decode: func(s string) ([]byte, bool) {
		b, err := hex.DecodeString(s)
		return b, err == nil && strings.ToUpper(hex.EncodeToString(b)) == s
	}}
)

// minEncodedLen is the shortest segment read as Base64 or hex: shorter
// words ("s1", "round") are more likely plain text.
const minEncodedLen = 16

var hexText = regexp.MustCompile(`^[0-9a-f]+$|^[0-9A-F]+$`)

// segmentSpelling returns the spelling of seg and its bytes, if it has
// one. Hex is preferred for text that is hex (a hex string is also valid
// Base64).
func segmentSpelling(seg string) (spelling, []byte, bool) {
	if len(seg) < minEncodedLen {
		return spelling{}, nil, false
	}
	if hexText.MatchString(seg) && len(seg)%2 == 0 {
		for _, sp := range []spelling{spellingHexLower, spellingHexUpper} {
			if b, ok := sp.decode(seg); ok {
				return sp, b, true
			}
		}
	}
	for _, sp := range spellingsB64 {
		if b, ok := sp.decode(seg); ok {
			return sp, b, true
		}
	}
	return spelling{}, nil, false
}

// decodeLenient decodes any spelling of seg's kind: Base64 with or
// without padding, either alphabet, line breaks, non-zero trailing bits;
// hex in either case.
func decodeLenient(seg string, sp spelling) ([]byte, bool) {
	if strings.HasPrefix(sp.name, "hex") {
		b, err := hex.DecodeString(seg)
		return b, err == nil
	}
	s := strings.NewReplacer("\r", "", "\n", "", "=", "", "-", "+", "_", "/").Replace(seg)
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil
}

// SameContent reports whether mutated says what orig says, in another
// spelling: the same segments, each encoded segment decoding (leniently)
// to the same bytes, every other segment the same text.
func SameContent(orig, mutated string) bool {
	if orig == mutated {
		return true
	}
	os, ms := strings.Split(orig, "."), strings.Split(mutated, ".")
	if len(os) != len(ms) {
		return false
	}
	for i := range os {
		sp, b, ok := segmentSpelling(os[i])
		if !ok {
			if os[i] != ms[i] {
				return false
			}
			continue
		}
		mb, ok := decodeLenient(ms[i], sp)
		if !ok || !bytes.Equal(b, mb) {
			return false
		}
	}
	return true
}

// NextInClass replaces c by the next character of its class (upper,
// lower, digit, the Base64 specials), so that the text stays in its
// alphabet.
func NextInClass(c byte) byte {
	switch {
	case c >= 'A' && c < 'Z', c >= 'a' && c < 'z', c >= '0' && c < '9':
		return c + 1
	case c == 'Z':
		return 'A'
	case c == 'z':
		return 'a'
	case c == '9':
		return '0'
	}
	switch c {
	case '-':
		return '_'
	case '_':
		return '-'
	case '+':
		return '/'
	case '/':
		return '+'
	case '=':
		return 'A'
	}
	if c < 0x80 && c^1 >= 0x20 && c^1 < 0x7f {
		return c ^ 1
	}
	return 'A'
}

// positions returns the first, middle and last index of n (distinct).
func positions(n int) []int {
	var out []int
	for _, p := range []int{0, n / 2, n - 1} {
		if p >= 0 && p < n && (len(out) == 0 || out[len(out)-1] != p) {
			out = append(out, p)
		}
	}
	return out
}

func posName(p, n int) string {
	switch p {
	case 0:
		return "first"
	case n - 1:
		return "last"
	}
	return "middle"
}

// Mutations returns the mutation families of s (see above), each
// value once, none equal to s.
func Mutations(s string) []Mutation {
	var out []Mutation
	seen := map[string]bool{s: true}
	add := func(family, key, what, v string) {
		if seen[v] || !utf8.ValidString(v) {
			return
		}
		seen[v] = true
		out = append(out, Mutation{Family: family, Key: family + "/" + key, What: what, Value: v, Content: !SameContent(s, v)})
	}
	// The text.
	for _, p := range positions(len(s)) {
		b := []byte(s)
		b[p] = NextInClass(b[p])
		add("flip", "text/"+posName(p, len(s)), fmt.Sprintf("the %s character of the text (%q→%q)", posName(p, len(s)), s[p], b[p]), string(b))
	}
	segs := strings.Split(s, ".")
	type decoded struct {
		i   int
		sp  spelling
		raw []byte
	}
	var decs []decoded
	for i, seg := range segs {
		if sp, b, ok := segmentSpelling(seg); ok && len(b) > 0 {
			decs = append(decs, decoded{i, sp, b})
		}
	}
	with := func(i int, seg string) string {
		c := append([]string(nil), segs...)
		c[i] = seg
		return strings.Join(c, ".")
	}
	segName := func(d decoded) string {
		if len(segs) == 1 {
			return d.sp.name
		}
		return fmt.Sprintf("segment %d (%s)", d.i+1, d.sp.name)
	}
	// Each decoded segment's bytes.
	for _, d := range decs {
		for _, p := range positions(len(d.raw)) {
			for _, bit := range []byte{0x01, 0x80} {
				b := bytes.Clone(d.raw)
				b[p] ^= bit
				add("flip", fmt.Sprintf("seg%d/%s/%#02x", d.i, posName(p, len(d.raw)), bit), fmt.Sprintf("the %s byte (of %d) of the decoded %s, xor %#02x", posName(p, len(d.raw)), len(d.raw), segName(d), bit), with(d.i, d.sp.encode(b)))
			}
		}
	}
	// Truncated and extended: the text, and the longest decoded segment.
	if len(s) > 1 {
		add("truncate", "text/last", "the text without its last character", s[:len(s)-1])
		add("truncate", "text/first", "the text without its first character", s[1:])
		add("truncate", "text/half", "the first half of the text", s[:len(s)/2])
	}
	if len(s) > 0 {
		add("extend", "text/one", "the text with one more character", s+string(NextInClass(s[len(s)-1])))
	}
	add("extend", "text/twice", "the text twice", s+s)
	if len(decs) > 0 {
		d := decs[0]
		for _, x := range decs[1:] {
			if len(x.raw) > len(d.raw) {
				d = x
			}
		}
		if len(d.raw) > 1 {
			add("truncate", fmt.Sprintf("seg%d/last", d.i), fmt.Sprintf("the decoded %s without its last byte", segName(d)), with(d.i, d.sp.encode(d.raw[:len(d.raw)-1])))
			add("truncate", fmt.Sprintf("seg%d/first", d.i), fmt.Sprintf("the decoded %s without its first byte", segName(d)), with(d.i, d.sp.encode(d.raw[1:])))
		}
		add("extend", fmt.Sprintf("seg%d/zero", d.i), fmt.Sprintf("the decoded %s with a zero byte appended", segName(d)), with(d.i, d.sp.encode(append(bytes.Clone(d.raw), 0))))
		add("extend", fmt.Sprintf("seg%d/zeros", d.i), fmt.Sprintf("the decoded %s with 16 zero bytes appended", segName(d)), with(d.i, d.sp.encode(append(bytes.Clone(d.raw), make([]byte, 16)...))))
	}
	// JSON fields, and a JWT without its signature.
	for _, v := range jsonViews(s) {
		for _, l := range jsonLeaves(v.doc, 8) {
			nv, ok := mutateLeaf(l.raw)
			if !ok {
				continue
			}
			doc := append(append(append([]byte(nil), v.doc[:l.start]...), nv...), v.doc[l.end:]...)
			add("field", v.name+"/"+l.path, fmt.Sprintf("%s of the %s: %s → %s", l.path, v.name, TruncateText(string(l.raw), 40), TruncateText(string(nv), 40)), v.rebuild(doc))
		}
	}
	if len(segs) == 3 {
		if h, ok := jwtHeader(segs[0]); ok {
			h["alg"] = "none"
			if hb, err := json.Marshal(h); err == nil {
				add("jwt-none", "header", "the JWT with alg \"none\" and no signature", base64.RawURLEncoding.EncodeToString(hb)+"."+segs[1]+".")
			}
		}
	}
	// Case.
	add("case", "upper", "the text upper-cased", strings.ToUpper(s))
	add("case", "lower", "the text lower-cased", strings.ToLower(s))
	// Other spellings of the same bytes.
	for _, d := range decs {
		seg := segs[d.i]
		if strings.HasPrefix(d.sp.name, "hex") {
			if strings.ToLower(seg) != seg {
				add("respell", fmt.Sprintf("seg%d/lower", d.i), fmt.Sprintf("the %s in lower case", segName(d)), with(d.i, strings.ToLower(seg)))
			} else {
				add("respell", fmt.Sprintf("seg%d/upper", d.i), fmt.Sprintf("the %s in upper case", segName(d)), with(d.i, strings.ToUpper(seg)))
			}
			continue
		}
		if strings.HasSuffix(seg, "=") {
			add("respell", fmt.Sprintf("seg%d/nopad", d.i), fmt.Sprintf("the %s without its padding", segName(d)), with(d.i, strings.TrimRight(seg, "=")))
		} else if len(seg)%4 != 0 {
			add("respell", fmt.Sprintf("seg%d/pad", d.i), fmt.Sprintf("the %s with padding", segName(d)), with(d.i, seg+strings.Repeat("=", 4-len(seg)%4)))
		}
		if strings.ContainsAny(seg, "-_") {
			add("respell", fmt.Sprintf("seg%d/std", d.i), fmt.Sprintf("the %s in the standard alphabet (+/)", segName(d)), with(d.i, strings.NewReplacer("-", "+", "_", "/").Replace(seg)))
		} else if strings.ContainsAny(seg, "+/") {
			add("respell", fmt.Sprintf("seg%d/url", d.i), fmt.Sprintf("the %s in the URL alphabet (-_)", segName(d)), with(d.i, strings.NewReplacer("+", "-", "/", "_").Replace(seg)))
		}
		mid := len(seg) / 2
		add("respell", fmt.Sprintf("seg%d/newline", d.i), fmt.Sprintf("the %s with a line break in the middle", segName(d)), with(d.i, seg[:mid]+"\n"+seg[mid:]))
		if len(seg) > 76 {
			var b strings.Builder
			for i := 0; i < len(seg); i += 76 {
				if i > 0 {
					b.WriteString("\r\n")
				}
				b.WriteString(seg[i:min(i+76, len(seg))])
			}
			add("respell", fmt.Sprintf("seg%d/mime", d.i), fmt.Sprintf("the %s wrapped at 76 characters (MIME)", segName(d)), with(d.i, b.String()))
		}
	}
	add("empty", "", "an empty string", "")
	return out
}

func TruncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// jsonView is a JSON object found in a state, and how to put an edited
// object back.
type jsonView struct {
	name    string // "text", "decoded base64url", "JWT payload"
	doc     []byte
	rebuild func(doc []byte) string
}

// jsonViews returns the JSON objects s holds: s itself, or a decoded
// segment (the payload of a JWT among them).
func jsonViews(s string) []jsonView {
	var out []jsonView
	if isJSONObject([]byte(s)) {
		out = append(out, jsonView{name: "JSON text", doc: []byte(s), rebuild: func(d []byte) string { return string(d) }})
		return out
	}
	segs := strings.Split(s, ".")
	for i, seg := range segs {
		sp, b, ok := segmentSpelling(seg)
		if !ok || !isJSONObject(b) {
			continue
		}
		name := "decoded " + sp.name
		if len(segs) == 3 && i == 1 {
			if _, isJWT := jwtHeader(segs[0]); isJWT {
				name = "JWT payload"
			}
		}
		i := i
		out = append(out, jsonView{name: name, doc: b, rebuild: func(d []byte) string {
			c := append([]string(nil), segs...)
			c[i] = sp.encode(d)
			return strings.Join(c, ".")
		}})
	}
	return out
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{' && json.Valid(b)
}

// jwtHeader decodes a JWT header segment: a base64url JSON object with alg.
func jwtHeader(seg string) (map[string]any, bool) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, false
	}
	var h map[string]any
	if json.Unmarshal(b, &h) != nil {
		return nil, false
	}
	_, ok := h["alg"].(string)
	return h, ok
}

// jsonLeaf is a scalar of a JSON document: its path and byte span.
type jsonLeaf struct {
	path       string
	start, end int
	raw        []byte
}

// jsonLeaves returns up to n scalars of doc (strings, numbers, booleans),
// those whose names say what a state should not let a client choose
// (principals, tools, amounts, paths) first, then in document order.
func jsonLeaves(doc []byte, n int) []jsonLeaf {
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		obj      bool
		wantName bool
		name     string
		idx      int
	}
	var stack []*frame
	var out []jsonLeaf
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				b.WriteString("." + f.name)
			} else {
				fmt.Fprintf(&b, "[%d]", f.idx)
			}
		}
		if b.Len() == 0 {
			return "$"
		}
		return "$" + b.String()
	}
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.obj {
			top.wantName = true
		} else {
			top.idx++
		}
	}
	for steps := 0; steps < 4096; steps++ {
		k := dec.PeekKind()
		if k == 0 {
			break
		}
		if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].wantName && k == '"' {
			tok, err := dec.ReadToken()
			if err != nil {
				break
			}
			stack[len(stack)-1].name, stack[len(stack)-1].wantName = tok.String(), false
			continue
		}
		switch k {
		case '{', '[':
			if _, err := dec.ReadToken(); err != nil {
				return out
			}
			stack = append(stack, &frame{obj: k == '{', wantName: k == '{'})
			continue
		case '}', ']':
			if _, err := dec.ReadToken(); err != nil || len(stack) == 0 {
				return out
			}
			stack = stack[:len(stack)-1]
			afterValue()
			continue
		}
		raw, err := dec.ReadValue()
		if err != nil {
			break
		}
		end := int(dec.InputOffset())
		if k != 'n' {
			out = append(out, jsonLeaf{path: path(), start: end - len(raw), end: end, raw: bytes.Clone(raw)})
		}
		afterValue()
	}
	sort.SliceStable(out, func(i, j int) bool {
		return interestingField(out[i].path) && !interestingField(out[j].path)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// mutateLeaf changes a scalar's literal: a string's last character, a
// number's last digit, a boolean's value.
func mutateLeaf(raw []byte) ([]byte, bool) {
	s := string(raw)
	switch {
	case s == "true":
		return []byte("false"), true
	case s == "false":
		return []byte("true"), true
	case len(s) >= 3 && s[0] == '"':
		b := []byte(s)
		i := len(b) - 2
		if b[i] == '\\' || b[i] >= 0x80 {
			return nil, false
		}
		b[i] = NextInClass(b[i])
		if b[i] == '"' || b[i] == '\\' {
			b[i] = 'A'
		}
		return b, true
	case len(s) >= 1 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9'):
		b := []byte(s)
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] >= '0' && b[i] <= '9' {
				if b[i] == '9' {
					b[i] = '8'
				} else {
					b[i]++
				}
				return b, true
			}
		}
	}
	return nil, false
}

// Readable state: evidence (c) of the integrity check.

var (
	principalField = regexp.MustCompile(`(?i)(^|[._])(sub|user|user_?name|user_?id|uid|principal|owner|account|account_?id|email|client_?id|tenant|caller|actor|identity|subject)$`)
	toolField      = regexp.MustCompile(`(?i)(^|[._])(tool|tool_?name|method|operation|action)$`)
	amountField    = regexp.MustCompile(`(?i)(^|[._])(amount|price|total|qty|quantity|balance|cost|sum|credits?|limit|quota)$`)
	pathField      = regexp.MustCompile(`(?i)(^|[._])(path|file|file_?name|dir|directory|uri|url|root|location)$`)
)

// interestingField: a JSON path whose last name says what a state should
// not let a client choose.
func interestingField(path string) bool {
	p := strings.TrimPrefix(path, "$.")
	return principalField.MatchString(p) || toolField.MatchString(p) || amountField.MatchString(p) || pathField.MatchString(p)
}

// ReadableFields returns the fields of a readable state (a JSON object in
// the text, in a Base64 or hex segment, or in a JWT payload) that name a
// principal, a tool, an amount or a path: evidence that the state carries
// what authorization, resource access or business logic act on. tools are
// the names the server declares (a value equal to one names a tool).
func ReadableFields(s string, tools map[string]bool) []string {
	var out []string
	for _, v := range jsonViews(s) {
		for _, l := range jsonLeaves(v.doc, 64) {
			name := strings.TrimPrefix(l.path, "$.")
			var str string
			isStr := json.Unmarshal(l.raw, &str) == nil && len(l.raw) > 0 && l.raw[0] == '"'
			what := ""
			switch {
			case principalField.MatchString(name):
				what = "a principal"
			case toolField.MatchString(name), isStr && tools[str]:
				what = "a tool"
			case amountField.MatchString(name) && len(l.raw) > 0 && l.raw[0] != '"' && l.raw[0] != 't' && l.raw[0] != 'f':
				what = "an amount"
			case pathField.MatchString(name), isStr && (strings.HasPrefix(str, "file://") || strings.HasPrefix(str, "/") && strings.Count(str, "/") > 1):
				what = "a path"
			}
			if what != "" {
				out = append(out, fmt.Sprintf("%s %s (%s, %s)", l.path, TruncateText(string(l.raw), 40), what, v.name))
			}
		}
	}
	return out
}
