package check

import (
	"context"
	"slices"
	"time"

	"github.com/mcpverify/mcpverify/check/legacyclient"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// OtherRevision is the era of a modern server that does not serve this
// revision: its DiscoverResult or UnsupportedProtocolVersionError lists
// only other revisions, and it does not answer initialize either. No
// 2026-07-28 check applies to it.
const OtherRevision Era = "other-revision"

// probeTimeout bounds the era probes where a silent server is itself an
// answer: server/discover on stdio (a legacy server may never answer it)
// and initialize on a modern HTTP server.
const probeTimeout = 5 * time.Second

// discover learns what the server is: it probes server/discover, decides
// the era as versioning.mdx, "Backward Compatibility with
// Initialization-Based Versions", and the transport pages' "Backward
// Compatibility" sections say, and reads every page of every list the
// server declares, so that checks and the campaign can draw requests from
// the server's own declarations.
//
// The era:
//   - a DiscoverResult listing 2026-07-28 is a modern server, dual-era if it
//     lists a handshake-era version too or (HTTP only: on stdio initialize
//     would switch the process to legacy semantics) answers initialize;
//   - a recognized modern error (UnsupportedProtocolVersionError with
//     data.supported, MissingRequiredClientCapability with
//     data.requiredCapabilities, HeaderMismatch) is a modern server: no
//     fallback; with a supported list that names 2026-07-28 the probe is
//     retried with it;
//   - anything else (any other error, an empty or foreign body, silence) is
//     a legacy server if initialize with protocolVersion 2025-11-25 then
//     succeeds: ServerInfo.Legacy holds the session;
//   - a server whose supported versions lack 2026-07-28 is legacy if it
//     answers initialize, else OtherRevision;
//   - a server that answers neither recognizably is UnknownEra.
//
// Exchanges of the 2026-07-28 probes are judged by the model once the
// server is known to be judged by this revision (modern, dual-era or
// unknown); exchanges with a legacy or OtherRevision server never are
// (the model would judge them by rules the server does not claim), nor
// are those of a legacy session. Every exchange kept in the discovery
// evidence starts the traces of the run.
func discover(e *Env) (si ServerInfo) {
	d := &discovery{e: e}
	probe := e.Request("server/discover", nil)
	if e.Transport() == wire.Stdio {
		probe.Timeout = probeTimeout
	}
	o := d.send(probe)
	defer func() { si.DiscoverProbe = o.Ex }()
	dr, versions, served := DiscoverAnswer(o)
	switch {
	case served && (len(versions) == 0 || slices.Contains(versions, wire.Version)):
		// (A result without readable versions is a modern server's
		// defect: the model judges it.)
		d.judge()
		si = modernInfo(dr, versions)
	case served:
		// A DiscoverResult without this revision: a server that speaks
		// only handshake-era versions may still answer discover.
		return d.notThisRevision(versions)
	default:
		code, modern := recognizedModernError(o)
		if !modern {
			if sess, ok := d.openLegacy(); ok {
				return d.legacyInfo(sess)
			}
			d.judge()
			return ServerInfo{Era: UnknownEra}
		}
		if si = d.afterModernError(code, o); si.Era != Modern && si.Era != DualEra {
			return si
		}
	}
	if si.Era == Modern && e.Transport() == wire.HTTP && d.dualEraByInitialize() {
		si.Era = DualEra
	}
	for _, m := range si.Lists() {
		e.ListPages(m)
	}
	return si
}

// discovery holds the exchanges of the era probes that are not judged
// yet: they are judged, in order, once the server is known not to be
// legacy, and never if it is.
type discovery struct {
	e       *Env
	pending []*wire.Exchange
}

func (d *discovery) send(r *Request) Observation {
	o := d.e.sendRaw(r)
	d.pending = append(d.pending, o.Ex)
	return o
}

// judge judges the pending exchanges with the model.
func (d *discovery) judge() {
	for _, ex := range d.pending {
		d.e.j.step(ex, d.e.evidence, d.e.checkName())
	}
	d.pending = nil
}

// drop removes the exchanges from index mark of the evidence on: probes
// that are neither judged nor kept.
func (d *discovery) drop(mark int) {
	d.e.evidence = d.e.evidence[:mark]
	d.pending = slices.DeleteFunc(d.pending, func(ex *wire.Exchange) bool { return !contains(d.e.evidence, ex) })
}

// DiscoverAnswer reads a served server/discover: the typed result (nil if
// it did not decode strictly) and the supported versions, read leniently
// so that a result with a defect elsewhere still tells the era.
func DiscoverAnswer(o Observation) (*wire.DiscoverResult, []string, bool) {
	if !o.Accepted() {
		return nil, nil, false
	}
	if d, ok := o.Result().(*wire.DiscoverResult); ok {
		return d, d.SupportedVersions, true
	}
	var r struct {
		SupportedVersions []string `json:"supportedVersions"`
	}
	_ = LegacyResult(o, &r)
	return nil, r.SupportedVersions, true
}

// modernInfo is the ServerInfo of a server whose discover result lists
// this revision: dual-era if it lists a handshake-era version too.
func modernInfo(d *wire.DiscoverResult, versions []string) ServerInfo {
	si := ServerInfo{Era: Modern, Discover: d, Versions: versions}
	if d != nil {
		si.Capabilities = d.Capabilities
	}
	if slices.ContainsFunc(versions, wire.IsLegacyVersion) {
		si.Era = DualEra
	}
	return si
}

// notThisRevision handles a modern answer (a DiscoverResult or an
// UnsupportedProtocolVersionError) whose versions lack this revision: a
// server that lists a handshake-era version and answers initialize speaks
// only the handshake era to us; any other is OtherRevision.
func (d *discovery) notThisRevision(versions []string) ServerInfo {
	if slices.ContainsFunc(versions, wire.IsLegacyVersion) {
		if sess, ok := d.openLegacy(); ok {
			return d.legacyInfo(sess)
		}
	}
	d.e.j.tally(d.pending...)
	d.pending = nil
	return ServerInfo{Era: OtherRevision, Versions: versions}
}

// recognizedModernError reports a JSON-RPC error that only a modern server
// sends to a conforming server/discover: -32022 with data.supported,
// -32021 with data.requiredCapabilities, or -32020 (on HTTP with status
// 400, the status this revision ties to it). Legacy servers used codes in
// -32000..-32099 for their own purposes, so the code alone is not enough
// where the spec gives the error a data shape.
func recognizedModernError(o Observation) (int64, bool) {
	code, ok := o.ErrorCode()
	if !ok || !o.Answered() {
		return 0, false
	}
	data := errorData(o)
	switch code {
	case wire.CodeUnsupportedProtocolVersion:
		var d wire.UnsupportedProtocolVersionData
		return code, len(data) > 0 && wire.Unmarshal(data, &d) == nil && len(d.Supported) > 0
	case wire.CodeMissingRequiredClientCapability:
		var d wire.MissingRequiredClientCapabilityData
		return code, len(data) > 0 && wire.Unmarshal(data, &d) == nil && d.RequiredCapabilities != nil
	case wire.CodeHeaderMismatch:
		return code, o.Ex.Transport != wire.HTTP || o.Ex.Status == 400
	}
	return 0, false
}

func errorData(o Observation) wire.Value {
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCErrorResponse); ok {
			return m.Error.Data
		}
	}
	return nil
}

// afterModernError: the server is modern. An UnsupportedProtocolVersionError
// whose supported list lacks this revision makes the server legacy (if it
// answers initialize) or OtherRevision, and the probe is not judged by
// this revision's rules; else the probe is judged, and if the list names
// this revision while the client asked for another, the probe is retried
// with this revision.
func (d *discovery) afterModernError(code int64, o Observation) ServerInfo {
	si := ServerInfo{Era: Modern}
	var data wire.UnsupportedProtocolVersionData
	if code == wire.CodeUnsupportedProtocolVersion {
		_ = wire.Unmarshal(errorData(o), &data)
		if !slices.Contains(data.Supported, wire.Version) {
			return d.notThisRevision(data.Supported)
		}
	}
	d.judge()
	if code != wire.CodeUnsupportedProtocolVersion {
		return si
	}
	si.Versions = data.Supported
	if d.e.Client.ProtocolVersion() == wire.Version {
		return si // it rejected a version it lists: the model judges that
	}
	c := d.e.Client
	c.Version = wire.Version
	r := d.e.Send(c.Request(d.e.NextID(), "server/discover", nil, nil))
	if dr, versions, ok := DiscoverAnswer(r); ok && slices.Contains(versions, wire.Version) {
		return modernInfo(dr, versions)
	}
	return si
}

// dualEraByInitialize asks a modern HTTP server whether it also answers a
// 2025-11-25 initialize (a dual-era server need not list the handshake-era
// versions in its discover result). A served initialize opens a session,
// which is ended at once with DELETE; neither exchange is judged or kept
// (the model would judge them by this revision's rules). A rejected
// initialize is judged and kept: on a server that serves only this
// revision it bears on CORE-INITIALIZE-VERSIONS. On stdio the probe is not
// sent: initialize would switch the whole process to legacy semantics.
func (d *discovery) dualEraByInitialize() bool {
	mark := len(d.e.evidence)
	req := d.e.LegacyInitialize(wire.LegacyVersions[0])
	req.Timeout = probeTimeout
	o := d.send(req)
	if sess, ok := legacySessionOf(o); ok {
		if sess.SessionID != "" {
			d.send(d.e.legacyTerminate(sess))
		}
		d.drop(mark)
		return true
	}
	if o.Answered() && o.Rejected() {
		d.judge()
	} else {
		d.drop(mark)
	}
	return false
}

// legacyInfo is the ServerInfo of a server that speaks only the handshake
// era to us: the session, its version and the capabilities of its
// initialize result. Its tools are learnt over the session. The probes
// stay in the evidence, unjudged.
func (d *discovery) legacyInfo(sess *legacyclient.Session) ServerInfo {
	si := ServerInfo{Era: Legacy, Versions: []string{sess.Version}, Legacy: sess}
	if len(sess.Capabilities) > 0 {
		var caps wire.ServerCapabilities
		if wire.Unmarshal(sess.Capabilities, &caps) == nil {
			si.Capabilities = caps
		}
	}
	d.e.j.tally(d.pending...)
	d.pending = nil
	learnLegacyTools(d.e, sess)
	return si
}

// openLegacy falls back to the handshake: initialize with protocolVersion
// 2025-11-25, then notifications/initialized.
func (d *discovery) openLegacy() (*legacyclient.Session, bool) {
	o := d.send(d.e.LegacyInitialize(wire.LegacyVersions[0]))
	sess, ok := legacySessionOf(o)
	if !ok {
		return nil, false
	}
	d.send(d.e.legacyMessage(wire.RequestID{}, "notifications/initialized", nil, sess.Header()))
	return sess, true
}

func Capable(si ServerInfo, c string) bool {
	caps := si.Capabilities
	switch c {
	case "tools":
		return caps.Tools != nil
	case "prompts":
		return caps.Prompts != nil
	case "resources":
		return caps.Resources != nil
	case "completions":
		return caps.Completions != nil
	}
	return true
}

// maxPages bounds the pages read of one list.
const maxPages = 50

// ListPages reads every page of a list (at most maxPages), following
// nextCursor and learning the declarations of each page, and returns the
// observations; it stops at the first page not served or at a cursor seen
// before.
func (e *Env) ListPages(method string) []Observation {
	var out []Observation
	FollowCursors(e.Ctx, maxPages, func(params map[string]any) (*string, bool) {
		o := e.Send(e.Request(method, params))
		e.Decl.Learn(o.Ex)
		out = append(out, o)
		return model.NextCursor(o.Result()), o.Accepted()
	})
	return out
}

// FollowCursors reads the pages of a list: fetch gets each page's params
// (with the cursor the page before returned) and returns the page's
// nextCursor, or false to stop. It stops after max pages, at a cursor
// seen before (a server that pages in a cycle), and when ctx ends.
func FollowCursors(ctx context.Context, max int, fetch func(params map[string]any) (next *string, ok bool)) {
	var cursor *string
	seen := map[string]bool{}
	for page := 0; page < max && ctx.Err() == nil; page++ {
		params := map[string]any{}
		if cursor != nil {
			params["cursor"] = *cursor
		}
		next, ok := fetch(params)
		if !ok || next == nil || seen[*next] {
			return
		}
		seen[*next] = true
		cursor = next
	}
}

// Lists returns the list methods of the capabilities the server declares
// (tools/list for tools, ...), in the method table's order.
func (s ServerInfo) Lists() []string {
	var out []string
	for _, m := range wire.Methods {
		if m.Paginated && Capable(s, m.Capability) {
			out = append(out, m.Method)
		}
	}
	return out
}
