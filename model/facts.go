package model

import (
	"maps"
	"slices"

	"github.com/mcpverify/mcpverify/wire"
)

// facts are what the server has declared so far. They are shared between
// States and copied before a change (clone).
type facts struct {
	// From server/discover.
	discovered bool
	versions   []string
	caps       serverCaps

	// From tools/list (every page seen): tool name → facts.
	tools map[string]*toolFacts
	// From prompts/list, resources/list and resources/templates/list:
	// names, URIs and URI templates seen.
	prompts, resources, templates map[string]bool
	// lists keeps, per list request (method, cursor, credentials, instance),
	// the last observations of the listed set, for list stability.
	lists map[listKey][]listObs
	// listScope maps a list request (method and cursor) to the cacheScope
	// of the page that handed out that cursor: every page of one list must
	// carry the same scope.
	listScope map[pageKey]string

	// The requestStates and state handles the server minted (state.go).
	st stateFacts
	// What the exchanges with minted credentials showed (auth.go).
	auth authFacts
	// The tasks seen, by task ID (tasks.go).
	tasks map[string]taskFact
}

type pageKey struct{ method, cursor string }

type listKey struct {
	method, cursor, auth string
	instance             int
}

type listObs struct {
	conn int
	hash uint64
}

type serverCaps struct {
	tools, resources, prompts, completions, logging bool
	toolsListChanged, promptsListChanged            bool
	resourcesListChanged, resourcesSubscribe        bool
	extensions                                      []string
}

// clone copies the facts shallowly: the maps stay shared with f until a
// writer takes its own copy of the one it changes (own). Slices are only
// ever replaced, never written in place.
func (f *facts) clone() *facts {
	n := *f
	return &n
}

// Bits of ctx.owned: the maps of the learnt facts this Step has copied.
const (
	ownTools uint16 = 1 << iota
	ownListScope
	ownLists
	ownPrompts
	ownResources
	ownTemplates
	ownStateMints   // st.mints
	ownStateIssuers // st.issuers
	ownHandles      // st.handles
	ownAuthConns    // auth.servedConns
	ownTasks        // tasks
)

// own returns a map of the learnt facts that this Step may write: the
// first call per map and Step copies it (copy on write).
func own[K comparable, V any](c *ctx, bit uint16, m *map[K]V) map[K]V {
	if c.owned&bit == 0 {
		*m = maps.Clone(*m)
		if *m == nil {
			*m = map[K]V{}
		}
		c.owned |= bit
	}
	return *m
}

// supports says whether the server supports version v: yes, no, or
// unknown (before discover, for anything but this revision and unknown
// strings).
func (f *facts) supports(v string) tri {
	if f.discovered {
		return triOf(slices.Contains(f.versions, v))
	}
	switch {
	case v == wire.Version:
		return yes
	case wire.IsLegacyVersion(v):
		return unknown
	}
	return no
}

// modernOnly says whether the server serves only modern (per-request
// metadata) versions: known after discover.
func (f *facts) modernOnly() tri {
	if !f.discovered {
		return unknown
	}
	for _, v := range f.versions {
		if wire.IsLegacyVersion(v) {
			return no
		}
	}
	return yes
}

// acceptsMissingVersionHeader: a server that supports pre-2025-06-18
// clients may read a request without MCP-Protocol-Version as 2025-03-26.
func (f *facts) acceptsMissingVersionHeader() tri {
	if !f.discovered {
		return unknown
	}
	return triOf(slices.Contains(f.versions, wire.VersionNoHeader) || slices.Contains(f.versions, "2024-11-05"))
}

// tri is a three-valued truth: the model judges only on yes and no.
type tri uint8

const (
	unknown tri = iota
	yes
	no
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}
