package files

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/wire"
)

func tool(t *testing.T, name string, readOnly bool, schema string) *check.ToolDecl {
	td := &check.ToolDecl{Tool: wire.Tool{Name: name, Annotations: &wire.ToolAnnotations{ReadOnlyHint: &readOnly}}}
	if err := json.Unmarshal([]byte(schema), &td.Schema); err != nil {
		t.Fatal(err)
	}
	return td
}

// TestPathParams: a path argument is found by its name, its description
// or its format, or named by --hints; tools that may write only with
// writes; enums and non-strings never.
func TestPathParams(t *testing.T) {
	e := check.NewEnv(context.Background(), check.Options{Seed: 1, Hints: &hints.Hints{Paths: map[string]string{"fetch": "where", "wipe": "target"}}})
	e.Decl = check.NewDeclarations()
	e.Decl.Tools["read"] = tool(t, "read", true, `{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"integer"},"mode":{"type":"string","enum":["a"]}}}`)
	e.Decl.Tools["show"] = tool(t, "show", true, `{"type":"object","properties":{"x":{"type":"string","description":"The file's path"},"y":{"type":"string","format":"uri-reference"},"z":{"type":"string"}}}`)
	e.Decl.Tools["fetch"] = tool(t, "fetch", true, `{"type":"object","properties":{"where":{"type":"string"}}}`)
	e.Decl.Tools["wipe"] = tool(t, "wipe", false, `{"type":"object","properties":{"target":{"type":"string"}}}`)
	e.Decl.Tools["write"] = tool(t, "write", false, `{"type":"object","properties":{"file":{"type":"string"}}}`)
	name := func(ps []param) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.tool+"."+p.arg)
		}
		slices.Sort(out)
		return out
	}
	if got, want := name(pathParams(e, false)), []string{"fetch.where", "read.path", "show.x", "show.y"}; !slices.Equal(got, want) {
		t.Errorf("read-only: %v, want %v", got, want)
	}
	if got, want := name(pathParams(e, true)), []string{"fetch.where", "read.path", "show.x", "show.y", "wipe.target", "write.file"}; !slices.Equal(got, want) {
		t.Errorf("with writes: %v, want %v", got, want)
	}
}
