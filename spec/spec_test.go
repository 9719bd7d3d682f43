package spec

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestIDsUpToDate fails when ids.go does not match catalog.json; run
// `go generate ./spec` after editing the catalog.
func TestIDsUpToDate(t *testing.T) {
	want, err := GenerateIDs(All())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("ids.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("ids.go is stale: run `go generate ./spec`")
	}
}

func TestParseCatalogRejects(t *testing.T) {
	base := `{"id":"CORE-X","level":"MUST","role":"server","source":"a.mdx","section":"s","text":"t","testable":"yes"}`
	for name, in := range map[string]string{
		"duplicate":   "[" + base + "," + base + "]",
		"bad area":    `[{"id":"FOO-X","level":"MUST","role":"server","source":"a","section":"s","text":"t","testable":"yes"}]`,
		"lower id":    `[{"id":"CORE-x","level":"MUST","role":"server","source":"a","section":"s","text":"t","testable":"yes"}]`,
		"bad level":   `[{"id":"CORE-X","level":"MUSTN'T","role":"server","source":"a","section":"s","text":"t","testable":"yes"}]`,
		"client role": `[{"id":"CORE-X","level":"MUST","role":"client","source":"a","section":"s","text":"t","testable":"yes"}]`,
		"no why":      `[{"id":"CORE-X","level":"MUST","role":"server","source":"a","section":"s","text":"t","testable":"partly"}]`,
		"unknown key": `[{"id":"CORE-X","level":"MUST","role":"server","source":"a","section":"s","text":"t","testable":"yes","extra":1}]`,
		"no text":     `[{"id":"CORE-X","level":"MUST","role":"server","source":"a","section":"s","testable":"yes"}]`,
	} {
		if _, err := parseCatalog([]byte(in)); err == nil {
			t.Errorf("%s: parseCatalog accepted %s", name, in)
		}
	}
	if _, err := parseCatalog([]byte("[" + base + "]")); err != nil {
		t.Errorf("parseCatalog rejected a valid entry: %v", err)
	}
}

func TestCatalogSourcesExist(t *testing.T) {
	for _, r := range All() {
		page, _, _ := strings.Cut(r.Source, "#")
		if !strings.HasSuffix(page, ".mdx") && !strings.HasSuffix(page, ".md") {
			t.Errorf("%s: source %q is not a spec page", r.ID, r.Source)
		}
	}
}

func TestSchemaDefinitionsCompile(t *testing.T) {
	for _, def := range []string{"CallToolResultResponse", "ListToolsResultResponse", "JSONRPCMessage", "InputRequiredResult"} {
		if _, err := Definition(def); err != nil {
			t.Errorf("Definition(%s): %v", def, err)
		}
	}
	if _, err := Definition("NoSuchThing"); err == nil {
		t.Error("Definition(NoSuchThing) succeeded")
	}
	ok := `{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[],"ttlMs":0,"cacheScope":"public"}}`
	if err := Validate("ListToolsResultResponse", []byte(ok)); err != nil {
		t.Errorf("valid tools/list response rejected: %v", err)
	}
	bad := `{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[]}}`
	if err := Validate("ListToolsResultResponse", []byte(bad)); err == nil {
		t.Error("tools/list response without ttlMs and cacheScope validated")
	}
}

func TestCompileSchemaRefusesNetworkRef(t *testing.T) {
	_, err := CompileSchema([]byte(`{"$ref":"https://example.com/s.json"}`))
	if err == nil {
		t.Fatal("schema with a network $ref compiled")
	}
	if _, err := CompileSchema([]byte(`{"type":"object","$defs":{"a":{"type":"string"}},"properties":{"x":{"$ref":"#/$defs/a"}}}`)); err != nil {
		t.Errorf("local $ref refused: %v", err)
	}
}

// TestRequirementURL: the addresses are those the spec's own pages link
// to (index pages by their directory, anchors as the site makes them).
func TestRequirementURL(t *testing.T) {
	const base = "https://modelcontextprotocol.io/specification/2026-07-28/"
	for _, c := range []struct {
		source, section, want string
	}{
		{"basic/index.mdx", "JSON Schema Usage / $ref Resolution", base + "basic#ref-resolution"},
		{"basic/index.mdx", "General fields / _meta", base + "basic#meta"},
		{"basic/transports/streamable-http.mdx", "Protocol Version Header", base + "basic/transports/streamable-http#protocol-version-header"},
		{"basic/versioning.mdx", "Backward Compatibility with Initialization-Based Versions / Compatibility Matrix", base + "basic/versioning#compatibility-matrix"},
		{"basic/authorization/index.mdx", "Scope Selection Strategy", base + "basic/authorization#scope-selection-strategy"},
		{"security_best_practices.mdx", "Token Passthrough", base + "security_best_practices#token-passthrough"},
		{"server/tools.mdx", "", base + "server/tools"},
		{"", "Overview", ""},
		{"ext-apps/specification/2026-01-26/apps.mdx", "UI Resource Format / Content Requirements", "https://github.com/modelcontextprotocol/ext-apps/blob/main/specification/2026-01-26/apps.mdx#content-requirements"},
		{"ext-apps/specification/2026-01-26/apps.mdx", "Client<>Server Capability Negotiation / Server Behavior", "https://github.com/modelcontextprotocol/ext-apps/blob/main/specification/2026-01-26/apps.mdx#server-behavior"},
		{"seps/2663-tasks-extension.md", "Error Handling / Protocol Errors", "https://modelcontextprotocol.io/seps/2663-tasks-extension#protocol-errors"},
		{"extensions/tasks-overview.mdx", "Task lifecycle", "https://modelcontextprotocol.io/extensions/tasks/overview#task-lifecycle"},
	} {
		if got := (Requirement{Source: c.source, Section: c.section}).URL(); got != c.want {
			t.Errorf("URL of %s %q = %q, want %q", c.source, c.section, got, c.want)
		}
	}
	for _, r := range All() {
		// A core page is addressed without ".mdx"; an extension's page in
		// its own repository is that repository's file; SEPs and the
		// extension pages of the site are at the site's root.
		u, b, file := r.URL(), base, false
		if eb, _, ok := ExtensionBase(r.Source); ok {
			b, file = eb, true
		} else if strings.HasPrefix(r.Source, "seps/") || strings.HasPrefix(r.Source, "extensions/") {
			b = "https://modelcontextprotocol.io/"
		}
		page, frag, _ := strings.Cut(strings.TrimPrefix(u, b), "#")
		if !strings.HasPrefix(u, b) || strings.ContainsAny(u, " \t") || strings.HasSuffix(page, ".mdx") != file || frag == "" {
			t.Errorf("%s (%s, %q): URL %q", r.ID, r.Source, r.Section, u)
		}
	}
}
