package versions

import (
	"fmt"
	"slices"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Checks of protocol version negotiation (basic/versioning.mdx, "Protocol
// Version Negotiation") and of the MCP-Protocol-Version header
// (basic/transports/streamable-http.mdx, "Protocol Version Header").

func init() {
	httpOnly := []wire.Transport{wire.HTTP}
	check.Register(&check.Check{
		Name: "versions/unsupported",
		IDs:  []spec.ID{spec.CoreVersionUnsupported, spec.HttpVersionUnsupported},
		Run:  versionUnsupported.Run,
	})
	check.Register(&check.Check{
		Name:       "versions/body-differs",
		IDs:        []spec.ID{spec.HttpVersionMismatch},
		Transports: httpOnly,
		Run:        versionBodyDiffers.Run,
	})
	check.Register(&check.Check{
		Name:       "versions/header-mutations",
		IDs:        []spec.ID{spec.HttpVersionMismatch, spec.HttpHeaderInvalid},
		Transports: httpOnly,
		Run:        versionHeaderMutations.Run,
	})
	check.Register(&check.Check{
		Name:       "versions/header-missing",
		IDs:        []spec.ID{spec.HttpVersionHeaderMissing},
		Transports: httpOnly,
		Needs:      needsHeaderRequired,
		Run:        versionHeaderMissing.Run,
	})
}

// unsupportedVersions generates versions the server does not list: a past
// and a future date, the days around the versions it serves, and the
// handshake-era revisions it does not serve (a known version the server
// chose not to support is unsupported too).
func unsupportedVersions(e *check.Env) []string {
	cands := []string{"1900-01-01", "2099-01-01"}
	for _, v := range append([]string{e.Client.ProtocolVersion()}, e.Server.Versions...) {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			cands = append(cands, t.AddDate(0, 0, 1).Format(time.DateOnly), t.AddDate(0, 0, -1).Format(time.DateOnly))
		}
	}
	cands = append(cands, wire.LegacyVersions...)
	var out []string
	for _, v := range cands {
		if v != e.Client.ProtocolVersion() && !slices.Contains(e.Server.Versions, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}

// versionRequest builds the unaltered request's request (fresh id) declaring
// version body in _meta and header in MCP-Protocol-Version ("" removes
// the header).
func versionRequest(e *check.Env, b *probe.Served, body, header string) *check.Request {
	c := e.Client
	c.Version = body
	var hs []model.ParamHeader
	if b.Method == "tools/call" {
		if name, ok := b.Params["name"].(string); ok && e.Decl.Tools[name] != nil {
			hs = e.Decl.Tools[name].Headers
		}
	}
	r := c.Request(e.NextID(), b.Method, probe.CloneParams(b.Params), hs)
	if header == "" {
		probe.SetHeader(r, wire.HeaderProtocolVersion, nil)
	} else {
		probe.SetHeader(r, wire.HeaderProtocolVersion, probe.Str(header))
	}
	return r
}

// versionUnsupported declares, in both _meta and the header, each
// generated version the server does not support: each must get
// UnsupportedProtocolVersionError (-32022) with data.supported and
// data.requested (CORE-VERSION-UNSUPPORTED; the model checks the data)
// and, on HTTP, 400 (HTTP-VERSION-UNSUPPORTED).
var versionUnsupported = probe.Family{
	IDs:      []spec.ID{spec.CoreVersionUnsupported, spec.HttpVersionUnsupported},
	HTTPOnly: []spec.ID{spec.HttpVersionUnsupported},
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		var out []probe.Variant
		for _, v := range unsupportedVersions(e) {
			out = append(out, probe.Variant{What: fmt.Sprintf("%s declaring the unsupported version %q", s.Method, v), Request: versionRequest(e, s, v, v)})
		}
		return out
	},
}

// versionBodyDiffers sends a served request with the body's version and
// the header's differing, in every supported/unsupported combination:
// each must be refused with 400 and HeaderMismatch (-32020), or -32022
// where one of the versions is unsupported (HTTP-VERSION-MISMATCH; the
// model knows the acceptable forms). A server that reads only the header
// (or only the body) serves some of them.
var versionBodyDiffers = probe.Family{
	IDs:   []spec.ID{spec.HttpVersionMismatch},
	Serve: probe.ServedOne(probe.ServedList),
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		real := e.Client.ProtocolVersion()
		var supported []string
		for _, v := range e.Server.Versions {
			if v != real && len(supported) < 3 {
				supported = append(supported, v)
			}
		}
		uns := unsupportedVersions(e)
		if len(uns) > 3 {
			uns = uns[:3]
		}
		type pair struct{ header, body, kind string }
		var pairs []pair
		for _, v := range supported {
			pairs = append(pairs, pair{real, v, "both supported"}, pair{v, real, "both supported"})
		}
		for _, u := range uns {
			pairs = append(pairs, pair{real, u, "body unsupported"}, pair{u, real, "header unsupported"})
		}
		if len(uns) >= 2 {
			pairs = append(pairs, pair{uns[0], uns[1], "both unsupported"})
		}
		var out []probe.Variant
		for _, p := range pairs {
			out = append(out, probe.Variant{
				What:    fmt.Sprintf("%s with %s %q and _meta protocolVersion %q (%s)", s.Method, wire.HeaderProtocolVersion, p.header, p.body, p.kind),
				Request: versionRequest(e, s, p.body, p.header),
			})
		}
		return out
	},
}

// versionHeaderIDs are what the header mutations break (missing:
// versions/header-missing).
var versionHeaderIDs = probe.HeaderIDs{probe.DefectMismatch: spec.HttpVersionMismatch, probe.DefectInvalid: spec.HttpHeaderInvalid}

// versionHeaderMutations mutates the MCP-Protocol-Version header of a
// served request, the body unchanged: every mismatch class (the other
// versions the server lists, unsupported ones, truncated, the Base64 form
// it does not allow, a duplicate...) must be refused
// (HTTP-VERSION-MISMATCH), non-ASCII bytes too (HTTP-HEADER-INVALID).
var versionHeaderMutations = probe.Family{
	IDs:   probe.IDsOf(versionHeaderIDs),
	Serve: probe.ServedOne(probe.ServedList),
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		real := e.Client.ProtocolVersion()
		others := probe.Others(e.Server.Versions, real, 3)
		if uns := unsupportedVersions(e); len(uns) > 0 {
			others = append(others, uns[0])
		}
		return probe.HeaderVariants(e, s, wire.HeaderProtocolVersion, probe.MismatchMutations(probe.MirrorPlain, real, others), versionHeaderIDs)
	},
	Judge: probe.ExpectDefect(versionHeaderIDs),
}

// needsHeaderRequired: a server that supports clients older than
// 2025-06-18 MAY read a request without MCP-Protocol-Version as
// 2025-03-26, so the header is required only of the others.
func needsHeaderRequired(e *check.Env) string {
	for _, v := range e.Server.Versions {
		if v == wire.VersionNoHeader || v == "2024-11-05" {
			return fmt.Sprintf("the server lists %s: it supports clients older than 2025-06-18 and MAY read a request without %s as %s", v, wire.HeaderProtocolVersion, wire.VersionNoHeader)
		}
	}
	return ""
}

// versionHeaderMissing sends served requests without
// MCP-Protocol-Version: each must be refused with 400 and -32020
// (HTTP-VERSION-HEADER-MISSING).
var versionHeaderMissing = probe.Family{
	IDs: []spec.ID{spec.HttpVersionHeaderMissing},
	Variants: func(e *check.Env, s *probe.Served) []probe.Variant {
		return []probe.Variant{{What: fmt.Sprintf("%s without %s", s.Method, wire.HeaderProtocolVersion), Request: versionRequest(e, s, e.Client.ProtocolVersion(), "")}}
	},
}
