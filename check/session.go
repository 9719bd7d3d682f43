package check

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/mcpverify/mcpverify/check/legacyclient"
	"github.com/mcpverify/mcpverify/wire"
)

// Servers of the handshake era: the requests of their session, and why
// this revision's checks skip them (see legacyclient.go for the messages).

// skipReason says why check c does not run on this server (runCheck):
// the transport, else the era.
func skipReason(c *Check, t wire.Transport, si ServerInfo) string {
	if !c.runsOn(t, erasOf(c)[0]) || slices.Contains(erasOf(c), si.Era) {
		return fmt.Sprintf("applies only to servers over %v", transportsOf(c))
	}
	switch si.Era {
	case Legacy:
		return legacyclient.SkipReason(si.LegacyVersion())
	case OtherRevision:
		return fmt.Sprintf("the server does not serve %s (it supports %v)", wire.Version, si.Versions)
	case UnknownEra:
		return "the server answered neither server/discover nor initialize recognizably"
	}
	return fmt.Sprintf("applies only to %v servers; this one is %s", erasOf(c), si.Era)
}

// LegacyVersion is the revision of the server's legacy session
// (2025-11-25 when there is none).
func (s ServerInfo) LegacyVersion() string {
	if s.Legacy != nil && s.Legacy.Version != "" {
		return s.Legacy.Version
	}
	return wire.LegacyVersions[0]
}

// ServesThisRevision reports whether the server is judged by this
// revision's rules (the generated campaign runs only then).
func (s ServerInfo) ServesThisRevision() bool { return s.Era != Legacy && s.Era != OtherRevision }

// legacyMessage is a handshake-era request with the client's headers.
func (e *Env) legacyMessage(id wire.RequestID, method string, params map[string]any, h http.Header) *Request {
	h["Content-Type"] = []string{"application/json"}
	h["Accept"] = []string{"application/json, text/event-stream"}
	for k, vs := range e.Client.Header {
		h[k] = append([]string(nil), vs...)
	}
	return &Request{HTTPMethod: http.MethodPost, Header: h, Body: legacyclient.Body(id, method, params), Notification: id.IsZero()}
}

// LegacyInitialize is the initialize request of the handshake for version
// (no session yet, so no MCP-Protocol-Version header: the version travels
// in params).
func (e *Env) LegacyInitialize(version string) *Request {
	return e.legacyMessage(e.NextID(), "initialize", legacyclient.InitializeParams(version, e.Client.Info), http.Header{})
}

// LegacyRequest builds a request of the server's legacy session (no _meta
// protocol fields; the session's MCP-Protocol-Version and Mcp-Session-Id
// headers), with a fresh id. Without a session it uses 2025-11-25 and no
// session id.
func (e *Env) LegacyRequest(method string, params map[string]any) *Request {
	if params == nil {
		params = map[string]any{}
	}
	return e.legacyMessage(e.NextID(), method, params, e.legacySession().Header())
}

// LegacyNotification builds a notification of the legacy session.
func (e *Env) LegacyNotification(method string, params map[string]any) *Request {
	return e.legacyMessage(wire.RequestID{}, method, params, e.legacySession().Header())
}

// legacyTerminate is the DELETE that ends an HTTP session.
func (e *Env) legacyTerminate(s *legacyclient.Session) *Request {
	h := s.Header()
	for k, vs := range e.Client.Header {
		h[k] = append([]string(nil), vs...)
	}
	return &Request{HTTPMethod: http.MethodDelete, Header: h, Notification: true}
}

func (e *Env) legacySession() *legacyclient.Session {
	if e.Server.Legacy != nil {
		return e.Server.Legacy
	}
	return &legacyclient.Session{Version: wire.LegacyVersions[0]}
}

// SendLegacy sends r to instance 0 (where the session lives) and records
// it as the running check's evidence, without judging it by this
// revision's rules: the check judges a legacy answer itself.
func (e *Env) SendLegacy(r *Request) Observation {
	o := e.sendRaw(r)
	e.j.tally(o.Ex)
	return o
}

// SendLegacyTo is SendLegacy to t, a target the check started itself (a
// server started again, Relauncher).
func (e *Env) SendLegacyTo(t Target, r *Request) Observation {
	o := e.sendRawTo(t, r)
	e.j.tally(o.Ex)
	return o
}

// LegacyInitializeWith is LegacyInitialize declaring caps (a JSON object's
// members) as the client's capabilities.
func (e *Env) LegacyInitializeWith(version string, caps map[string]any) *Request {
	params := legacyclient.InitializeParams(version, e.Client.Info)
	params["capabilities"] = caps
	return e.legacyMessage(e.NextID(), "initialize", params, http.Header{})
}

// sendRaw sends r to instance 0, decodes the exchange and records it as
// evidence; the model does not see it.
func (e *Env) sendRaw(r *Request) Observation { return e.sendRawTo(e.targets[0], r) }

func (e *Env) sendRawTo(t Target, r *Request) Observation {
	ex := t.Send(e.Ctx, r)
	ex.Instance = 0
	ex.Decode()
	e.evidence = append(e.evidence, ex)
	return Observation{Ex: ex}
}

// tally counts exchanges that were sent but not judged by the model.
func (j *judge) tally(exs ...*wire.Exchange) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, ex := range exs {
		j.countLocked(ex)
	}
}

// countLocked counts an exchange sent (and answered, if it finished);
// j.mu is held.
func (j *judge) countLocked(ex *wire.Exchange) {
	j.total++
	if ex.Outcome.Finished() {
		j.answered++
	}
	j.health.count(ex)
	if j.first == nil {
		j.first = ex
	}
	if j.onProgress != nil {
		j.onProgress(j.done, j.checks, j.total)
	}
}

// advance records that done of the run's checks checks are done, and
// says so to Options.OnProgress.
func (j *judge) advance(done, checks int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done, j.checks = done, checks
	if j.onProgress != nil {
		j.onProgress(j.done, j.checks, j.total)
	}
}

// LegacyResult decodes the result of a legacy answer into v.
func LegacyResult(o Observation, v any) error { return legacyclient.Result(o.Ex, v) }

// legacySessionOf reads a served initialize.
func legacySessionOf(o Observation) (*legacyclient.Session, bool) {
	if !o.Accepted() {
		return nil, false
	}
	return legacyclient.SessionFrom(o.Ex)
}

// learnLegacyTools reads every page of tools/list over the session into
// e.Decl.Tools (so that later campaigns draw from them too).
func learnLegacyTools(e *Env, s *legacyclient.Session) {
	if !legacyclient.HasTools(s.Capabilities) {
		return
	}
	FollowCursors(e.Ctx, maxPages, func(params map[string]any) (*string, bool) {
		o := e.SendLegacy(e.legacyMessage(e.NextID(), "tools/list", params, s.Header()))
		tools, next, err := legacyclient.ToolsPage(o.Ex)
		if err != nil {
			return nil, false
		}
		for _, t := range tools {
			td := &ToolDecl{Tool: wire.Tool{Name: t.Name, InputSchema: t.InputSchema, OutputSchema: t.OutputSchema}}
			var a wire.ToolAnnotations
			if len(t.Annotations) > 0 && wire.Unmarshal(t.Annotations, &a) == nil {
				td.Tool.Annotations = &a
			}
			_ = wire.Unmarshal(t.InputSchema, &td.Schema)
			e.Decl.Tools[t.Name] = td
		}
		return next, true
	})
}
