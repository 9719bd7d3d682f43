package probe

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Mirror says how a mirrored header's value compares with its body value.
type Mirror uint8

const (
	// MirrorPlain: Mcp-Method and MCP-Protocol-Version, compared exactly;
	// the Base64 form is not allowed (a sentinel is a literal value).
	MirrorPlain Mirror = iota
	// mirrorText: Mcp-Name and string Mcp-Param-*, compared exactly after
	// Base64 decoding.
	MirrorText
	// mirrorInteger: integer Mcp-Param-*, compared numerically after
	// decoding.
	MirrorInteger
	// mirrorBoolean: boolean Mcp-Param-*, "true" or "false" after decoding.
	MirrorBoolean
)

// Defect is what a header mutation breaks.
type Defect uint8

const (
	DefectMissing  Defect = iota // the header is absent
	DefectMismatch               // its (decoded) value differs from the body
	DefectInvalid                // its value has invalid characters or a bad Base64 form
)

// HeaderMutation is one generated variant of a mirrored header.
type HeaderMutation struct {
	// Class names the mutation ("upper-case", "other-declared", ...).
	Class string
	// Values are the header's values as sent (two for a duplicated
	// header); nil removes the header.
	Values []string
	Defect Defect
}

// HeaderIDs maps the defects of one header family to requirements.
type HeaderIDs map[Defect]spec.ID

// hdrSentinel renders b in the Base64 sentinel form of "Value Encoding".
func hdrSentinel(b []byte) string { return "=?base64?" + base64.StdEncoding.EncodeToString(b) + "?=" }

// hdrEncode renders a body value as a header of kind m would carry it.
func hdrEncode(m Mirror, v string) string {
	if m == MirrorPlain {
		return v
	}
	return wire.EncodeHeaderValue(v)
}

// MismatchMutations derives every mutation class of a mirrored header
// whose real (decoded) value is real: absent; empty; case changes; every
// value in others (other declared names, other methods, other versions);
// truncated; type-specific other values; leading and trailing spaces
// (in the Base64 form, where the mirror allows it: a plain value's outer
// whitespace is not part of an HTTP field value); non-ASCII bytes; the
// Base64 form where it is not allowed; the Base64 form of another value;
// upper-case sentinel markers (which are case-sensitive); a sentinel with
// bad Base64 or non-UTF-8 content; and a duplicated header whose first
// value differs. Mutations that do not change the value under the
// mirror's comparison are left out.
func MismatchMutations(m Mirror, real string, others []string) []HeaderMutation {
	var out []HeaderMutation
	seen := map[string]bool{}
	add := func(class string, d Defect, vals ...string) {
		if vals != nil {
			key := strings.Join(vals, "\x00")
			if seen[key] {
				return
			}
			seen[key] = true
		}
		out = append(out, HeaderMutation{Class: class, Values: vals, Defect: d})
	}
	add("missing", DefectMissing)
	seen[hdrEncode(m, real)] = true // never the real value itself

	alts := []hdrAlt{{"empty", ""}, {"upper-case", strings.ToUpper(real)}, {"lower-case", strings.ToLower(real)},
		{"swapped-case", hdrSwapCase(real)}, {"truncated", Truncate(real)}}
	for _, o := range others {
		alts = append(alts, hdrAlt{"other-declared", o})
	}
	alts = append(alts, hdrTypedAlternatives(m, real)...)
	if m == MirrorText || m == MirrorBoolean {
		alts = append(alts, hdrAlt{"trailing-space", real + " "}, hdrAlt{"leading-space", " " + real})
	}
	other := "" // another value: a declared one if any, else the first alternative
	for _, o := range others {
		if other == "" && o != "" && !SameValue(m, o, real) && (m != MirrorPlain || wire.CheckPlainHeaderValue(o) == nil) {
			other = o
		}
	}
	for _, a := range alts {
		if !SameValue(m, a.v, real) && (m != MirrorPlain || wire.CheckPlainHeaderValue(a.v) == nil) {
			add(a.class, DefectMismatch, hdrEncode(m, a.v))
			if other == "" && a.v != "" {
				other = a.v
			}
		}
	}
	if other == "" {
		other = real + "-other"
	}
	if m == MirrorPlain {
		// The Base64 form is not allowed here: the sentinel is a literal
		// value that differs from the body's.
		add("base64-form", DefectMismatch, hdrSentinel([]byte(real)))
		add("bad-base64", DefectMismatch, "=?base64?!!?=")
	} else {
		add("bad-base64", DefectInvalid, "=?base64?!!?=")
		add("base64-not-utf8", DefectInvalid, hdrSentinel([]byte{0xff, 0xfe, 'x'}))
	}
	add("base64-of-other", DefectMismatch, hdrSentinel([]byte(other)))
	add("upper-case-markers", DefectMismatch, "=?BASE64?"+base64.StdEncoding.EncodeToString([]byte(real))+"?=")
	if wire.CheckPlainHeaderValue(real) == nil {
		add("non-ascii", DefectInvalid, real+"\u00e9")
	} else {
		add("non-ascii", DefectInvalid, "x\u00e9") // real itself is not sendable raw
	}
	add("duplicate", DefectMismatch, hdrEncode(m, other), hdrEncode(m, real))
	return out
}

// hdrAlt is an alternative body value, by mutation class.
type hdrAlt struct{ class, v string }

// hdrTypedAlternatives are other values of the body value's type.
func hdrTypedAlternatives(m Mirror, real string) []hdrAlt {
	type alt = hdrAlt
	switch m {
	case MirrorInteger:
		n, ok := new(big.Int).SetString(real, 10)
		if !ok {
			return []alt{{"not-a-number", real + "x"}}
		}
		one := big.NewInt(1)
		return []alt{
			{"incremented", new(big.Int).Add(n, one).String()},
			{"negated", new(big.Int).Neg(n).String()},
			{"scaled", new(big.Int).Mul(n, big.NewInt(10)).String()},
			{"not-a-number", real + "x"},
		}
	case MirrorBoolean:
		neg := "true"
		if real == "true" {
			neg = "false"
		}
		return []alt{{"negated", neg}, {"numeric", "1"}, {"numeric", "0"}, {"word", "yes"}}
	}
	return []alt{{"suffixed", real + "-x"}, {"prefixed", "x-" + real}}
}

// AcceptMutations are encodings of the real value that the server must
// accept: the Base64 form (where the mirror allows it) and, for integers,
// other spellings of the same number.
func AcceptMutations(m Mirror, real string) []HeaderMutation {
	if m == MirrorPlain {
		return nil
	}
	out := []HeaderMutation{{Class: "base64-form", Values: []string{hdrSentinel([]byte(real))}}}
	if m == MirrorInteger {
		for _, f := range NumericSpellings(real) {
			out = append(out, HeaderMutation{Class: "numeric-spelling", Values: []string{f}})
		}
	}
	return out
}

// NumericSpellings writes a decimal integer differently, in JSON number
// syntax: 42 → 42.0, 42e0, 42.000, 4.2e1.
func NumericSpellings(real string) []string {
	if _, ok := new(big.Int).SetString(real, 10); !ok {
		return nil
	}
	out := []string{real + ".0", real + "e0", real + ".000"}
	sign, digits := "", real
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	if len(digits) > 1 && digits[0] != '0' {
		out = append(out, fmt.Sprintf("%s%s.%se%d", sign, digits[:1], digits[1:], len(digits)-1))
	}
	return out
}

// SameValue reports whether header value v (decoded) matches the body
// value real under the comparison of mirror m. For integers it is lenient
// (any equal number, surrounding space ignored), so that a mutation it
// keeps differs under every reasonable comparison.
func SameValue(m Mirror, v, real string) bool {
	if v == real {
		return true
	}
	if m == MirrorInteger {
		x, ok1 := new(big.Rat).SetString(strings.TrimSpace(v))
		y, ok2 := new(big.Rat).SetString(strings.TrimSpace(real))
		return ok1 && ok2 && x.Cmp(y) == 0
	}
	return false
}

// hdrSwapCase swaps the case of every letter of s.
func hdrSwapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// Truncate drops the last character (rune) of s; a one-character value
// becomes empty.
func Truncate(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return string(r[:len(r)-1])
}

// SetValues replaces every spelling of header name in r with values
// (removes it when values is nil).
func SetValues(r *check.Request, name string, values []string) {
	SetHeader(r, name, nil)
	if values != nil {
		r.Header[name] = append([]string(nil), values...)
	}
}

// DescribeValues renders header values for messages.
func DescribeValues(vs []string) string {
	if vs == nil {
		return "absent"
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		if len(v) > 60 {
			v = v[:60] + "..."
		}
		parts[i] = strconv.Quote(v)
	}
	return strings.Join(parts, " and ")
}

// HeaderMutations sends the header variants of a served request
// (HeaderVariants) and expects each to be refused in the form the model
// accepts, against the requirement its defect breaks.
func HeaderMutations(e *check.Env, s *Served, name string, mus []HeaderMutation, ids HeaderIDs) {
	Vary(e, s, HeaderVariants(e, s, name, mus, ids), ExpectDefect(ids))
}

// ExpectServed judges an acceptance probe: a copy of the served unaltered request
// that differs only in a form the spec says the server must accept. A
// model violation of id (e.g. HeaderMismatch for lower-case names) is
// recorded by the judge; any other refusal is a violation only if the
// unaltered request, sent again, is still served (so the refusal is the
// difference's doing, not a server that stopped serving).
func ExpectServed(e *check.Env, b *Served, o check.Observation, id spec.ID, what string) {
	if _, bad := o.Violated(id); bad {
		return
	}
	switch {
	case o.Accepted():
		e.Pass(id, "%s: served (%s)", what, o.Describe())
	case !o.Answered():
		e.Inconclusive(id, "%s: %s", what, o.Describe())
	default:
		again := e.Send(b.Fresh(e))
		if again.Accepted() {
			e.Violation(id, "%s: refused (%s), while the same request without the difference is served", what, o.Describe())
		} else {
			e.Inconclusive(id, "%s: refused (%s), and the unaltered request is no longer served (%s)", what, o.Describe(), again.Describe())
		}
	}
}

// SkipAll marks every id skipped with one reason.
func SkipAll(e *check.Env, ids []spec.ID, format string, args ...any) {
	for _, id := range ids {
		e.Skip(id, format, args...)
	}
}

// InconclusiveAll marks every id inconclusive with one reason.
func InconclusiveAll(e *check.Env, ids []spec.ID, format string, args ...any) {
	for _, id := range ids {
		e.Inconclusive(id, format, args...)
	}
}

// RequestMethods are the client requests of the method table.
func RequestMethods() []string {
	var out []string
	for _, m := range wire.Methods {
		if m.Direction == wire.ClientToServer && !m.Notification {
			out = append(out, m.Method)
		}
	}
	return out
}

// Others returns up to max values of all other than not, in order.
func Others(all []string, not string, max int) []string {
	var out []string
	for _, s := range all {
		if s != not && len(out) < max {
			out = append(out, s)
		}
	}
	return out
}

// NeedPrincipals reports whether the run has two principals the
// cross-principal checks can use (check.Env.PrincipalsUsable); when not,
// it records ids skipped or inconclusive, with the reason.
func NeedPrincipals(e *check.Env, ids []spec.ID) bool {
	why, skip := e.PrincipalsUsable()
	switch {
	case why != "" && skip:
		SkipAll(e, ids, "%s", why)
	case why != "":
		InconclusiveAll(e, ids, "%s", why)
	}
	return why == ""
}
