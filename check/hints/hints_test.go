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
	  "upstream": {"fetch": "url"}
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
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
