package impl

import (
	"fmt"
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

// addOwned adds the notes of each principal of Config.Tokens.
func (r *registry) addOwned(s *Server) {
	for _, name := range principalNames(s.cfg.Tokens) {
		uri := ownedURI(name)
		text := fmt.Sprintf("Notes of %s: only %s can list or read this resource.", name, name)
		res := &resource{def: wire.Resource{URI: uri, Name: "notes", Title: "Notes",
			Description: "The caller's own notes: listed and readable for its owner only", MimeType: "text/plain"},
			read: func(*exchange, string, map[string]string, *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
				return readResult(textResource(uri, "text/plain", text), 0, wire.CacheScopePrivate), nil, nil
			}}
		if r.owned == nil {
			r.owned = map[string]ownedResource{}
		}
		r.owned[uri] = ownedResource{owner: name, res: res}
	}
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

// resourcesScope is the cacheScope of resources/list: private when the
// list varies per caller.
func (r *registry) resourcesScope() string {
	if len(r.owned) > 0 {
		return wire.CacheScopePrivate
	}
	return wire.CacheScopePublic
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
	if list == listResources {
		if pl, ok := r.ownedPages[principal]; ok {
			return pl
		}
	}
	return r.pages[list]
}
