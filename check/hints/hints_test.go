package hints

import (
	"testing"
	"time"
)

// TestParseHints: the documented example parses; typos, handle kinds
// without a minter or a user, and bad names and durations are errors.
func TestParseHints(t *testing.T) {
	ok := `{
	  "handles": [{"kind": "cart", "mint": {"cart_create": "structuredContent.cart_id"},
	               "use": {"cart_add": "cart_id", "cart_view": "cart_id"}, "delete": {"cart_delete": "cart_id"}}],
	  "singleUse": ["transfer", "prompts/get approve"],
	  "stateMatters": ["transfer"],
	  "stateTTLMax": "10m",
	  "handleTTLMax": "30m",
	  "scopes": {"transfer": ["mcp:tools", "mcp:transfer"]},
	  "upstream": {"fetch": "url"},
	  "principals": {"alternate": "bob"},
	  "forbidden": {"bob": ["tools/call reset", "resources/read notes://alice"], "primary": ["prompts/get admin"]}
	}`
	h, err := Parse([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(h.StateTTLMax) != 10*time.Minute || !Names(h.SingleUse, "prompts/get", "approve") || Names(h.SingleUse, "tools/call", "approve") {
		t.Errorf("parsed: %+v", h)
	}
	if len(h.Scopes["transfer"]) != 2 || h.Upstream["fetch"] != "url" {
		t.Errorf("scopes %v, upstream %v", h.Scopes, h.Upstream)
	}
	if !h.ForbiddenTo(Alternate, "tools/call", "reset") || !h.ForbiddenTo(Alternate, "resources/read", "notes://alice") ||
		h.ForbiddenTo(Primary, "tools/call", "reset") || !h.ForbiddenTo(Primary, "prompts/get", "admin") || h.ForbiddenTo(Alternate, "prompts/get", "admin") {
		t.Errorf("forbidden: %v (principals %v)", h.Forbidden, h.Principals)
	}
	if fl := h.ForbiddenList(); len(fl) != 3 || fl[0] != (Forbid{Alternate, "resources/read", "notes://alice"}) || fl[2] != (Forbid{Primary, "prompts/get", "admin"}) {
		t.Errorf("forbidden list: %+v", fl)
	}
	if h.Name(Alternate) != "bob" || h.Name(Primary) != Primary {
		t.Errorf("names: %q %q", h.Name(Alternate), h.Name(Primary))
	}
	if mh := h.ModelHandles(); len(mh) != 4 || mh[0].Tool != "cart_create" || len(mh[0].Path) != 2 {
		t.Errorf("model handles: %+v", mh)
	}
	for _, bad := range []string{
		`{"singleuse": ["transfer"]}`,
		`{"handles": [{"use": {"a": "id"}}]}`,
		`{"handles": [{"mint": {"a": "id"}}]}`,
		`{"handles": [{"mint": {"a": ""}, "use": {"b": "id"}}]}`,
		`{"singleUse": ["tasks/get x"]}`,
		`{"stateTTLMax": "soon"}`,
		`{"stateTTLMax": "-1s"}`,
		`{} {}`,
		`{"scopes": {"transfer": []}}`,
		`{"scopes": {"transfer": [""]}}`,
		`{"upstream": {"fetch": ""}}`,
		`{"forbidden": {"bob": ["reset"]}}`,
		`{"principals": {"alternate": "bob"}, "forbidden": {"carol": ["reset"]}}`,
		`{"principals": {"third": "carol"}}`,
		`{"principals": {"primary": "x", "alternate": "x"}}`,
		`{"principals": {"primary": "alternate"}}`,
		`{"forbidden": {"primary": []}}`,
		`{"forbidden": {"primary": ["tasks/get x"]}}`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
