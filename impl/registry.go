package impl

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// The registry holds the server's tools, prompts, resources and resource
// templates, and the precomputed pages of their lists. The lists never
// change while a Server runs, so every page is encoded once, in New: a
// list request costs a cursor check and a copy.

// Caching hints (server/utilities/caching.mdx). The lists and the static
// resources hold no per-user data, so they are public; results that depend
// on a retry's input are private and immediately stale.
const (
	listTTLMs     = 300_000
	discoverTTLMs = 3_600_000
	readTTLMs     = 60_000
)

// Lists, as named in cursors.
const (
	listTools byte = iota + 1
	listPrompts
	listResources
	listTemplates
)

// prompt is one prompt the server offers.
type prompt struct {
	def wire.Prompt
	run promptFunc
}

type promptFunc func(x *exchange, args map[string]string, in *inputs) (*wire.GetPromptResult, *ask, *rpcError)

// resource is one resource, or resource template, the server offers.
type resource struct {
	def     wire.Resource         // a plain resource
	tmplDef wire.ResourceTemplate // a template
	tmpl    *uriTemplate          // nil for a plain resource
	read    resourceFunc
	// completions are the completion candidates of a template's
	// variables; nil offers none.
	completions []string
}

type resourceFunc func(x *exchange, uri string, vars map[string]string, in *inputs) (*wire.ReadResourceResult, *ask, *rpcError)

// registry is what the server offers.
type registry struct {
	tools         []*tool
	toolByName    map[string]*tool
	prompts       []*prompt
	promptByName  map[string]*prompt
	resources     []*resource
	resourceByURI map[string]*resource
	templates     []*resource
	// owned are the resources of one principal each, by URI,
	// ownedTemplates its templates, by URI template, and ownedPages the
	// resources/list and resources/templates/list each owner sees, by
	// list and owner (owned.go).
	owned          map[string]ownedResource
	ownedTemplates map[string]ownedResource
	ownedPages     map[byte]map[string]*pagedList
	// files serves every file: URI when Config.AllowedDirs is set
	// (files.go); nil otherwise.
	files *resource

	pages    map[byte]*pagedList
	discover []byte
}

// pagedList is a list and its pages, precomputed.
type pagedList struct {
	digest [sha256.Size]byte // of the list's contents: binds cursors to this version
	n      int
	pages  map[uint32][]byte // offset -> encoded complete result
	// result builds the result of items [off, end) with the next cursor.
	result func(off, end int, next *string) any
}

func newRegistry(s *Server) (*registry, error) {
	r := &registry{
		toolByName:    map[string]*tool{},
		promptByName:  map[string]*prompt{},
		resourceByURI: map[string]*resource{},
		pages:         map[byte]*pagedList{},
	}
	if err := r.addFixtures(s); err != nil {
		return nil, err
	}
	if err := r.addTaskFixtures(s); err != nil {
		return nil, err
	}
	if err := r.addStateFixtures(s); err != nil {
		return nil, err
	}
	if err := r.addApps(); err != nil {
		return nil, err
	}
	if err := r.addFiles(s); err != nil {
		return nil, err
	}
	if err := r.addOwned(s); err != nil {
		return nil, err
	}
	ttl := int64(listTTLMs)
	var tools []wire.Tool
	for _, t := range r.tools {
		tools = append(tools, t.def)
	}
	var prompts []wire.Prompt
	for _, p := range r.prompts {
		prompts = append(prompts, p.def)
	}
	resources := []wire.Resource{}
	for _, res := range r.resources {
		resources = append(resources, res.def)
	}
	templates := []wire.ResourceTemplate{}
	for _, t := range r.templates {
		templates = append(templates, t.tmplDef)
	}
	// Every page of a list carries the same cacheScope (caching.mdx).
	listResult := func(resources []wire.Resource, scope string) func(off, end int, next *string) any {
		return func(off, end int, next *string) any {
			return &wire.ListResourcesResult{Meta: s.meta, ResultType: wire.ResultComplete, Resources: resources[off:end], NextCursor: next, TTLMs: &ttl, CacheScope: scope}
		}
	}
	templatesResult := func(templates []wire.ResourceTemplate, scope string) func(off, end int, next *string) any {
		return func(off, end int, next *string) any {
			return &wire.ListResourceTemplatesResult{Meta: s.meta, ResultType: wire.ResultComplete, ResourceTemplates: templates[off:end], NextCursor: next, TTLMs: &ttl, CacheScope: scope}
		}
	}
	lists := []struct {
		id     byte
		items  any
		n      int
		result func(off, end int, next *string) any
	}{
		{listTools, tools, len(tools), func(off, end int, next *string) any {
			return &wire.ListToolsResult{Meta: s.meta, ResultType: wire.ResultComplete, Tools: tools[off:end], NextCursor: next, TTLMs: &ttl, CacheScope: wire.CacheScopePublic}
		}},
		{listPrompts, prompts, len(prompts), func(off, end int, next *string) any {
			return &wire.ListPromptsResult{Meta: s.meta, ResultType: wire.ResultComplete, Prompts: prompts[off:end], NextCursor: next, TTLMs: &ttl, CacheScope: wire.CacheScopePublic}
		}},
		{listResources, resources, len(resources), listResult(resources, r.ownedScope())},
		{listTemplates, templates, len(templates), templatesResult(templates, r.ownedScope())},
	}
	for _, l := range lists {
		pl, err := s.pagedList(l.id, l.items, l.n, l.result)
		if err != nil {
			return nil, err
		}
		r.pages[l.id] = pl
	}
	// Each owner's resources/list and resources/templates/list: the
	// shared items, then its own.
	r.ownedPages = map[byte]map[string]*pagedList{listResources: {}, listTemplates: {}}
	for _, name := range principalNames(s.cfg.Tokens) {
		own := append(slices.Clip(resources), r.ownedBy(name)...)
		pl, err := s.pagedList(listResources, own, len(own), listResult(own, wire.CacheScopePrivate))
		if err != nil {
			return nil, err
		}
		r.ownedPages[listResources][name] = pl
		ownT := append(slices.Clip(templates), r.templatesOwnedBy(name)...)
		if pl, err = s.pagedList(listTemplates, ownT, len(ownT), templatesResult(ownT, wire.CacheScopePrivate)); err != nil {
			return nil, err
		}
		r.ownedPages[listTemplates][name] = pl
	}
	var err error
	if r.discover, err = s.discoverResult(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *registry) addTool(t *tool) error {
	if r.toolByName[t.def.Name] != nil {
		return fmt.Errorf("impl: duplicate tool %s", t.def.Name)
	}
	r.tools = append(r.tools, t)
	r.toolByName[t.def.Name] = t
	return nil
}

func (r *registry) addPrompt(p *prompt) {
	r.prompts = append(r.prompts, p)
	r.promptByName[p.def.Name] = p
}

func (r *registry) addResource(res *resource) {
	if res.tmpl != nil {
		r.templates = append(r.templates, res)
		return
	}
	r.resources = append(r.resources, res)
	r.resourceByURI[res.def.URI] = res
}

// findResource finds the resource of a URI: a plain resource first, then
// the file reader for a file: URI when the server has allowed directories
// (it decides by the URI's decoded path, not by its spelling), then the
// first template that matches.
func (r *registry) findResource(uri string) (*resource, map[string]string) {
	if res := r.resourceByURI[uri]; res != nil {
		return res, nil
	}
	if r.files != nil && isFileURI(uri) {
		return r.files, nil
	}
	for _, t := range r.templates {
		if vars, ok := t.tmpl.match(uri); ok {
			return t, vars
		}
	}
	return nil, nil
}

// pagedList encodes the pages of a list of n items.
func (s *Server) pagedList(id byte, items any, n int, result func(off, end int, next *string) any) (*pagedList, error) {
	all, err := wire.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("impl: encode list: %w", err)
	}
	pl := &pagedList{digest: sha256.Sum256(all), n: n, pages: map[uint32][]byte{}, result: result}
	for off := 0; off == 0 || off < n; off += s.cfg.PageSize {
		page, err := s.page(id, pl, off, s.cfg.PageSize)
		if err != nil {
			return nil, err
		}
		pl.pages[uint32(off)] = page
	}
	return pl, nil
}

// page encodes the page of size items at off.
func (s *Server) page(list byte, pl *pagedList, off, size int) ([]byte, error) {
	end := min(off+size, pl.n)
	var next *string
	if end < pl.n {
		c := s.keys.makeCursor(list, uint32(end), pl.digest[:])
		next = &c
	}
	b, err := wire.Marshal(pl.result(off, end, next))
	if err != nil {
		return nil, fmt.Errorf("impl: encode page: %w", err)
	}
	return b, nil
}

// listPage answers a list request.
func (x *exchange) listPage(list byte) ([]byte, *rpcError) {
	pl := x.s.reg.pagesFor(list, x.principal)
	p := x.params.(*listParams)
	if p.Cursor == nil {
		return pl.pages[0], nil
	}
	off, ok := x.s.keys.readCursor(*p.Cursor, list, pl.digest[:])
	if !ok || int(off) >= pl.n {
		return nil, errInvalid(map[string]any{"cursor": *p.Cursor}, "Invalid params: invalid cursor; list again from the start without a cursor")
	}
	if page, ok := pl.pages[off]; ok {
		return page, nil
	}
	// A cursor of an instance with another page size: still a valid
	// position in this list.
	page, err := x.s.page(list, pl, int(off), x.s.cfg.PageSize)
	if err != nil {
		return nil, errInternal("%v", err)
	}
	return page, nil
}

// discoverResult encodes the DiscoverResult.
func (s *Server) discoverResult() ([]byte, error) {
	t := true
	ttl := int64(discoverTTLMs)
	b, rerr := encode(&wire.DiscoverResult{
		Meta:              s.meta,
		ResultType:        wire.ResultComplete,
		SupportedVersions: supportedVersions,
		Capabilities: wire.ServerCapabilities{
			Tools:       &wire.ToolsCapability{ListChanged: &t},
			Prompts:     &wire.PromptsCapability{ListChanged: &t},
			Resources:   &wire.ResourcesCapability{ListChanged: &t, Subscribe: &t},
			Completions: wire.Object{},
			Logging:     wire.Object{},
			Extensions:  map[string]wire.Object{appsExtension: {}, wire.ExtensionTasks: {}},
		},
		Instructions: s.cfg.Instructions,
		TTLMs:        &ttl,
		CacheScope:   wire.CacheScopePublic,
	})
	if rerr != nil {
		return nil, rerr
	}
	return b, nil
}

// uriTemplate is an RFC 6570 template of literals, {var} expressions
// (level 1: a variable matches one non-empty path segment) and {+var}
// expressions (level 2, reserved expansion: a variable may span segments).
type uriTemplate struct {
	parts    []string        // literal, var, literal, var, ..., literal
	reserved map[string]bool // the {+var} variables
}

func parseTemplate(t string) (*uriTemplate, error) {
	u := &uriTemplate{}
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			u.parts = append(u.parts, t)
			return u, nil
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("impl: unterminated expression in URI template")
		}
		name := t[i+1 : i+j]
		if v, ok := strings.CutPrefix(name, "+"); ok {
			name = v
			if u.reserved == nil {
				u.reserved = map[string]bool{}
			}
			u.reserved[name] = true
		}
		u.parts = append(u.parts, t[:i], name)
		t = t[i+j+1:]
	}
}

// match matches a URI against the template and returns the variables.
func (u *uriTemplate) match(uri string) (map[string]string, bool) {
	if !strings.HasPrefix(uri, u.parts[0]) {
		return nil, false
	}
	rest := uri[len(u.parts[0]):]
	vars := map[string]string{}
	for i := 1; i+1 < len(u.parts); i += 2 {
		name, lit := u.parts[i], u.parts[i+1]
		var val string
		if lit == "" {
			if i+2 < len(u.parts) {
				return nil, false
			}
			val, rest = rest, ""
		} else {
			k := strings.Index(rest, lit)
			if k < 0 {
				return nil, false
			}
			val, rest = rest[:k], rest[k:]
		}
		stop := "/?#"
		if u.reserved[name] {
			stop = "?#"
		}
		if val == "" || strings.ContainsAny(val, stop) {
			return nil, false
		}
		vars[name] = val
		rest = rest[len(lit):]
	}
	return vars, rest == ""
}
