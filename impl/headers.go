package impl

import (
	"encoding/json"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// The mirrored request headers of Streamable HTTP (streamable-http.mdx,
// "Request Metadata" and "Server Validation"). Header names are matched
// case-insensitively (net/http canonicalizes them); values are compared
// case-sensitively after net/http has removed the optional whitespace
// around them. A header that appears twice is ambiguous and rejected: an
// intermediary may route on one copy and the server read the other. Only
// Mcp-Name and Mcp-Param-* values may use the Base64 sentinel form; they
// are decoded before the comparison.

// checkStandardHeaders checks what every POST carries, request or
// notification: Mcp-Method, present once and equal to the body's method,
// and Mcp-Param-* names that cannot be read as one another.
func checkStandardHeaders(h http.Header, method string) *rpcError {
	if err := checkMethodHeader(h, method); err != nil {
		return err
	}
	return checkParamHeaderNames(h)
}

// checkMethodHeader checks Mcp-Method against the body's method.
func checkMethodHeader(h http.Header, method string) *rpcError {
	v, err := single(h, "Mcp-Method", wire.HeaderMethod)
	if err != nil {
		return err
	}
	if v == "" {
		return errHeaderMismatch("the %s header is required", wire.HeaderMethod)
	}
	if wire.CheckPlainHeaderValue(v) != nil {
		return errHeaderMismatch("the %s header has invalid characters", wire.HeaderMethod)
	}
	if v != method {
		return errHeaderMismatch("%s header value %q does not match the body's method %q", wire.HeaderMethod, v, method)
	}
	return nil
}

// checkParamHeaderNames refuses two Mcp-Param-* headers whose names differ
// only by '-' and '_' (Mcp-Param-Dry-Run and Mcp-Param-Dry_Run): many
// proxies and CGI-style gateways map '_' to '-' or drop such names, so an
// intermediary may act on one while the server reads the other, the
// disagreement Server Validation exists to prevent. They are refused
// whatever their values, as a header that appears twice is.
func checkParamHeaderNames(h http.Header) *rpcError {
	var names []string
	for k := range h {
		if len(k) > len(wire.HeaderParamPrefix) && strings.EqualFold(k[:len(wire.HeaderParamPrefix)], wire.HeaderParamPrefix) {
			names = append(names, k)
		}
	}
	if len(names) < 2 {
		return nil
	}
	slices.Sort(names)
	seen := make(map[string]string, len(names))
	for _, k := range names {
		n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if prev, dup := seen[n]; dup {
			return errHeaderMismatch("the headers %s and %s differ only by '-' and '_'; an intermediary may read one as the other", prev, k)
		}
		seen[n] = k
	}
	return nil
}

// checkNotification checks the headers of a notification POST: the
// standard headers of every POST, and MCP-Protocol-Version naming a
// version this server serves, equal to the notification's _meta version
// when it carries one. An error makes the notification one the server
// cannot accept.
func checkNotification(h http.Header, n *wire.JSONRPCNotification) *rpcError {
	if err := checkStandardHeaders(h, n.Method); err != nil {
		return err
	}
	var p metaParams
	if len(n.Params) > 0 {
		if err := wire.Unmarshal(n.Params, &p); err != nil {
			return errBadParams("%v", cleanDecodeError(err))
		}
	}
	if p.Meta != nil && p.Meta.ProtocolVersion != nil {
		return httpChecks{h: h}.protocolVersion(*p.Meta.ProtocolVersion)
	}
	v, err := versionHeader(h)
	if err != nil {
		return err
	}
	if !supportsVersion(v) {
		return errUnsupportedVersion(v)
	}
	return nil
}

// single returns the one value of a header, "" when absent, and an error
// when it appears more than once.
func single(h http.Header, key, name string) (string, *rpcError) {
	vals := h[key]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", errHeaderMismatch("the %s header appears %d times", name, len(vals))
}

// httpChecks are the transportChecks of Streamable HTTP.
type httpChecks struct {
	h http.Header
	s *Server
}

func (c httpChecks) protocolVersion(bodyVersion string) *rpcError {
	v, err := versionHeader(c.h)
	if err != nil {
		return err
	}
	if v != bodyVersion {
		return errHeaderMismatch("%s header value %q does not match _meta[%q] %q", wire.HeaderProtocolVersion, v, wire.MetaProtocolVersion, bodyVersion)
	}
	return nil
}

// versionHeader returns the one MCP-Protocol-Version value. A server that
// does not serve clients older than 2025-06-18 MUST reject a request
// without the header.
func versionHeader(h http.Header) (string, *rpcError) {
	vals := h["Mcp-Protocol-Version"]
	switch {
	case len(vals) == 0:
		return "", errHeaderMismatch("the %s header is required (this server does not serve clients older than protocol version 2025-06-18)", wire.HeaderProtocolVersion)
	case len(vals) > 1:
		return "", errHeaderMismatch("the %s header appears %d times", wire.HeaderProtocolVersion, len(vals))
	case wire.CheckPlainHeaderValue(vals[0]) != nil:
		return "", errHeaderMismatch("the %s header has invalid characters", wire.HeaderProtocolVersion)
	}
	return vals[0], nil
}

func (c httpChecks) names(x *exchange) *rpcError {
	var body string
	switch p := x.params.(type) {
	case *callToolParams:
		body = *p.Name
	case *getPromptParams:
		body = *p.Name
	case *readResourceParams:
		body = *p.URI
	case taskRequest:
		body = p.taskID()
	default:
		return nil
	}
	src := "params." + x.spec.info.NameParam
	v, err := single(c.h, "Mcp-Name", wire.HeaderName)
	if err != nil {
		return err
	}
	if _, present := c.h["Mcp-Name"]; !present {
		return errHeaderMismatch("the %s header is required for %s (it mirrors %s)", wire.HeaderName, x.method, src)
	}
	dec, derr := wire.DecodeHeaderValue(v)
	if derr != nil {
		return errHeaderMismatch("the %s header value is invalid: %v", wire.HeaderName, derr)
	}
	if dec != body {
		return errHeaderMismatch("%s header value %q does not match %s %q", wire.HeaderName, dec, src, body)
	}
	if p, ok := x.params.(*callToolParams); ok {
		if t := c.s.reg.toolByName[*p.Name]; t != nil {
			for i := range t.headers {
				if err := checkParamHeader(c.h, &t.headers[i], p.args); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkParamHeader checks one x-mcp-header parameter: a value in the
// arguments needs its header, equal after decoding (integers compared as
// numbers); a null or absent value needs no header, and a header without a
// value in the body does not match it.
func checkParamHeader(h http.Header, hp *headerParam, args map[string]any) *rpcError {
	name := wire.HeaderParamPrefix + hp.name
	v, present := wire.Path(hp.path).Lookup(args)
	if present && v == nil {
		present = false
	}
	vals := h[hp.key]
	if !present {
		if len(vals) > 0 {
			return errHeaderMismatch("the %s header is present but arguments.%s has no value", name, strings.Join(hp.path, "."))
		}
		return nil
	}
	if len(vals) == 0 {
		return errHeaderMismatch("the %s header is required: arguments.%s has a value", name, strings.Join(hp.path, "."))
	}
	if len(vals) > 1 {
		return errHeaderMismatch("the %s header appears %d times", name, len(vals))
	}
	dec, err := wire.DecodeHeaderValue(vals[0])
	if err != nil {
		return errHeaderMismatch("the %s header value is invalid: %v", name, err)
	}
	match := false
	switch bv := v.(type) {
	case string:
		match = dec == bv
	case bool:
		match = dec == strconv.FormatBool(bv)
	case json.Number:
		match = numericEqual(dec, string(bv))
	}
	if !match {
		return errHeaderMismatch("the %s header value %q does not match arguments.%s", name, dec, strings.Join(hp.path, "."))
	}
	return nil
}

// numericEqual compares two JSON numbers exactly ("42.0" equals "42").
// Only the JSON number grammar is accepted, with a bounded length and
// exponent, so no value is read as hex or a fraction, and none costs a
// huge computation.
func numericEqual(a, b string) bool {
	if !numberRE.MatchString(a) || !numberRE.MatchString(b) {
		return false
	}
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

var numberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,39})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?$`)
