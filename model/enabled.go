package model

import (
	"maps"
	"slices"
	"sort"

	"github.com/mcpverify/mcpverify/wire"
)

// Action is a request a client may send next: its method and, where it
// needs one, the tool or prompt name, resource URI or URI template, or the
// cursor of a list page. Generators turn actions into concrete requests
// (arguments from the tool's inputSchema, URIs from templates, _meta).
type Action struct {
	Method string
	// Name is the tool or prompt name, or the resource URI (for
	// resources/read), or the URI template when Template is set.
	Name     string
	Template bool
	// Cursor continues a list; HasCursor tells an empty cursor from none.
	Cursor    string
	HasCursor bool
	// Probe marks requests the server is expected to refuse: an unknown
	// method, a method this revision removed, a resource that does not exist.
	Probe bool
}

// ProbeURI is a URI no server serves; the model expects -32602 for it.
const ProbeURI = "mcpverify-nonexistent://probe"

// Enabled returns what a client may send in state s, in a stable order:
// discovery, the lists of every declared capability (and their known next
// pages), a call of every known tool, a get of every known prompt, a read
// of every known resource and template, completion, a listen, and probes.
// Before discovery the capabilities are unknown and every list is enabled.
func Enabled(s State) []Action {
	f := s.facts
	if f == nil {
		f = &facts{}
	}
	acts := []Action{{Method: "server/discover"}}
	capable := func(c string) bool { return !f.discovered || f.caps.has(c) }
	for _, m := range wire.Methods {
		if !m.Paginated || !capable(m.Capability) {
			continue
		}
		acts = append(acts, Action{Method: m.Method})
	}
	var pages []pageKey
	for k := range f.listScope {
		pages = append(pages, k)
	}
	sort.Slice(pages, func(i, j int) bool {
		if pages[i].method != pages[j].method {
			return pages[i].method < pages[j].method
		}
		return pages[i].cursor < pages[j].cursor
	})
	for _, p := range pages {
		acts = append(acts, Action{Method: p.method, Cursor: p.cursor, HasCursor: true})
	}
	for _, n := range slices.Sorted(maps.Keys(f.tools)) {
		acts = append(acts, Action{Method: "tools/call", Name: n})
	}
	for _, n := range slices.Sorted(maps.Keys(f.prompts)) {
		acts = append(acts, Action{Method: "prompts/get", Name: n})
		if capable("completions") {
			acts = append(acts, Action{Method: "completion/complete", Name: n})
		}
	}
	for _, n := range slices.Sorted(maps.Keys(f.resources)) {
		acts = append(acts, Action{Method: "resources/read", Name: n})
	}
	for _, n := range slices.Sorted(maps.Keys(f.templates)) {
		acts = append(acts, Action{Method: "resources/read", Name: n, Template: true})
	}
	acts = append(acts,
		Action{Method: "subscriptions/listen"},
		Action{Method: "mcpverify/no-such-method", Probe: true},
		Action{Method: "ping", Probe: true},
	)
	if capable("resources") {
		acts = append(acts, Action{Method: "resources/read", Name: ProbeURI, Probe: true})
	}
	return acts
}
