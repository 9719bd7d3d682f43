package impl

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/wire"
)

// Per-principal resources, and what they do to caching hints
// (server/utilities/caching.mdx, "Cache Scope Field" and "Security
// Considerations"; server/resources.mdx).
//
// With Config.Tokens, each principal named there owns one resource, its
// notes, at test://principal/NAME/notes (NAME path-escaped). It is listed
// in resources/list for its owner only, and read by its owner only:
//
//   - resources/list then varies per caller, so every page of it is
//     "private" for every caller (a "public" list may be served from a
//     shared cache to anyone, and would show one caller's resource to
//     another); the other lists and server/discover hold nothing
//     per-user and stay "public";
//   - a read of the notes is "private" and immediately stale;
//   - access is checked on every read, never left to the list or to the
//     cache scope: a read of another principal's notes gets exactly the
//     "Resource not found" of a URI that names nothing, so a caller
//     cannot tell which principals exist; a subscription names it only
//     for its owner.
//
// Each principal also owns pages of its notes, one per topic, and a
// resource template that names them, test://principal/NAME/notes/{topic}
// (server/utilities/completion.mdx, "Security"): the pages are listed in
// its resources/list, the template in its resources/templates/list, both
// for the owner only, and the completion of {topic} suggests the owner's
// topics to the owner only. The topics are the principal's own (they
// carry its name), so a suggestion shown to another principal would tell
// it something it could not otherwise obtain. resources/templates/list
// then varies per caller too, and is "private" like resources/list;
// another principal's completion of the template gets exactly the
// -32602 of a template that does not exist.
//
// Principals of Config.Issuer's tokens (iss + " " + sub) are not known in
// advance and own nothing: they see the shared resources, still under the
// "private" resources/list.

// ownedResource is a resource of one principal.
type ownedResource struct {
	owner string
	res   *resource
}

// ownedURI is the URI of principal's notes.
func ownedURI(principal string) string {
	return "test://principal/" + url.PathEscape(principal) + "/notes"
}

// principalNames are the principal names of tokens, sorted, each once.
func principalNames(tokens map[string]string) []string {
	var out []string
	for _, name := range tokens {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// ownedTemplate is the URI template of principal's notes pages.
func ownedTemplate(principal string) string { return ownedURI(principal) + "/{topic}" }

// ownedTopics are the topics of principal's notes pages.
func ownedTopics(principal string) []string {
	return []string{principal + "-journal", principal + "-todo"}
}

// addOwned adds the notes, the notes pages and their template of each
// principal of Config.Tokens.
func (r *registry) addOwned(s *Server) error {
	r.owned, r.ownedTemplates = map[string]ownedResource{}, map[string]ownedResource{}
	note := func(name, uri, title, text string) {
		res := &resource{def: wire.Resource{URI: uri, Name: "notes", Title: title,
			Description: "The caller's own notes: listed and readable for its owner only", MimeType: "text/plain"},
			read: func(*exchange, string, map[string]string, *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
				return readResult(textResource(uri, "text/plain", text), 0, wire.CacheScopePrivate), nil, nil
			}}
		r.owned[uri] = ownedResource{owner: name, res: res}
	}
	for _, name := range principalNames(s.cfg.Tokens) {
		note(name, ownedURI(name), "Notes", fmt.Sprintf("Notes of %s: only %s can list or read this resource.", name, name))
		topics := ownedTopics(name)
		for _, topic := range topics {
			note(name, ownedURI(name)+"/"+url.PathEscape(topic), "Notes: "+topic, fmt.Sprintf("Notes of %s on %s.", name, topic))
		}
		ut := ownedTemplate(name)
		tmpl, err := parseTemplate(ut)
		if err != nil {
			return err
		}
		// The pages are the owner's resources above: a read of the
		// template's URIs finds them first, so the template reads nothing.
		r.ownedTemplates[ut] = ownedResource{owner: name, res: &resource{tmpl: tmpl, completions: topics,
			tmplDef: wire.ResourceTemplate{URITemplate: ut, Name: "notes-page", Title: "Notes page",
				Description: "A page of the caller's own notes, by topic: listed and completed for its owner only", MimeType: "text/plain"}}}
	}
	return nil
}

// ownedBy returns the resources principal owns, by URI.
func (r *registry) ownedBy(principal string) []wire.Resource {
	var out []wire.Resource
	for _, o := range r.owned {
		if o.owner == principal {
			out = append(out, o.res.def)
		}
	}
	slices.SortFunc(out, func(a, b wire.Resource) int { return strings.Compare(a.URI, b.URI) })
	return out
}

// templatesOwnedBy returns the resource templates principal owns, by URI
// template.
func (r *registry) templatesOwnedBy(principal string) []wire.ResourceTemplate {
	var out []wire.ResourceTemplate
	for _, ut := range slices.Sorted(maps.Keys(r.ownedTemplates)) {
		if o := r.ownedTemplates[ut]; o.owner == principal {
			out = append(out, o.res.tmplDef)
		}
	}
	return out
}

// ownedScope is the cacheScope of resources/list and
// resources/templates/list: private when they vary per caller.
func (r *registry) ownedScope() string {
	if len(r.owned) > 0 {
		return wire.CacheScopePrivate
	}
	return wire.CacheScopePublic
}

// templateFor finds the template of a completion reference for a caller:
// one the caller is offered, by its exact URI template; nil for one that
// another principal owns, exactly as for one that does not exist.
func (r *registry) templateFor(principal, uriTemplate string) *resource {
	if o, ok := r.ownedTemplates[uriTemplate]; ok {
		if o.owner != principal {
			return nil
		}
		return o.res
	}
	for _, t := range r.templates {
		if t.tmplDef.URITemplate == uriTemplate {
			return t
		}
	}
	return nil
}

// findResourceFor is findResource for a caller: a resource another
// principal owns is not found, exactly as a URI that names nothing.
func (r *registry) findResourceFor(principal, uri string) (*resource, map[string]string) {
	if o, ok := r.owned[uri]; ok {
		if o.owner != principal {
			return nil, nil
		}
		return o.res, nil
	}
	return r.findResource(uri)
}

// pagesFor returns the pages of list as principal sees them.
func (r *registry) pagesFor(list byte, principal string) *pagedList {
	if pl, ok := r.ownedPages[list][principal]; ok {
		return pl
	}
	return r.pages[list]
}
