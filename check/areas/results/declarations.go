package results

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// What a server declares about its primitives, read off every page of its
// lists: each list of a declared capability is served (server/tools.mdx,
// prompts.mdx, resources.mdx, "Capabilities": the list is answered with
// the set currently available); tool names (server/tools.mdx, "Tool
// Names": SHOULDs); tool schemas (server/tools.mdx, "Tool": inputSchema a
// JSON Schema object; basic/index.mdx, "JSON Schema Usage": valid under
// its dialect, 2020-12 recommended).

// listIDs are the requirements that a declared list is served.
var listIDs = map[string]spec.ID{"tools/list": spec.CoreToolsList, "prompts/list": spec.CorePromptsList, "resources/list": spec.CoreResourcesList}

// nameIDs are the tool name requirements.
var nameIDs = []spec.ID{spec.CoreToolNameLength, spec.CoreToolNameChars, spec.CoreToolNameSpecial, spec.CoreToolNameUnique}

// schemaIDs are the tool schema requirements.
var schemaIDs = []spec.ID{spec.CoreToolInputSchema, spec.CoreSchemaValid, spec.CoreSchemaUse202012}

// toolIDs are the requirements of the listed tools.
var toolIDs = slices.Concat(nameIDs, schemaIDs)

func init() {
	check.Register(&check.Check{
		Name: "results/declarations",
		IDs:  slices.Concat([]spec.ID{spec.CoreToolsList, spec.CorePromptsList, spec.CoreResourcesList}, toolIDs),
		Run:  checkDeclarations,
	})
}

// checkDeclarations reads every page of every list the server's
// capabilities declare and judges the lists, the tool names and the tool
// schemas.
func checkDeclarations(e *check.Env) {
	var tools []wire.Tool
	for _, m := range []string{"tools/list", "prompts/list", "resources/list"} {
		id := listIDs[m]
		if !slices.Contains(e.Server.Lists(), m) {
			e.Skip(id, "the server does not declare the %s capability", strings.TrimSuffix(m, "/list"))
			continue
		}
		pages := e.ListPages(m)
		if e.Ctx.Err() != nil {
			return
		}
		last := pages[len(pages)-1]
		switch {
		case !last.Answered():
			e.Inconclusive(id, "%s page %d: %s", m, len(pages), last.Describe())
		case !last.Accepted():
			e.Violation(id, "%s page %d was refused (%s), though the server declares the capability", m, len(pages), last.Describe())
		default:
			e.Pass(id, "%d page(s) of %s served", len(pages), m)
		}
		if m != "tools/list" {
			continue
		}
		for _, p := range pages {
			if r, ok := p.Result().(*wire.ListToolsResult); ok {
				tools = append(tools, r.Tools...)
			}
		}
	}
	switch {
	case !slices.Contains(e.Server.Lists(), "tools/list"):
		probe.SkipAll(e, toolIDs, "the server does not declare the tools capability")
	case len(tools) == 0:
		probe.SkipAll(e, toolIDs, "the server lists no tool")
	default:
		judgeToolNames(e, tools)
		judgeToolSchemas(e, tools)
	}
}

// allowedNameByte reports the characters tool names should be made of.
func allowedNameByte(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_' || b == '-' || b == '.'
}

// judgeToolNames: 1 to 128 characters; only ASCII letters, digits, _ - and
// .; no spaces, commas or other special characters; unique. A character
// outside the set is one finding: under NAME-SPECIAL when it is ASCII
// punctuation or space (what that rule names), under NAME-CHARS otherwise
// (a letter of another script, a control character).
func judgeToolNames(e *check.Env, tools []wire.Tool) {
	bad := map[spec.ID][]string{}
	seen := map[string]int{}
	for _, t := range tools {
		seen[t.Name]++
		if n := utf8.RuneCountInString(t.Name); n < 1 || n > 128 {
			bad[spec.CoreToolNameLength] = append(bad[spec.CoreToolNameLength], fmt.Sprintf("%.40q (%d characters)", t.Name, n))
		}
		special, other := false, false
		for i := 0; i < len(t.Name); i++ {
			b := t.Name[i]
			switch {
			case allowedNameByte(b):
			case b >= 0x20 && b < 0x7f:
				special = true
			default:
				other = true
			}
		}
		if special {
			bad[spec.CoreToolNameSpecial] = append(bad[spec.CoreToolNameSpecial], fmt.Sprintf("%.60q", t.Name))
		}
		if other {
			bad[spec.CoreToolNameChars] = append(bad[spec.CoreToolNameChars], fmt.Sprintf("%.60q", t.Name))
		}
	}
	for name, n := range seen {
		if n > 1 {
			bad[spec.CoreToolNameUnique] = append(bad[spec.CoreToolNameUnique], fmt.Sprintf("%.60q (%d times)", name, n))
		}
	}
	for _, id := range nameIDs {
		if len(bad[id]) == 0 {
			e.Pass(id, "the %d tool name(s) listed meet it", len(tools))
			continue
		}
		e.Violation(id, "%d of %d tool name(s): %s", len(bad[id]), len(tools), probe.ListSome(bad[id], 5, ", "))
	}
}

// judgeToolSchemas: every inputSchema is a JSON Schema object; every
// input and output schema is valid under its dialect; schemas name no
// dialect other than 2020-12 (RECOMMENDED).
func judgeToolSchemas(e *check.Env, tools []wire.Tool) {
	var notObject, invalid, otherDialect, undecided []string
	n := 0
	for _, t := range tools {
		if t.InputSchema.Kind() != '{' {
			notObject = append(notObject, fmt.Sprintf("%q: %.40s", t.Name, t.InputSchema))
		}
		for _, s := range []struct {
			kind string
			doc  wire.Value
		}{{"inputSchema", t.InputSchema}, {"outputSchema", t.OutputSchema}} {
			if s.doc.Kind() != '{' {
				continue
			}
			n++
			var d struct {
				Schema string `json:"$schema"`
			}
			_ = wire.Unmarshal(s.doc, &d)
			if d.Schema != "" && !strings.Contains(d.Schema, "2020-12") {
				otherDialect = append(otherDialect, fmt.Sprintf("%q %s: %s", t.Name, s.kind, d.Schema))
			}
			_, bad, err := probe.CompileSchema(s.doc)
			switch {
			case bad:
				invalid = append(invalid, fmt.Sprintf("%q %s: %v", t.Name, s.kind, err))
			case err != nil:
				undecided = append(undecided, fmt.Sprintf("%q %s: %v", t.Name, s.kind, err))
			}
		}
	}
	if len(notObject) > 0 {
		e.Violation(spec.CoreToolInputSchema, "%d tool(s) whose inputSchema is not a JSON object: %s", len(notObject), probe.ListSome(notObject, 5, "; "))
	} else {
		e.Pass(spec.CoreToolInputSchema, "the inputSchema of every one of %d tool(s) is a JSON object", len(tools))
	}
	switch {
	case len(invalid) > 0:
		e.Violation(spec.CoreSchemaValid, "%d of %d schema(s) are not valid JSON Schema under their dialect: %s", len(invalid), n, probe.ListSome(invalid, 3, "; "))
	case len(undecided) > 0:
		e.Inconclusive(spec.CoreSchemaValid, "could not decide %d schema(s): %s", len(undecided), probe.ListSome(undecided, 3, "; "))
	case n > 0:
		e.Pass(spec.CoreSchemaValid, "the %d input and output schema(s) of %d tool(s) are valid", n, len(tools))
	}
	if len(otherDialect) > 0 {
		e.Violation(spec.CoreSchemaUse202012, "%d schema(s) name another dialect than 2020-12: %s", len(otherDialect), probe.ListSome(otherDialect, 3, "; "))
	} else if n > 0 {
		e.Pass(spec.CoreSchemaUse202012, "none of %d schema(s) names a dialect other than 2020-12", n)
	}
}
