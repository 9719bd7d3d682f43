package model

import (
	"fmt"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// ctx is the working view of one exchange during Step.
type ctx struct {
	// rule is the row of the rule table running.
	rule *rule
	s    State
	ex   *wire.Exchange
	http bool

	// The message sent.
	req    *wire.JSONRPCRequest      // nil unless a request
	note   *wire.JSONRPCNotification // nil unless a notification
	method string
	info   *wire.MethodInfo // nil for methods this revision does not define
	meta   *wire.RequestMetaObject
	params any

	// The response: index of the final response among ex.Replies (-1 if
	// none), and the response itself.
	final   int
	result  *wire.JSONRPCResultResponse
	errResp *wire.JSONRPCErrorResponse

	vs      []Violation
	cover   bool      // record judged requirements (Judge)
	judged  []spec.ID // requirements judged on this exchange
	learned *facts    // non-nil once the exchange taught something
	owned   uint16    // maps of learned this Step has copied (see own)

	// The request headers the rules read, found in one pass.
	hdr reqHeaders
	// rf are the common fields of the final result (rf.known false if none).
	rf resultFields
	// rv is the request's defects (analyze), found once: see view.
	rv *requestView
}

// view returns the request's defects, analysed on first use.
func (c *ctx) view() *requestView {
	if c.rv == nil {
		rv := analyze(c)
		c.rv = &rv
	}
	return c.rv
}

// reqHeaders holds the values of the mirrored and security headers of the
// request, and whether each was present.
type reqHeaders struct {
	version, method, name, origin, host                string
	hasVersion, hasMethod, hasName, hasOrigin, hasHost bool
}

// readHeaders fills c.hdr from the exchange's lower-cased header index.
func (c *ctx) readHeaders() {
	for k, vs := range c.ex.RequestHeaders() {
		if len(vs) == 0 {
			continue
		}
		switch k {
		case hProtocolVersion:
			c.hdr.version, c.hdr.hasVersion = vs[0], true
		case hMethod:
			c.hdr.method, c.hdr.hasMethod = vs[0], true
		case hName:
			c.hdr.name, c.hdr.hasName = vs[0], true
		case "origin":
			c.hdr.origin, c.hdr.hasOrigin = vs[0], true
		case "host":
			c.hdr.host, c.hdr.hasHost = vs[0], true
		}
	}
}

// initCtx fills a zeroed ctx for judging ex in state s.
func initCtx(c *ctx, s State, ex *wire.Exchange) {
	*c = ctx{s: s, ex: ex, http: ex.Transport == wire.HTTP, final: -1}
	switch m := ex.Sent.(type) {
	case *wire.JSONRPCRequest:
		c.req, c.method = m, m.Method
	case *wire.JSONRPCNotification:
		c.note, c.method = m, m.Method
	}
	if info, ok := wire.LookupMethod(c.method); ok {
		c.info = info
	}
	c.params = ex.Params
	c.meta = metaOf(ex.Params)
	if c.req != nil && ex.Params == nil && ex.ParamsErr != nil && !metaErr(ex.ParamsErr) {
		c.meta, _ = rawMeta(c.req.Params)
	}
	if c.note == nil {
		for i := range ex.Replies {
			switch m := ex.Replies[i].Msg.(type) {
			case *wire.JSONRPCResultResponse:
				if c.final < 0 {
					c.final, c.result = i, m
				}
			case *wire.JSONRPCErrorResponse:
				if c.final < 0 {
					c.final, c.errResp = i, m
				}
			}
		}
	}
	if c.result != nil {
		c.rf = resultFieldsOf(ex.Replies[c.final].Result)
	}
	if c.http {
		c.readHeaders()
	}
}

// judge records that the exchange was judged against ids (for coverage:
// a requirement judged with no violation passed on this exchange).
func (c *ctx) judge(ids ...spec.ID) {
	for _, id := range ids {
		c.ruleMay(id)
	}
	if c.cover {
		c.judged = append(c.judged, ids...)
	}
}

// report records a violation of id.
func (c *ctx) report(id spec.ID, got, want string) {
	c.ruleMay(id)
	c.vs = append(c.vs, Violation{ID: id, Level: spec.MustLookup(id).Level, Got: got, Want: want})
}

func (c *ctx) reportf(id spec.ID, want string, gotFormat string, args ...any) {
	c.report(id, fmt.Sprintf(gotFormat, args...), want)
}

// facts returns the facts to read (the learnt ones if any).
func (c *ctx) facts() *facts {
	if c.learned != nil {
		return c.learned
	}
	return c.s.facts
}

// learn returns a private copy of the facts to write to.
func (c *ctx) learn() *facts {
	if c.learned == nil {
		c.learned = c.s.facts.clone()
	}
	return c.learned
}

func (c *ctx) next() State {
	if c.learned == nil {
		return c.s
	}
	return State{cfg: c.s.cfg, facts: c.learned}
}

// isRequest: the exchange sent a request (HTTP POST or a stdio line).
func (c *ctx) isRequest() bool {
	return c.req != nil && (!c.http || c.ex.HTTPMethod == "" || c.ex.HTTPMethod == "POST")
}

// isNotification: the exchange sent a notification.
func (c *ctx) isNotification() bool {
	return c.note != nil && (!c.http || c.ex.HTTPMethod == "" || c.ex.HTTPMethod == "POST")
}

// answered: a final response arrived.
func (c *ctx) answered() bool { return c.final >= 0 }

// complete: the response side ended normally (not cut by the client or
// the network), so absence of something can be judged.
func (c *ctx) complete() bool { return c.ex.Outcome == wire.Complete }

// resultType returns the resultType member of the final result, and
// whether it was present.
func (c *ctx) resultType() (string, bool) {
	if c.result == nil {
		return "", false
	}
	if c.rf.known {
		return c.rf.rt, c.rf.rt != ""
	}
	return peekResultType(c.result.Result)
}

// peekResultType reads resultType from a raw result that did not decode
// into its method's type.
func peekResultType(raw wire.Value) (string, bool) {
	var k struct {
		ResultType *string `json:"resultType"`
	}
	if wire.Unmarshal(raw, &k) != nil || k.ResultType == nil {
		return "", false
	}
	return *k.ResultType, true
}

// errCode returns the code of the final error response.
func (c *ctx) errCode() (int64, bool) {
	if c.errResp == nil {
		return 0, false
	}
	return c.errResp.Error.Code, true
}
