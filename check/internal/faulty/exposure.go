package faulty

import (
	"net/http"
	"net/url"
	"regexp"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of what the server shows to whom, for the checks exposure/*.
// They run with the two principals of the state variants (StateConfig),
// each of whom owns notes that the reference lists and serves to its
// owner only (impl's per-principal resources):
//
//   - exposure-public-private-list: resources/list, which differs per
//     principal, is marked "public";
//   - exposure-unlisted-served: a principal's notes are listed for their
//     owner only, but read for any authenticated caller: the list stands
//     in for access control;
//   - exposure-anonymous-lists: server/discover and the lists are served
//     to a caller without credentials (as one of the principals), though
//     an invalid token is refused;
//   - exposure-completion-leak: a principal's notes template is listed,
//     and its pages read, for their owner only, but the completion of its
//     {topic} suggests the owner's topics to any authenticated caller.

func exposureVariants(cfg func(func(*impl.Config)) *impl.Config) []*StateVariant {
	return []*StateVariant{
		{Variant: Variant{
			Name:   "exposure-public-private-list",
			Defect: "resources/list, which lists each principal's own notes, is marked cacheScope \"public\"",
			Breaks: []spec.ID{spec.CoreCachePublicAware},
			Only:   []string{"exposure/"},
			Config: cfg(nil),
			Wrap:   wrapPublicResourcesList,
		}},
		{Variant: Variant{
			Name:   "exposure-unlisted-served",
			Defect: "a principal's notes are left out of the other principals' resources/list, but resources/read serves them to any authenticated caller",
			Breaks: []spec.ID{spec.CoreUnlistedServed},
			Only:   []string{"exposure/"},
			Config: cfg(nil),
			Wrap:   wrapNotesForAll,
		}},
		{Variant: Variant{
			Name:   "exposure-anonymous-lists",
			Defect: "server/discover and the lists are served to a caller without credentials (as alice); an invalid token is refused",
			Breaks: []spec.ID{spec.AuthExposure},
			Only:   []string{"exposure/"},
			Config: cfg(nil),
			Wrap:   wrapAnonymousLists,
		}},
		{Variant: Variant{
			Name:   "exposure-completion-leak",
			Defect: "completion/complete of a principal's notes template, listed and read for its owner only, suggests the owner's topics to any authenticated caller",
			Breaks: []spec.ID{spec.CoreCompletionDisclosure},
			Only:   []string{"exposure/"},
			Config: cfg(nil),
			Wrap:   wrapCompletionForAll,
		}},
	}
}

// wrapPublicResourcesList marks every page of resources/list "public".
func wrapPublicResourcesList(next http.Handler, _ *impl.Server) http.Handler {
	return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
		if r := resultOf(m); r != nil && q.Method == "resources/list" {
			r["cacheScope"] = wire.CacheScopePublic
		}
		return []map[string]any{m}
	})
}

// notesURI matches the URI of a principal's notes, and notesTemplate
// the URI template of its notes pages.
var (
	notesURI      = regexp.MustCompile(`^test://principal/([^/]+)/notes$`)
	notesTemplate = regexp.MustCompile(`^test://principal/([^/]+)/notes/\{topic\}$`)
)

// tokenOf is the bearer token of a principal of StateConfig.
func tokenOf(principal string) string {
	for tok, name := range stateTokens {
		if name == principal {
			return tok
		}
	}
	return ""
}

// wrapNotesForAll serves a read of a principal's notes by any other
// authenticated caller as their owner.
func wrapNotesForAll(next http.Handler, _ *impl.Server) http.Handler {
	return asOwner(next, "resources/read", notesURI, func(p map[string]any) string {
		u, _ := p["uri"].(string)
		return u
	})
}

// wrapCompletionForAll serves a completion of a principal's notes
// template by any other authenticated caller as their owner.
func wrapCompletionForAll(next http.Handler, _ *impl.Server) http.Handler {
	return asOwner(next, "completion/complete", notesTemplate, func(p map[string]any) string {
		ref, _ := p["ref"].(map[string]any)
		u, _ := ref["uri"].(string)
		return u
	})
}

// asOwner serves a request of method by an authenticated caller as the
// principal that re's first group names in what of its params.
func asOwner(next http.Handler, method string, re *regexp.Regexp, what func(map[string]any) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg, ok := message(r); ok && msg["method"] == method && principalOf(r) != "" {
			p, _ := msg["params"].(map[string]any)
			if m := re.FindStringSubmatch(what(p)); m != nil {
				if owner, err := url.PathUnescape(m[1]); err == nil && tokenOf(owner) != "" {
					r.Header.Set("Authorization", "Bearer "+tokenOf(owner))
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// wrapAnonymousLists serves server/discover and the lists without
// credentials, as alice.
func wrapAnonymousLists(next http.Handler, _ *impl.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, _, _, ok := peekRPC(r); ok && r.Header.Get("Authorization") == "" {
			if info, known := wire.LookupMethod(m); known && (info.Paginated || m == "server/discover") {
				r.Header.Set("Authorization", "Bearer "+StateAliceToken)
			}
		}
		next.ServeHTTP(w, r)
	})
}
