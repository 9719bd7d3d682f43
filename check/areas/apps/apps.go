package apps

import (
	"encoding/base64"
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

const (
	// extensionID identifies MCP Apps ("This extension is identified as:
	// `io.modelcontextprotocol/ui`").
	extensionID = "io.modelcontextprotocol/ui"
	// appMIME is the only UI content type of the Stable revision.
	appMIME = "text/html;profile=mcp-app"
	// maxPages bounds the pages read of one list; maxTools the UI tools
	// and maxReads the UI resources judged in one run.
	maxPages = 20
	maxTools = 12
	maxReads = 16
)

var (
	resourceIDs = []spec.ID{spec.AppsUiUriScheme, spec.AppsResourceExists, spec.AppsUiMime, spec.AppsUiHtml, spec.AppsListedMime,
		spec.AppsCspEntries, spec.AppsCspUndeclared, spec.AppsLeastPrivilege, spec.AppsDeprecatedResourceuri}
	contentIDs = []spec.ID{spec.AppsUiMime, spec.AppsUiHtml, spec.AppsCspEntries, spec.AppsCspUndeclared, spec.AppsLeastPrivilege}
	toolIDs    = []spec.ID{spec.AppsToolContent, spec.AppsTextFallback}
)

func init() {
	check.Register(&check.Check{Name: "apps/ui-resources", IDs: resourceIDs, Needs: needsPrimitives, Run: checkResources})
	check.Register(&check.Check{Name: "apps/tool-results", IDs: toolIDs, Needs: needsTools, Run: checkToolResults})
}

func needsPrimitives(e *check.Env) string {
	if !check.Capable(e.Server, "tools") && !check.Capable(e.Server, "resources") {
		return "the server declares neither tools nor resources: it offers no MCP App"
	}
	return ""
}

func needsTools(e *check.Env) string {
	if !check.Capable(e.Server, "tools") {
		return "the server declares no tools: no tool of it renders a UI"
	}
	return ""
}

// uiClient is the run's client declaring MCP Apps support as the
// extension's Capability Negotiation shows it: extensions
// {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}
// in its capabilities. A server may register UI tools only for such
// clients ("Servers SHOULD check client capabilities before registering
// UI-enabled tools").
func uiClient(e *check.Env) check.Client {
	return e.Client.WithExtension(extensionID, map[string]any{"mimeTypes": []any{appMIME}})
}

// uiTool is a tool that names a UI resource.
type uiTool struct {
	Name   string
	Schema any // its inputSchema, decoded
	// URI is the UI resource it names: _meta.ui.resourceUri, else the
	// deprecated _meta["ui/resourceUri"]. URIRaw is the JSON of a
	// resourceUri that is not a string ("" otherwise).
	URI, URIRaw string
	// Deprecated is the value of _meta["ui/resourceUri"] when present.
	Deprecated    string
	HasDeprecated bool
}

// toolOf reads a tool's _meta: ok when it names a UI resource.
func toolOf(t wire.Tool) (uiTool, bool) {
	ut := uiTool{Name: t.Name}
	named := false
	if raw, ok := t.Meta["ui"]; ok {
		var ui map[string]wire.Value
		if wire.Unmarshal(raw, &ui) == nil {
			if v, ok := ui["resourceUri"]; ok {
				named = true
				if wire.Unmarshal(v, &ut.URI) != nil {
					ut.URIRaw = string(v)
				}
			}
		}
	}
	if v, ok := t.Meta["ui/resourceUri"]; ok {
		ut.HasDeprecated = true
		if wire.Unmarshal(v, &ut.Deprecated) != nil {
			ut.Deprecated = string(v)
		} else if !named {
			ut.URI = ut.Deprecated
		}
		named = true
	}
	_ = wire.Unmarshal(t.InputSchema, &ut.Schema)
	return ut, named
}

// survey is what a client declaring the extension is offered: the UI tools
// (by name) and the listed UI resources (ui:// or of the app type).
type survey struct {
	client check.Client
	tools  []uiTool
	listed map[string]wire.Resource
	order  []string // listed, in list order
}

// gather lists tools (and, with resources, resources) as uiClient. The
// lists are read here rather than taken from discovery, which lists as a
// client without the extension; they are not learnt into e.Decl, which
// stays what that client is offered.
func gather(e *check.Env, resources bool) *survey {
	s := &survey{client: uiClient(e), listed: map[string]wire.Resource{}}
	seen := map[string]bool{}
	if check.Capable(e.Server, "tools") {
		listAs(e, s.client, "tools/list", func(r any) {
			lt, _ := r.(*wire.ListToolsResult)
			if lt == nil {
				return
			}
			for _, t := range lt.Tools {
				if ut, ok := toolOf(t); ok && !seen[t.Name] {
					seen[t.Name] = true
					s.tools = append(s.tools, ut)
				}
			}
		})
	}
	slices.SortFunc(s.tools, func(a, b uiTool) int { return strings.Compare(a.Name, b.Name) })
	if resources && check.Capable(e.Server, "resources") {
		listAs(e, s.client, "resources/list", func(r any) {
			lr, _ := r.(*wire.ListResourcesResult)
			if lr == nil {
				return
			}
			for _, res := range lr.Resources {
				if _, dup := s.listed[res.URI]; !dup && (uiScheme(res.URI) || mimeOf(res.MimeType) != mimeOther) {
					s.listed[res.URI] = res
					s.order = append(s.order, res.URI)
				}
			}
		})
	}
	return s
}

// listAs reads every page of a list as client c (at most maxPages).
func listAs(e *check.Env, c check.Client, method string, learn func(any)) {
	check.FollowCursors(e.Ctx, maxPages, func(params map[string]any) (*string, bool) {
		o := e.Send(e.RequestAs(c, method, params))
		if !o.Accepted() {
			return nil, false
		}
		learn(o.Result())
		return model.NextCursor(o.Result()), true
	})
}

// uiScheme: the URI starts with ui:// (the scheme compared without case,
// as RFC 3986 section 3.1 compares schemes).
func uiScheme(uri string) bool {
	return len(uri) >= 5 && strings.EqualFold(uri[:5], "ui://")
}

// mimeKind classifies a mimeType against appMIME.
type mimeKind uint8

const (
	mimeOther mimeKind = iota
	mimeMissing
	// mimeExact is the string the extension names.
	mimeExact
	// mimeEquivalent is the same media type under RFC 2045 (case of the
	// type and parameter name, blanks, a quoted value), spelled otherwise.
	mimeEquivalent
)

func mimeOf(m string) mimeKind {
	switch {
	case m == appMIME:
		return mimeExact
	case m == "":
		return mimeMissing
	}
	t, params, err := mime.ParseMediaType(m)
	if err == nil && t == "text/html" && len(params) == 1 && params["profile"] == "mcp-app" {
		return mimeEquivalent
	}
	return mimeOther
}

// findings collects, per requirement, what each probe of a check found,
// and records one verdict per requirement: the violations if any, else
// what could not be judged, else the passes.
type findings struct{ bad, unsure, good map[spec.ID][]string }

func newFindings() *findings {
	return &findings{bad: map[spec.ID][]string{}, unsure: map[spec.ID][]string{}, good: map[spec.ID][]string{}}
}

func (f *findings) add(m map[spec.ID][]string, ids []spec.ID, format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, id := range ids {
		m[id] = append(m[id], s)
	}
}

func (f *findings) violation(id spec.ID, format string, args ...any) {
	f.add(f.bad, []spec.ID{id}, format, args...)
}
func (f *findings) pass(id spec.ID, format string, args ...any) {
	f.add(f.good, []spec.ID{id}, format, args...)
}
func (f *findings) cannot(ids []spec.ID, format string, args ...any) {
	f.add(f.unsure, ids, format, args...)
}

// emit records the verdicts; none says why a requirement nothing bore on
// is skipped.
func (f *findings) emit(e *check.Env, ids []spec.ID, none string) {
	for _, id := range ids {
		switch {
		case len(f.bad[id]) > 0:
			e.Violation(id, "%s", joined(f.bad[id]))
		case len(f.unsure[id]) > 0:
			msg := joined(f.unsure[id])
			if len(f.good[id]) > 0 {
				msg += "; met otherwise: " + joined(f.good[id])
			}
			e.Inconclusive(id, "%s", msg)
		case len(f.good[id]) > 0:
			e.Pass(id, "%s", joined(f.good[id]))
		default:
			e.Skip(id, "%s", none)
		}
	}
}

// joined lists at most 6 findings.
func joined(s []string) string {
	if len(s) > 6 {
		return strings.Join(s[:6], "; ") + fmt.Sprintf("; and %d more", len(s)-6)
	}
	return strings.Join(s, "; ")
}

// target is a UI resource to read: the tools that name it and whether it
// is listed.
type target struct {
	uri    string
	tools  []string
	listed bool
}

func (t target) String() string {
	switch {
	case len(t.tools) > 0:
		return fmt.Sprintf("%q (named by tool %s)", t.uri, strings.Join(t.tools, ", "))
	default:
		return fmt.Sprintf("%q (listed)", t.uri)
	}
}

// checkResources: every URI a UI tool names, and every listed UI resource,
// starts with ui:// (APPS-UI-URI-SCHEME); every named one is served by
// resources/read (APPS-RESOURCE-EXISTS); the contents read are typed
// text/html;profile=mcp-app (APPS-UI-MIME) and hold an HTML document
// (APPS-UI-HTML); and, as hardening, their csp lists hold origins
// (APPS-CSP-ENTRIES) that cover every origin the HTML loads from
// statically (APPS-CSP-UNDECLARED), with nothing declared or requested
// that the HTML does not visibly use (APPS-LEAST-PRIVILEGE), and no tool
// uses the deprecated _meta["ui/resourceUri"].
func checkResources(e *check.Env) {
	s := gather(e, true)
	if len(s.tools) == 0 && len(s.listed) == 0 {
		probe.SkipAll(e, resourceIDs, "no tool names a UI resource (_meta.ui.resourceUri) and no resource is listed with ui:// or type %s, to a client that declares %s", appMIME, extensionID)
		return
	}
	f := newFindings()
	var targets []*target
	byURI := map[string]*target{}
	aim := func(uri string) *target {
		if t := byURI[uri]; t != nil {
			return t
		}
		t := &target{uri: uri}
		byURI[uri] = t
		targets = append(targets, t)
		return t
	}
	for _, t := range s.tools {
		switch {
		case t.URIRaw != "":
			f.violation(spec.AppsUiUriScheme, "tool %s: _meta.ui.resourceUri is %s, not a URI", t.Name, clip(t.URIRaw))
		case !uiScheme(t.URI):
			f.violation(spec.AppsUiUriScheme, "tool %s names the UI resource %q, which does not start with ui://", t.Name, clip(t.URI))
		default:
			f.pass(spec.AppsUiUriScheme, "tool %s names %q", t.Name, clip(t.URI))
		}
		if t.URIRaw == "" && t.URI != "" {
			tg := aim(t.URI)
			tg.tools = append(tg.tools, t.Name)
		}
		if t.HasDeprecated {
			f.violation(spec.AppsDeprecatedResourceuri, "tool %s names its UI resource with the deprecated _meta[\"ui/resourceUri\"] (%s)", t.Name, clip(t.Deprecated))
		} else {
			f.pass(spec.AppsDeprecatedResourceuri, "tool %s uses _meta.ui.resourceUri", t.Name)
		}
	}
	for _, u := range s.order {
		mt := s.listed[u].MimeType
		if uiScheme(u) {
			f.pass(spec.AppsUiUriScheme, "listed resource %q", clip(u))
			switch mimeOf(mt) {
			case mimeExact:
				f.pass(spec.AppsListedMime, "%q is listed with mimeType %s", clip(u), appMIME)
			case mimeMissing:
				// no type declared in the listing: nothing to judge
			default:
				f.violation(spec.AppsListedMime, "%q is listed with mimeType %q; want %s", clip(u), clip(mt), appMIME)
			}
		} else {
			f.violation(spec.AppsUiUriScheme, "the resource %q is listed with type %q but does not start with ui://", clip(u), mt)
		}
		aim(u).listed = true
	}
	for i, t := range targets {
		if i == maxReads || e.Ctx.Err() != nil {
			f.cannot(append([]spec.ID{spec.AppsResourceExists}, contentIDs...), "%d UI resources: only the first %d were read", len(targets), i)
			break
		}
		readUI(e, s, f, t)
	}
	f.emit(e, resourceIDs, "nothing bears on it: no tool names a UI resource, or no ui:// resource is listed with a mimeType")
}

// readUI reads one UI resource as s.client and judges the answer.
func readUI(e *check.Env, s *survey, f *findings, t *target) {
	r := e.RequestAs(s.client, "resources/read", map[string]any{"uri": t.uri})
	r.Timeout = probe.CallTimeout
	o := e.Send(r)
	what := "resources/read of " + t.String()
	named := len(t.tools) > 0
	exists := []spec.ID{}
	if named {
		exists = []spec.ID{spec.AppsResourceExists}
	}
	if !o.Answered() {
		f.cannot(append(exists, contentIDs...), "%s: %s", what, o.Describe())
		return
	}
	if code, isErr := o.ErrorCode(); isErr {
		switch {
		case named && (code == wire.CodeInvalidParams || code == wire.CodeMethodNotFound):
			// -32602 is the not-found error of resources.mdx; -32601: the
			// server reads no resource at all.
			f.violation(spec.AppsResourceExists, "%s: %s: the UI resource a tool names does not exist on the server", what, o.Describe())
		case named:
			f.cannot(exists, "%s: %s, not the not-found error -32602: whether the resource exists is not told", what, o.Describe())
		}
		f.cannot(contentIDs, "%s: %s: no contents to judge", what, o.Describe())
		return
	}
	res, ok := o.Result().(*wire.ReadResourceResult)
	if !ok || !o.Accepted() {
		why := "not a result that decodes as a ReadResourceResult (the model judges its schema)"
		if _, ir := o.Result().(*wire.InputRequiredResult); ir {
			why = "an InputRequiredResult: the read asks for input, which this check does not give"
		}
		f.cannot(append(exists, contentIDs...), "%s: %s, %s", what, o.Describe(), why)
		return
	}
	if named {
		f.pass(spec.AppsResourceExists, "%s served", what)
	}
	var items []wire.TextOrBlobResourceContents
	for _, c := range res.Contents {
		if contentsURI(c) == t.uri {
			items = append(items, c)
		}
	}
	if len(items) == 0 {
		items = res.Contents // none carries the URI read: judge them all
	}
	if len(items) == 0 {
		f.violation(spec.AppsUiHtml, "%s: no contents: the HTML is provided neither as text nor as blob", what)
		f.cannot([]spec.ID{spec.AppsUiMime, spec.AppsCspEntries, spec.AppsCspUndeclared, spec.AppsLeastPrivilege}, "%s: no contents to judge", what)
		return
	}
	for _, c := range items {
		judgeContents(f, what, c, s.listed[t.uri].Meta)
	}
}

func contentsURI(c wire.TextOrBlobResourceContents) string {
	switch c := c.(type) {
	case *wire.TextResourceContents:
		return c.URI
	case *wire.BlobResourceContents:
		return c.URI
	}
	return ""
}

// judgeContents judges one contents item of a UI resource: its type, its
// HTML, and its csp against the HTML (listedMeta, the _meta of the
// resource's listing, adds to the contents' own: read leniently).
func judgeContents(f *findings, what string, c wire.TextOrBlobResourceContents, listedMeta wire.Object) {
	var mt string
	var meta wire.Object
	var body []byte
	bodyWhy := ""
	switch c := c.(type) {
	case *wire.TextResourceContents:
		mt, meta, body = c.MimeType, c.Meta, []byte(c.Text[:min(len(c.Text), maxHTML+1)])
	case *wire.BlobResourceContents:
		mt, meta = c.MimeType, c.Meta
		body, bodyWhy = decodeBlob(c.Blob)
	default:
		f.cannot(contentIDs, "%s: contents of no known shape", what)
		return
	}
	switch mimeOf(mt) {
	case mimeExact:
		f.pass(spec.AppsUiMime, "%s: mimeType %s", what, appMIME)
	case mimeEquivalent:
		f.cannot([]spec.ID{spec.AppsUiMime}, "%s: mimeType %q: the same media type as %s under RFC 2045, but not the string the extension names; hosts that compare strings will not render it", what, clip(mt), appMIME)
	case mimeMissing:
		f.violation(spec.AppsUiMime, "%s: contents without a mimeType; want %s", what, appMIME)
	default:
		f.violation(spec.AppsUiMime, "%s: mimeType %q; want %s", what, clip(mt), appMIME)
	}
	var m uiMeta
	readUIMeta(listedMeta, &m)
	readUIMeta(meta, &m)
	judgeEntries(f, what, m)
	htmlLike := mimeOf(mt) != mimeOther
	if t, _, err := mime.ParseMediaType(mt); err == nil && t == "text/html" {
		htmlLike = true
	}
	switch {
	case bodyWhy != "":
		f.cannot([]spec.ID{spec.AppsUiHtml, spec.AppsCspUndeclared, spec.AppsLeastPrivilege}, "%s: %s", what, bodyWhy)
		return
	case !htmlLike:
		f.cannot([]spec.ID{spec.AppsUiHtml, spec.AppsCspUndeclared, spec.AppsLeastPrivilege}, "%s: contents typed %q, not HTML: the HTML is not read (APPS-UI-MIME)", what, clip(mt))
		return
	}
	doc := scanHTML(body)
	judgeHTML(f, what, doc)
	judgeOrigins(f, what, m, doc)
}

// decodeBlob decodes at most maxHTML bytes of a base64 blob.
func decodeBlob(b64 string) ([]byte, string) {
	n := (maxHTML + 3) / 3 * 4
	if len(b64) > n {
		b64 = b64[:n]
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, "the blob is not valid base64 (CORE-RESOURCE-BLOB-ENCODING judges that): its HTML is not read"
	}
	return b, ""
}

// judgeHTML: "Content MUST be valid HTML5 document". Only what no reading
// of that sentence accepts fails: nothing, a NUL (a parse error wherever
// it stands), or text without a DOCTYPE or a tag. A document without
// <!DOCTYPE html> first is inconclusive: the HTML standard requires it
// ("13.1 Writing HTML documents"), hosts render the page without it.
func judgeHTML(f *findings, what string, d document) {
	note := ""
	if d.Truncated {
		note = fmt.Sprintf(" (read up to %d bytes, %d tokens)", maxHTML, maxTokens)
	}
	switch {
	case d.Blank:
		f.violation(spec.AppsUiHtml, "%s: the content is empty: no HTML document", what)
	case d.NUL:
		f.violation(spec.AppsUiHtml, "%s: the content holds a NUL character, a parse error in any HTML document: not valid HTML%s", what, note)
	case d.Doctype == "" && d.Tags == 0:
		f.violation(spec.AppsUiHtml, "%s: neither a DOCTYPE nor a single tag: not an HTML document%s", what, note)
	case d.Doctype == "":
		f.cannot([]spec.ID{spec.AppsUiHtml}, "%s: no <!DOCTYPE html>: the HTML standard requires one, hosts render the page in quirks mode without it%s", what, note)
	case d.Doctype != "html":
		f.cannot([]spec.ID{spec.AppsUiHtml}, "%s: DOCTYPE %q, not html%s", what, clip(d.Doctype), note)
	case !d.DoctypeFirst:
		f.cannot([]spec.ID{spec.AppsUiHtml}, "%s: the DOCTYPE follows text or markup, a parse error%s", what, note)
	default:
		f.pass(spec.AppsUiHtml, "%s: an HTML document (<!DOCTYPE html> first, %d tags); full conformance to the HTML standard is not judged%s", what, d.Tags, note)
	}
}

// judgeEntries: APPS-CSP-ENTRIES over the declared lists.
func judgeEntries(f *findings, what string, m uiMeta) {
	var probs, wild []string
	n := 0
	for _, list := range cspLists {
		for _, entry := range m.CSP[list] {
			n++
			p, w := entryProblem(list, entry)
			if p != "" {
				probs = append(probs, fmt.Sprintf("%s %q: %s", list, clip(entry), p))
			}
			if w {
				wild = append(wild, fmt.Sprintf("%q", clip(entry)))
			}
		}
	}
	probs = append(probs, m.Malformed...)
	listedWild := ""
	if len(wild) > 0 {
		listedWild = "; wildcards in resourceDomains (documented there): " + strings.Join(wild, ", ")
	}
	switch {
	case len(probs) > 0:
		f.violation(spec.AppsCspEntries, "%s: %s%s", what, joined(probs), listedWild)
	case n == 0:
		f.pass(spec.AppsCspEntries, "%s: declares no csp entry (the restrictive default)", what)
	default:
		f.pass(spec.AppsCspEntries, "%s: %d csp entries, each an https or wss origin%s", what, n, listedWild)
	}
}

// judgeOrigins: APPS-CSP-UNDECLARED and APPS-LEAST-PRIVILEGE, the HTML's
// static references against the csp lists.
func judgeOrigins(f *findings, what string, m uiMeta, d document) {
	used := map[string]bool{}
	var undeclared, forms []string
	judged := 0
	for _, r := range d.Refs {
		if r.List == noList {
			forms = append(forms, fmt.Sprintf("%s (%s)", r.Origin, r.Where))
			continue
		}
		judged++
		ok := false
		for _, entry := range m.CSP[r.List] {
			if covers(entry, r.Origin) {
				ok, used[r.List+" "+entry] = true, true
			}
		}
		if !ok {
			undeclared = append(undeclared, fmt.Sprintf("%s (%s) is not in %s", r.Origin, r.Where, r.List))
		}
	}
	note := ""
	if len(forms) > 0 {
		note = "; form targets, which no csp list governs, not judged: " + joined(forms)
	}
	if d.Truncated {
		note += fmt.Sprintf("; read up to %d bytes, %d tokens", maxHTML, maxTokens)
	}
	switch {
	case len(undeclared) > 0:
		f.violation(spec.AppsCspUndeclared, "%s: %s: a conforming host blocks these loads (\"MUST NOT allow undeclared domains\")%s", what, joined(undeclared), note)
	case judged == 0:
		f.pass(spec.AppsCspUndeclared, "%s: the HTML loads from no external origin statically%s", what, note)
	default:
		f.pass(spec.AppsCspUndeclared, "%s: %d static reference(s) to external origins, each declared%s", what, judged, note)
	}
	var unused []string
	for _, list := range cspLists {
		for _, entry := range m.CSP[list] {
			if !used[list+" "+entry] {
				unused = append(unused, fmt.Sprintf("%s %q", list, clip(entry)))
			}
		}
	}
	var asks []string
	if len(unused) > 0 {
		asks = append(asks, "declared but not referenced in the HTML: "+joined(unused))
	}
	if len(m.Permissions) > 0 {
		asks = append(asks, "requests the permissions "+strings.Join(m.Permissions, ", "))
	}
	if len(asks) > 0 {
		f.cannot([]spec.ID{spec.AppsLeastPrivilege}, "%s: %s; URLs built at run time and the use of a permission are invisible to a static reading", what, strings.Join(asks, "; "))
	} else {
		f.pass(spec.AppsLeastPrivilege, "%s: requests no permission, and declares no origin its HTML does not reference", what)
	}
}

// checkToolResults: a UI tool called by a client that declares the
// extension returns meaningful content (APPS-TOOL-CONTENT); called by one
// that does not, text (APPS-TEXT-FALLBACK).
func checkToolResults(e *check.Env) {
	s := gather(e, false)
	if len(s.tools) == 0 {
		probe.SkipAll(e, toolIDs, "no tool names a UI resource (_meta.ui.resourceUri), to a client that declares %s", extensionID)
		return
	}
	f := newFindings()
	for i, t := range s.tools {
		if i == maxTools || e.Ctx.Err() != nil {
			f.cannot(toolIDs, "%d UI tools: only the first %d were called", len(s.tools), i)
			break
		}
		_, o := probe.CallToolWith(e, s.client, t.Name, func() map[string]any { return probe.ToolCallParamsFor(e, t.Name, t.Schema) }, nil, 4, probe.CallTimeout)
		judgeCall(f, spec.AppsToolContent, fmt.Sprintf("tools/call of %s by a client that declares %s", t.Name, extensionID), o, contentProblem)
		if e.Decl.Tools[t.Name] == nil {
			f.cannot([]spec.ID{spec.AppsTextFallback}, "tool %s is not listed to a client without %s (servers MAY register other variants for it, which cannot be matched by name)", t.Name, extensionID)
			continue
		}
		_, o = probe.CallTool(e, e.Client, t.Name, nil, 4, probe.CallTimeout)
		judgeCall(f, spec.AppsTextFallback, fmt.Sprintf("tools/call of %s by a client without %s", t.Name, extensionID), o, textProblem)
	}
	f.emit(e, toolIDs, "no UI tool was called")
}

// judgeCall judges a tool's answer by problem, when it is a successful
// CallToolResult; anything else is inconclusive.
func judgeCall(f *findings, id spec.ID, what string, o check.Observation, problem func(*wire.CallToolResult) string) {
	r, ok := o.Result().(*wire.CallToolResult)
	switch {
	case !o.Accepted() || !ok:
		why := o.Describe()
		if _, ir := o.Result().(*wire.InputRequiredResult); ir {
			why = "an InputRequiredResult (input is not given here)"
		}
		f.cannot([]spec.ID{id}, "%s: %s: no result to judge", what, why)
	case r.IsError != nil && *r.IsError:
		f.cannot([]spec.ID{id}, "%s: a tool error (isError) with every generated argument: no successful result to judge", what)
	default:
		if p := problem(r); p != "" {
			f.violation(id, "%s: %s", what, p)
		} else {
			f.pass(id, "%s: %s", what, describeContent(r))
		}
	}
}

// contentProblem: "meaningful content array". An empty array, or blank text
// only, carries nothing for the model or a text-only host; whether other
// content carries the result is not judged.
func contentProblem(r *wire.CallToolResult) string {
	if len(r.Content) == 0 {
		return "an empty content array: a host with the UI has nothing to give the model (\"Tools MUST return meaningful content array even when UI is available\")"
	}
	for _, c := range r.Content {
		if t, ok := c.(*wire.TextContent); !ok || strings.TrimSpace(t.Text) != "" {
			return ""
		}
	}
	return "content of blank text only (\"Tools MUST return meaningful content array even when UI is available\")"
}

// textProblem: the text-only fallback is a non-blank text block.
func textProblem(r *wire.CallToolResult) string {
	for _, c := range r.Content {
		if t, ok := c.(*wire.TextContent); ok && strings.TrimSpace(t.Text) != "" {
			return ""
		}
	}
	return "no non-blank text block (" + describeContent(r) + "): a host without the extension shows nothing (\"Servers SHOULD provide text-only fallback behavior for all UI-enabled tools\")"
}

// describeContent names the kinds of a result's content blocks.
func describeContent(r *wire.CallToolResult) string {
	if len(r.Content) == 0 {
		return "no content block"
	}
	kinds := make([]string, 0, len(r.Content))
	for _, c := range r.Content {
		k := strings.TrimPrefix(fmt.Sprintf("%T", c), "*wire.")
		if t, ok := c.(*wire.TextContent); ok && strings.TrimSpace(t.Text) == "" {
			k = "blank TextContent"
		}
		kinds = append(kinds, k)
	}
	return fmt.Sprintf("%d content block(s): %s", len(r.Content), strings.Join(kinds, ", "))
}
