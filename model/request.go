package model

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// A defect is something wrong with a request that the spec says a server
// must reject in a given way. A request may have several; the server may
// answer any one of them in its specified form (the spec gives no
// precedence).
type defect struct {
	// id is broken when the server accepts the request or rejects it with
	// a code other than codes; statusID when it rejects it with an HTTP
	// status other than status.
	id, statusID spec.ID
	// codes are the acceptable JSON-RPC error codes (any error when empty).
	codes []int64
	// status is the required HTTP status (0: any 4xx).
	status int
	// bodyOptional: on HTTP, an error status without a JSON-RPC body is an
	// acceptable rejection too (the body could not be read as a request,
	// so an HTTP-level refusal is all a server may be able to say).
	bodyOptional bool
	// what describes the defect for messages; whatf, when set, renders a
	// description only when one is needed (keeps formatting off the path of
	// conforming answers).
	what  string
	whatf func() string
}

func (d defect) describe() string {
	if d.whatf != nil {
		return d.whatf()
	}
	return d.what
}

// Acceptable error codes of the defects (shared, read-only).
var (
	codesHeaderMismatch          = []int64{wire.CodeHeaderMismatch}
	codesMethodNotFound          = []int64{wire.CodeMethodNotFound}
	codesInvalidParams           = []int64{wire.CodeInvalidParams}
	codesInvalidParamsOrMismatch = []int64{wire.CodeInvalidParams, wire.CodeHeaderMismatch}
	codesUnsupportedVersion      = []int64{wire.CodeUnsupportedProtocolVersion}
	codesMismatchOrUnsupported   = []int64{wire.CodeHeaderMismatch, wire.CodeUnsupportedProtocolVersion}
	codesParseError              = []int64{wire.CodeParseError}
	codesParseOrInvalidRequest   = []int64{wire.CodeParseError, wire.CodeInvalidRequest}
	codesInvalidRequest          = []int64{wire.CodeInvalidRequest}
	codesInvalidRequestOrParams  = []int64{wire.CodeInvalidRequest, wire.CodeInvalidParams}
)

// Request header names, lower case for wire.Exchange.RequestHeader.
var (
	hProtocolVersion = strings.ToLower(wire.HeaderProtocolVersion)
	hMethod          = strings.ToLower(wire.HeaderMethod)
	hName            = strings.ToLower(wire.HeaderName)
)

// mismatch is a header defect: 400 and HeaderMismatch (-32020).
func mismatch(id spec.ID, what string) defect {
	return defect{id: id, statusID: id, codes: codesHeaderMismatch, status: 400, what: what}
}

// mismatchf is mismatch with a description rendered on demand.
func mismatchf(id spec.ID, whatf func() string) defect {
	return defect{id: id, statusID: id, codes: codesHeaderMismatch, status: 400, whatf: whatf}
}

// Judgement of the request side, computed once per exchange.
type requestView struct {
	defects []defect
	// skip: the request is one the model cannot judge (e.g. a server may
	// read it under a legacy revision), so no outcome is wrong.
	skip bool
}

// analyze lists the defects of the request in c.
func analyze(c *ctx) requestView {
	var rv requestView
	ex := c.ex
	if c.http {
		if _, bad := originInvalid(c); bad {
			// 403 is the one answer (checkOrigin judges it).
			rv.skip = true
			return rv
		}
	}
	if refusedUnread(c) {
		rv.skip = true
		return rv
	}
	if ex.SentErr != nil {
		switch {
		case !wire.ValidJSONLax(ex.Body):
			// Text nested deeper than a server's limit may be refused by
			// that limit (an invalid request) before the server reads far
			// enough to see that it is not JSON.
			codes := codesParseError
			if wire.Depth(ex.Body) > wire.MaxDepth {
				codes = codesParseOrInvalidRequest
			}
			rv.defects = append(rv.defects, defect{id: spec.CoreParseError, statusID: spec.CoreParseError, codes: codes, bodyOptional: true,
				whatf: func() string { return wire.DescribeNotJSON(ex.Body) }})
		case isAmbiguousJSON(ex.Body):
			// Too deep for the model, or duplicate member names: a server
			// may take either value; nothing to judge.
			rv.skip = true
		case strings.Contains(ex.SentErr.Error(), "params must be an object"):
			// Array (or scalar) params: an invalid request, or invalid
			// params; JSON-RPC allows arrays, MCP does not.
			rv.defects = append(rv.defects, defect{id: spec.CoreInvalidRequest, statusID: spec.CoreInvalidRequest, codes: codesInvalidRequestOrParams, bodyOptional: true, what: "a request whose params are not an object"})
		default:
			rv.defects = append(rv.defects, defect{id: spec.CoreInvalidRequest, statusID: spec.CoreInvalidRequest, codes: codesInvalidRequest, bodyOptional: true,
				whatf: func() string {
					return "JSON that is not a valid JSON-RPC request (" + strings.TrimPrefix(ex.SentErr.Error(), "not a json-rpc message: ") + ")"
				}})
		}
		return rv
	}
	if c.req == nil {
		return rv
	}
	if c.http {
		rv.httpHeaders(c)
	}
	if rv.skip {
		return rv
	}
	rv.method(c)
	rv.metaFields(c)
	return rv
}

func (rv *requestView) add(d defect) { rv.defects = append(rv.defects, d) }

// method: unknown, removed or undeclared methods are "method not found".
func (rv *requestView) method(c *ctx) {
	f := c.facts()
	notFound := defect{id: spec.CoreMethodNotFound, statusID: spec.HttpMethodNotFound, codes: codesMethodNotFound, status: 404}
	switch {
	case c.info != nil:
		return
	case wire.IsRemovedMethod(c.method):
		// A dual-era server may serve initialize and friends.
		if f.modernOnly() == yes {
			notFound.whatf = func() string {
				return fmt.Sprintf("the removed method %q on a server that serves only this revision", c.method)
			}
			rv.add(notFound)
		} else {
			rv.skip = true
		}
	case strings.HasPrefix(c.method, "tasks/") || strings.Contains(c.method, "/x-") || strings.HasPrefix(c.method, "io.") || strings.Contains(c.method, "."):
		// Extension methods: a server may implement them.
		rv.skip = true
	default:
		notFound.whatf = func() string { return fmt.Sprintf("the unknown method %q", c.method) }
		rv.add(notFound)
	}
}

// metaFields: the per-request _meta fields.
func (rv *requestView) metaFields(c *ctx) {
	if c.info == nil {
		// A method this revision does not define: its params are not
		// typed, but every request must still carry the _meta fields, so
		// a server may reject it for either reason (the compatibility
		// matrix of versioning.mdx: initialize from a legacy client is
		// rejected with an implementation-defined code).
		if rv.skip || c.req == nil {
			return
		}
		m, ok := rawMeta(c.req.Params)
		if !ok {
			return
		}
		c.meta = m
	}
	f := c.facts()
	metaDefect := defect{id: spec.CoreMetaRequired, statusID: spec.HttpMetaStatus, codes: codesInvalidParams, status: 400}
	pvHeader, hasPVHeader := "", false
	if c.http {
		pvHeader, hasPVHeader = c.hdr.version, c.hdr.hasVersion
	}
	if c.params == nil && c.ex.ParamsErr != nil {
		if metaErr(c.ex.ParamsErr) {
			metaDefect.what = "a malformed _meta: " + c.ex.ParamsErr.Error()
			if hasPVHeader {
				// The body's version is unreadable while the header names
				// one: a header/body mismatch as much as a malformed _meta.
				metaDefect.codes = codesInvalidParamsOrMismatch
			}
			rv.add(metaDefect)
		}
		return
	}
	m := c.meta
	switch {
	case m == nil:
		metaDefect.what = "no _meta"
		rv.add(metaDefect)
		return
	case m.ProtocolVersion == nil:
		metaDefect.what = "no _meta " + wire.MetaProtocolVersion
		if hasPVHeader {
			// -32602 and -32020 are both required, with no precedence.
			metaDefect.codes = codesInvalidParamsOrMismatch
		}
		rv.add(metaDefect)
	case m.ClientCapabilities == nil:
		metaDefect.what = "no _meta " + wire.MetaClientCapabilities
		rv.add(metaDefect)
	}
	if m.ProtocolVersion != nil {
		v := *m.ProtocolVersion
		// On HTTP a differing header is a header defect (see headers); the
		// version is unsupported when the server lacks it.
		if (!c.http || !hasPVHeader || pvHeader == v) && f.supports(v) == no {
			rv.add(defect{id: spec.CoreVersionUnsupported, statusID: spec.HttpVersionUnsupported, codes: codesUnsupportedVersion, status: 400,
				whatf: func() string { return fmt.Sprintf("the unsupported protocol version %q", v) }})
		}
	}
	if m.LogLevel != nil && wire.LogLevelRank(*m.LogLevel) < 0 {
		rv.add(defect{id: spec.CoreLogInvalidLevel, statusID: spec.CoreLogInvalidLevel, codes: codesInvalidParams,
			whatf: func() string { return fmt.Sprintf("the unknown log level %q", *m.LogLevel) }})
	}
}

// metaErr: a params decoding error located in _meta.
func metaErr(err error) bool { return strings.Contains(err.Error(), "/_meta") }

// httpHeaders: the mirrored request headers of Streamable HTTP.
func (rv *requestView) httpHeaders(c *ctx) {
	f := c.facts()
	// MCP-Protocol-Version.
	pv, ok := c.hdr.version, c.hdr.hasVersion
	switch {
	case !ok:
		switch f.acceptsMissingVersionHeader() {
		case no:
			rv.add(mismatch(spec.HttpVersionHeaderMissing, "no "+wire.HeaderProtocolVersion+" header"))
		default:
			// The server may read the request as 2025-03-26; or we do not
			// know yet whether it may.
			rv.skip = true
			return
		}
	case wire.CheckPlainHeaderValue(pv) != nil:
		rv.add(mismatch(spec.HttpHeaderInvalid, "invalid characters in "+wire.HeaderProtocolVersion))
	case c.meta != nil && c.meta.ProtocolVersion != nil && *c.meta.ProtocolVersion != pv:
		d := mismatchf(spec.HttpVersionMismatch, func() string {
			return fmt.Sprintf("%s %q but _meta protocolVersion %q", wire.HeaderProtocolVersion, pv, *c.meta.ProtocolVersion)
		})
		if f.supports(pv) == no || f.supports(*c.meta.ProtocolVersion) == no {
			// The version is also unsupported: -32022 is required too.
			d.codes = codesMismatchOrUnsupported
		}
		rv.add(d)
	}
	// Mcp-Method.
	mm, ok := c.hdr.method, c.hdr.hasMethod
	switch {
	case !ok:
		rv.add(mismatch(spec.HttpHeaderRequired, "no "+wire.HeaderMethod+" header"))
	case wire.CheckPlainHeaderValue(mm) != nil:
		rv.add(mismatch(spec.HttpHeaderInvalid, "invalid characters in "+wire.HeaderMethod))
	case mm != c.method:
		rv.add(mismatchf(spec.HttpHeaderMismatch, func() string { return fmt.Sprintf("%s %q for method %q", wire.HeaderMethod, mm, c.method) }))
	}
	// Mcp-Name.
	if c.info != nil && c.info.NameParam != "" {
		body, hasBody := nameParam(c.params)
		hasBody = hasBody && hasMember(c.req.Params, c.info.NameParam)
		hn, ok := c.hdr.name, c.hdr.hasName
		switch {
		case !hasBody:
			// The params are malformed; the params rules judge that.
		case !ok:
			rv.add(mismatch(spec.HttpHeaderRequired, "no "+wire.HeaderName+" header"))
		default:
			dec, err := wire.DecodeHeaderValue(hn)
			switch {
			case err != nil:
				rv.add(mismatchf(spec.HttpHeaderInvalid, func() string { return fmt.Sprintf("%s %q: %v", wire.HeaderName, hn, err) }))
			case dec != body:
				rv.add(mismatchf(spec.HttpHeaderMismatch, func() string {
					return fmt.Sprintf("%s %q (decoded %q) for %s %q", wire.HeaderName, hn, dec, c.info.NameParam, body)
				}))
			}
		}
	}
	// Mcp-Param-*: only for tools whose annotations are known.
	if c.method == "tools/call" {
		rv.paramHeaders(c)
	}
}

// paramHeaders checks Mcp-Param-* headers against the called tool's
// x-mcp-header annotations.
func (rv *requestView) paramHeaders(c *ctx) {
	name, ok := nameParam(c.params)
	if !ok {
		return
	}
	tf := c.facts().tools[name]
	if tf == nil {
		return
	}
	args := toolArguments(c.params)
	for _, ph := range tf.headers {
		hdr := wire.HeaderParamPrefix + ph.name
		v, present := argAt(args, ph.path)
		hv, has := c.ex.RequestHeader(ph.key)
		if !present {
			continue // not expected; a header sent anyway may be ignored or refused
		}
		if !has {
			rv.add(mismatchf(spec.HttpParamMissing, func() string {
				return fmt.Sprintf("no %s header for argument %s present in the body", hdr, strings.Join(ph.path, "."))
			}))
			continue
		}
		dec, err := wire.DecodeHeaderValue(hv)
		if err != nil {
			rv.add(mismatchf(spec.HttpHeaderInvalid, func() string { return fmt.Sprintf("%s %q: %v", hdr, hv, err) }))
			continue
		}
		if !headerMatches(dec, v) {
			rv.add(mismatchf(spec.HttpParamMismatch, func() string { return fmt.Sprintf("%s %q for argument value %s", hdr, dec, v) }))
		}
	}
}

// headerMatches compares a decoded header value with a body value: strings
// exactly, integers numerically, booleans as "true"/"false".
func headerMatches(header string, body wire.Value) bool {
	switch body.Kind() {
	case '"':
		if raw := body[1 : len(body)-1]; !bytes.ContainsRune(raw, '\\') {
			return string(raw) == header // no escapes: the JSON text is the value
		}
		var s string
		if wire.Unmarshal(body, &s) != nil {
			return false
		}
		return s == header
	case '0':
		return numericEqual(header, string(body))
	case 't':
		return header == "true"
	case 'f':
		return header == "false"
	}
	return false
}

// validJSON reports whether b is syntactically valid JSON (duplicate names
// and depth aside; those are ambiguity, not syntax errors).
func validJSON(b []byte) bool {
	return wire.ValidJSON(b)
}

// isAmbiguousJSON reports valid JSON that strict decoding refuses for a
// reason a server may legitimately not share: nesting deeper than the
// limit, or duplicate member names.
// refusedUnread reports an HTTP refusal a server may make before it reads
// the body, so that nothing in the body can be held against it: 401 for a
// caller without valid credentials, 403 for a forbidden Origin or Host (or
// caller), 413 for a body over its size limit (RFC 9110 15.5.14), and 415
// for a body not labelled application/json (HTTP lets a server refuse a
// media type it does not take, RFC 9110 15.5.16; the spec does not say
// what a body without the label is).
func refusedUnread(c *ctx) bool {
	if !c.http {
		return false
	}
	switch c.ex.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		return true
	case http.StatusUnsupportedMediaType:
		return !sentAsJSON(c)
	}
	return false
}

// sentAsJSON reports whether the request's Content-Type is application/json.
func sentAsJSON(c *ctx) bool {
	ct, _ := c.ex.RequestHeader("content-type")
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

func isAmbiguousJSON(b []byte) bool {
	return wire.Depth(b) > wire.MaxDepth || wire.HasDuplicateNames(b) || !validJSON(b)
}

// rejected: the server refused the request (an error response or an HTTP
// error status).
func (c *ctx) rejected() bool {
	return c.errResp != nil || (c.http && c.ex.Status >= 400)
}

// judgeDefects checks the server's answer against the request's defects.
func judgeDefects(c *ctx, rv requestView) {
	if rv.skip || len(rv.defects) == 0 || !c.complete() {
		return
	}
	for _, d := range rv.defects {
		c.judge(d.id)
		if c.http && d.statusID != d.id {
			c.judge(d.statusID)
		}
	}
	if !c.rejected() {
		if !c.answered() && (!c.http || c.ex.Status == 0) {
			return // no answer at all: the transport rules judge that
		}
		if c.http && c.ex.Status >= 300 && c.ex.Status < 400 {
			return // a redirect neither serves nor refuses: the transport rules judge it
		}
		for _, d := range rv.defects {
			c.report(d.id, "the request was accepted", "a rejection of "+d.describe()+wantForm(d))
		}
		return
	}
	code, hasCode := c.errCode()
	codeOK := func(d defect) bool {
		if len(d.codes) == 0 {
			return true
		}
		if !hasCode {
			// An HTTP error without a JSON-RPC body: acceptable only where
			// the spec names no code, or the body was not a request.
			return d.bodyOptional && c.http && c.ex.Status >= 400 && c.ex.Status < 500
		}
		return slices.Contains(d.codes, code)
	}
	statusOK := func(d defect) bool {
		if !c.http {
			return true
		}
		if d.status == 0 {
			return c.ex.Status >= 400 && c.ex.Status < 500 || hasCode
		}
		return c.ex.Status == d.status
	}
	for _, d := range rv.defects {
		if codeOK(d) && statusOK(d) {
			return
		}
	}
	if c.http && hasCode && code == wire.CodeHeaderMismatch && ambiguousHeaders(c) {
		return // headers a server may read more than one way, which it may refuse first
	}
	if hasCode && code == wire.CodeInvalidParams && c.ex.ParamsErr != nil {
		return // params that do not decode, which the server may refuse first
	}
	got := describeRejection(c)
	for _, d := range rv.defects {
		if codeOK(d) {
			c.report(d.statusID, got, fmt.Sprintf("HTTP %d for %s", d.status, d.describe()))
			return
		}
	}
	d := rv.defects[0]
	c.report(d.id, got, "a rejection of "+d.describe()+wantForm(d))
}

func wantForm(d defect) string {
	var parts []string
	if d.status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", d.status))
	}
	if len(d.codes) > 0 {
		cs := make([]string, len(d.codes))
		for i, c := range d.codes {
			cs[i] = fmt.Sprint(c)
		}
		parts = append(parts, "code "+strings.Join(cs, " or "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, " and ")
}

func describeRejection(c *ctx) string {
	var parts []string
	if c.http {
		parts = append(parts, fmt.Sprintf("HTTP %d", c.ex.Status))
	}
	if code, ok := c.errCode(); ok {
		parts = append(parts, fmt.Sprintf("code %d %q", code, c.errResp.Error.Message))
	} else {
		parts = append(parts, "no JSON-RPC error")
	}
	return strings.Join(parts, ", ")
}
