package impl

import (
	"reflect"
	"slices"
	"testing"

	"github.com/mcpverify/mcpverify/wire"
)

// listURIs reads every page of resources/list with the given token and
// returns the URIs and the cacheScope of each page.
func listURIs(t *testing.T, h *harness, token string) (uris, scopes []string) {
	t.Helper()
	params := map[string]any{}
	for page := 0; page < 20; page++ {
		r := h.do(rpc{Method: "resources/list", Params: params, Headers: map[string]string{"Authorization": "Bearer " + token}})
		res := r.result()
		if res == nil {
			t.Fatalf("resources/list: HTTP %d %s", r.status, r.body)
		}
		scope, _ := res["cacheScope"].(string)
		scopes = append(scopes, scope)
		rs, _ := res["resources"].([]any)
		for _, x := range rs {
			m, _ := x.(map[string]any)
			u, _ := m["uri"].(string)
			uris = append(uris, u)
		}
		next, ok := res["nextCursor"].(string)
		if !ok {
			return uris, scopes
		}
		params = map[string]any{"cursor": next}
	}
	t.Fatal("resources/list: more than 20 pages")
	return nil, nil
}

// TestOwnedResources: with tokens, each principal's notes are listed for
// it alone, under a private resources/list (every page); the other lists
// stay public; another principal's read is refused exactly as an unknown
// URI's, and the owner's read is private.
func TestOwnedResources(t *testing.T) {
	h := newHarness(t, Config{Tokens: testTokens, PageSize: 2})
	alice, aliceScopes := listURIs(t, h, tokAlice)
	bob, bobScopes := listURIs(t, h, tokBob)
	rotated, _ := listURIs(t, h, "tok-alice-rotated")
	notesA, notesB := ownedURI("alice"), ownedURI("bob")
	if !slices.Contains(alice, notesA) || slices.Contains(alice, notesB) || !slices.Contains(bob, notesB) || slices.Contains(bob, notesA) {
		t.Errorf("alice lists %v, bob lists %v", alice, bob)
	}
	if !reflect.DeepEqual(alice, rotated) {
		t.Errorf("two tokens of alice list %v and %v", alice, rotated)
	}
	for _, s := range append(aliceScopes, bobScopes...) {
		if s != wire.CacheScopePrivate {
			t.Errorf("resources/list pages: scopes %v and %v, want all private", aliceScopes, bobScopes)
			break
		}
	}
	for _, m := range []string{"tools/list", "prompts/list", "resources/templates/list", "server/discover"} {
		r := h.do(rpc{Method: m, Headers: map[string]string{"Authorization": "Bearer " + tokBob}})
		if s, _ := r.result()["cacheScope"].(string); s != wire.CacheScopePublic {
			t.Errorf("%s: cacheScope %q, want public", m, s)
		}
	}
	read := func(token, uri string) *resp {
		return h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}, Headers: map[string]string{"Authorization": "Bearer " + token}})
	}
	own := read(tokAlice, notesA)
	if s, _ := own.result()["cacheScope"].(string); s != wire.CacheScopePrivate {
		t.Errorf("alice reads her notes: %s", own.body)
	}
	foreign, missing := read(tokBob, notesA), read(tokBob, ownedURI("carol"))
	msg := func(r *resp) any { e, _ := r.msg["error"].(map[string]any); return e["message"] }
	if foreign.errCode() == 0 || foreign.status != missing.status || foreign.errCode() != missing.errCode() {
		t.Errorf("bob reads alice's notes: HTTP %d %s; an unknown URI: HTTP %d %s", foreign.status, foreign.body, missing.status, missing.body)
	}
	if a, b := msg(foreign), msg(missing); a == nil || a != "Resource not found: "+notesA || b != "Resource not found: "+ownedURI("carol") {
		t.Errorf("messages %v and %v: want the same, naming only the URI asked for", a, b)
	}
	// Without tokens, no one owns anything and resources/list is public.
	hn := newHarness(t, Config{})
	if r := hn.do(rpc{Method: "resources/list"}); r.result()["cacheScope"] != wire.CacheScopePublic {
		t.Errorf("no tokens: %s", r.body)
	}
}
