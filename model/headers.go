package model

import (
	"math/big"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// Helpers to read the request's mirrored headers.

// usesBase64 reports whether an Mcp-Name or Mcp-Param-* header carries the
// Base64 sentinel form.
func usesBase64(h map[string][]string) bool {
	for k, vs := range h {
		if !strings.EqualFold(k, wire.HeaderName) && !hasPrefixFold(k, wire.HeaderParamPrefix) {
			continue
		}
		for _, v := range vs {
			if wire.IsSentinel(v) {
				return true
			}
		}
	}
	return false
}

// nonCanonicalNames reports whether an MCP header name was sent in a case
// other than its canonical form.
func nonCanonicalNames(h map[string][]string) bool {
	for k := range h {
		if (hasPrefixFold(k, "mcp-") || strings.EqualFold(k, wire.HeaderProtocolVersion)) && k != textproto.CanonicalMIMEHeaderKey(k) && k != wire.HeaderProtocolVersion {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// paramNameVariants reports two Mcp-Param-* headers whose names differ
// only by '-' and '_' (and case): a server may refuse such a request as
// ambiguous (the hardening check HTTP-PARAM-NAME-VARIANT judges it).
func paramNameVariants(h map[string][]string) bool {
	seen := map[string]string{}
	for k := range h {
		if !hasPrefixFold(k, wire.HeaderParamPrefix) {
			continue
		}
		n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if o, dup := seen[n]; dup && !strings.EqualFold(o, k) {
			return true
		}
		seen[n] = k
	}
	return false
}

// ambiguousHeaders reports request headers a server may read more than one
// way, and so may refuse with -32020 (or serve): two Mcp-Param-* names that
// differ only by '-' and '_', or a mirrored header sent in more than one
// field line (RFC 9110 section 5.3: a recipient may combine the lines
// into one list value, which then matches nothing in the body, or take
// one of them).
func ambiguousHeaders(c *ctx) bool {
	if paramNameVariants(c.ex.Header) {
		return true
	}
	for k, vs := range c.ex.RequestHeaders() {
		if len(vs) > 1 && (k == hProtocolVersion || k == hMethod || k == hName || strings.HasPrefix(k, strings.ToLower(wire.HeaderParamPrefix))) {
			return true
		}
	}
	return false
}

// paramHeaderNotExpected: the call omits (or nulls) an annotated argument,
// so its Mcp-Param-* header is not expected.
func paramHeaderNotExpected(c *ctx) bool {
	tf := calledTool(c)
	if tf == nil {
		return false
	}
	args := toolArguments(c.params)
	for _, ph := range tf.headers {
		if _, present := argAt(args, ph.path); !present {
			return true
		}
	}
	return false
}

// paramHeaderNumeric: an integer argument's header equals it numerically
// but not as a string (e.g. "42.0" for 42).
func paramHeaderNumeric(c *ctx) bool {
	tf := calledTool(c)
	if tf == nil {
		return false
	}
	args := toolArguments(c.params)
	for _, ph := range tf.headers {
		v, present := argAt(args, ph.path)
		if !present || v.Kind() != '0' {
			continue
		}
		hv, ok := c.ex.RequestHeader(ph.key)
		if !ok {
			continue
		}
		if dec, err := wire.DecodeHeaderValue(hv); err == nil && dec != string(v) && numericEqual(dec, string(v)) {
			return true
		}
	}
	return false
}

func calledTool(c *ctx) *toolFacts {
	name, ok := nameParam(c.params)
	if !ok {
		return nil
	}
	return c.facts().tools[name]
}

// argAt returns the argument value at a path of properties keys, and
// whether it is present and not null.
func argAt(args map[string]wire.Value, path []string) (wire.Value, bool) {
	if len(path) == 0 || args == nil {
		return nil, false
	}
	v, ok := wire.Path(path[1:]).LookupValue(args[path[0]])
	if !ok || v.Kind() == 'n' {
		return nil, false
	}
	return v, true
}

// numericEqual compares two decimal numbers exactly.
func numericEqual(a, b string) bool {
	if a == b {
		return true
	}
	if x, err := strconv.ParseInt(a, 10, 64); err == nil {
		if y, err := strconv.ParseInt(b, 10, 64); err == nil {
			return x == y
		}
	}
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}
