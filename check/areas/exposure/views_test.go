package exposure

import (
	"reflect"
	"strings"
	"testing"
)

func viewOf(items map[string]string) view {
	v := view{items: map[string]string{}, raw: map[string]map[string]any{}}
	for k, j := range items {
		v.items[k] = j
	}
	return v
}

// TestDiff: keys only in one view, only in the other, and in both with
// other contents; the same views differ in nothing.
func TestDiff(t *testing.T) {
	a := viewOf(map[string]string{"x": "1", "y": "2", "z": "3"})
	b := viewOf(map[string]string{"y": "2", "z": "4", "w": "5"})
	d := diff(a, b)
	if !reflect.DeepEqual(d, delta{onlyA: []string{"x"}, onlyB: []string{"w"}, changed: []string{"z"}}) {
		t.Errorf("diff: %+v", d)
	}
	if s := d.describe("p", "q"); !strings.Contains(s, `only for p: "x"`) || !strings.Contains(s, `only for q: "w"`) || !strings.Contains(s, `different for each: "z"`) {
		t.Errorf("describe: %s", s)
	}
	if !diff(a, a).empty() {
		t.Error("a view differs from itself")
	}
}

// TestOnlyFor: a key counts as shown to one principal only when it was
// shown to it both times and to the other neither time.
func TestOnlyFor(t *testing.T) {
	mine := [2]view{viewOf(map[string]string{"a": "", "b": "", "c": ""}), viewOf(map[string]string{"a": "", "b": "", "c": ""})}
	theirs := [2]view{viewOf(map[string]string{"b": ""}), viewOf(map[string]string{"c": ""})}
	if got := onlyFor(mine, theirs); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("onlyFor: %v, want [a]", got)
	}
	mine[1] = viewOf(map[string]string{"b": ""})
	if got := onlyFor(mine, theirs); len(got) != 0 {
		t.Errorf("a key shown once only: %v", got)
	}
}

// TestReveals: names, schemas, instructions and contents are counted; the
// versions and capabilities of server/discover alone are not.
func TestReveals(t *testing.T) {
	if got := reveals("server/discover", map[string]any{"supportedVersions": []any{"2026-07-28"}, "capabilities": map[string]any{"tools": map[string]any{}}}); len(got) != 0 {
		t.Errorf("versions and capabilities: %v", got)
	}
	got := strings.Join(reveals("tools/list", map[string]any{"tools": []any{map[string]any{"name": "reset", "inputSchema": map[string]any{}}}}), "; ")
	if !strings.Contains(got, `1 tools (1 with input schemas): "reset"`) {
		t.Errorf("tools: %s", got)
	}
	if got := reveals("server/discover", map[string]any{"instructions": "Use reset with care"}); len(got) != 1 || !strings.Contains(got[0], "Use reset") {
		t.Errorf("instructions: %v", got)
	}
	if got := reveals("resources/read", map[string]any{"contents": []any{map[string]any{"text": "x"}}}); len(got) != 1 {
		t.Errorf("contents: %v", got)
	}
	if s := implementation(map[string]any{"_meta": map[string]any{"io.modelcontextprotocol/serverInfo": map[string]any{"name": "s", "version": "1"}}}); s != "the implementation s 1" {
		t.Errorf("implementation: %q", s)
	}
}
