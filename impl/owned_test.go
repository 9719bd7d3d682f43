package impl

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/wire"
)

// listURIs reads every page of resources/list with the given token and
// returns the URIs and the cacheScope of each page.
func listURIs(t *testing.T, h *harness, token string) (uris, scopes []string) {
	return listKeys(t, h, token, "resources/list", "resources", "uri")
}

// listKeys reads every page of list with the given token and returns the
// key of each item (at its member key of the result's member items) and
// the cacheScope of each page.
func listKeys(t *testing.T, h *harness, token, list, items, key string) (keys, scopes []string) {
	t.Helper()
	params := map[string]any{}
	for page := 0; page < 20; page++ {
		r := h.do(rpc{Method: list, Params: params, Headers: map[string]string{"Authorization": "Bearer " + token}})
		res := r.result()
		if res == nil {
			t.Fatalf("%s: HTTP %d %s", list, r.status, r.body)
		}
		scope, _ := res["cacheScope"].(string)
		scopes = append(scopes, scope)
		rs, _ := res[items].([]any)
		for _, x := range rs {
			m, _ := x.(map[string]any)
			k, _ := m[key].(string)
			keys = append(keys, k)
		}
		next, ok := res["nextCursor"].(string)
		if !ok {
			return keys, scopes
		}
		params = map[string]any{"cursor": next}
	}
	t.Fatalf("%s: more than 20 pages", list)
	return nil, nil
}

// TestOwnedResources: with tokens, each principal's notes are listed for
// it alone, under a private resources/list (every page); the other lists
// but resources/templates/list stay public; another principal's read is refused exactly as an unknown
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
	for _, m := range []string{"tools/list", "prompts/list", "server/discover"} {
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

// TestOwnedCompletion: each principal's notes template is listed for it
// alone, under a private resources/templates/list; the completion of its
// {topic} suggests the owner's topics to the owner, whose pages it lists
// and reads, and another principal's completion of it gets exactly the
// -32602 of a template that does not exist, as does its read of a page.
func TestOwnedCompletion(t *testing.T) {
	h := newHarness(t, Config{Tokens: testTokens})
	tA, tB := ownedTemplate("alice"), ownedTemplate("bob")
	alice, scopeA := listKeys(t, h, tokAlice, "resources/templates/list", "resourceTemplates", "uriTemplate")
	bob, scopeB := listKeys(t, h, tokBob, "resources/templates/list", "resourceTemplates", "uriTemplate")
	if !slices.Contains(alice, tA) || slices.Contains(alice, tB) || !slices.Contains(bob, tB) || slices.Contains(bob, tA) {
		t.Errorf("alice lists templates %v, bob %v", alice, bob)
	}
	for _, s := range append(scopeA, scopeB...) {
		if s != wire.CacheScopePrivate {
			t.Errorf("resources/templates/list: cacheScope %v and %v, want all private", scopeA, scopeB)
			break
		}
	}
	complete := func(token, uri string) *resp {
		arg := "topic"
		if !strings.HasPrefix(uri, "test://principal/") {
			arg = "id"
		}
		return h.do(rpc{Method: "completion/complete", Params: map[string]any{
			"ref": map[string]any{"type": "ref/resource", "uri": uri}, "argument": map[string]any{"name": arg, "value": ""}},
			Headers: map[string]string{"Authorization": "Bearer " + token}})
	}
	own := complete(tokAlice, tA)
	c, _ := own.result()["completion"].(map[string]any)
	if vs, _ := c["values"].([]any); len(vs) != 2 || vs[0] != "alice-todo" || vs[1] != "alice-journal" {
		t.Errorf("alice completes her template: %s", own.body)
	}
	uris, _ := listURIs(t, h, tokAlice)
	for _, topic := range ownedTopics("alice") {
		page := ownedURI("alice") + "/" + topic
		if !slices.Contains(uris, page) {
			t.Errorf("alice's resources/list %v has no page %s", uris, page)
		}
		r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": page}, Headers: map[string]string{"Authorization": "Bearer " + tokAlice}})
		if r.result() == nil {
			t.Errorf("alice reads %s: %s", page, r.body)
		}
		if r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": page}, Headers: map[string]string{"Authorization": "Bearer " + tokBob}}); r.errCode() == 0 {
			t.Errorf("bob reads %s: %s", page, r.body)
		}
	}
	foreign, missing := complete(tokBob, tA), complete(tokBob, ownedTemplate("carol"))
	msg := func(r *resp) any { e, _ := r.msg["error"].(map[string]any); return e["message"] }
	if foreign.errCode() != wire.CodeInvalidParams || foreign.status != missing.status || foreign.errCode() != missing.errCode() {
		t.Errorf("bob completes alice's template: HTTP %d %s; an unknown template: HTTP %d %s", foreign.status, foreign.body, missing.status, missing.body)
	}
	if a, b := msg(foreign), msg(missing); a == nil || a != fmt.Sprintf("Invalid params: unknown resource or template %q", tA) || b != fmt.Sprintf("Invalid params: unknown resource or template %q", ownedTemplate("carol")) {
		t.Errorf("messages %v and %v: want the same, naming only the template asked for", a, b)
	}
	// A shared template is completed for everyone.
	if r := complete(tokBob, "test://template/{id}/data"); r.result() == nil {
		t.Errorf("bob completes the shared template: %s", r.body)
	}
}
