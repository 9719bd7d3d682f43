package model

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Rules of server/discover.mdx, tools.mdx, resources.mdx, prompts.mdx:
// what the server declares, and results that must agree with it.

func methodIs(m string) func(*ctx) bool {
	return func(c *ctx) bool { return c.req != nil && c.method == m }
}

// learnDiscover records the versions and capabilities the server declares.
func learnDiscover(c *ctx) {
	if c.result == nil {
		return
	}
	d, ok := c.ex.Replies[c.final].Result.(*wire.DiscoverResult)
	if !ok {
		return
	}
	caps := capsOf(&d.Capabilities)
	f := c.facts()
	if f.discovered && equalStrings(f.versions, d.SupportedVersions) && f.caps.equal(caps) {
		return
	}
	l := c.learn()
	l.discovered = true
	l.versions = append([]string(nil), d.SupportedVersions...)
	l.caps = caps
}

func (a serverCaps) equal(b serverCaps) bool {
	return a.tools == b.tools && a.resources == b.resources && a.prompts == b.prompts && a.completions == b.completions &&
		a.logging == b.logging && a.toolsListChanged == b.toolsListChanged && a.promptsListChanged == b.promptsListChanged &&
		a.resourcesListChanged == b.resourcesListChanged && a.resourcesSubscribe == b.resourcesSubscribe && equalStrings(a.extensions, b.extensions)
}

func (a serverCaps) has(name string) bool {
	switch name {
	case "tools":
		return a.tools
	case "resources":
		return a.resources
	case "prompts":
		return a.prompts
	case "completions":
		return a.completions
	case "logging":
		return a.logging
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkCapabilityDeclared: a server that serves a capability's methods
// declares it.
func checkCapabilityDeclared(c *ctx) {
	f := c.facts()
	if c.info == nil || c.info.Capability == "" || !f.discovered {
		return
	}
	c.judge(capabilityRule[c.info.Capability])
	if f.caps.has(c.info.Capability) {
		return
	}
	c.reportf(capabilityRule[c.info.Capability], "the "+c.info.Capability+" capability declared in server/discover", "a result for %s from a server that does not declare %s", c.method, c.info.Capability)
}

// capabilityRule names, per server capability, the requirement that a
// server supporting it declares it.
var capabilityRule = map[string]spec.ID{
	"tools":       spec.CoreCapabilityDeclared,
	"resources":   spec.CoreResourcesCapability,
	"prompts":     spec.CorePromptsCapability,
	"completions": spec.CoreCompletionCapability,
}

// toolFacts is what a tools/list page declared about one tool.
type toolFacts struct {
	input        wire.Value
	outputSchema wire.Value
	headers      []paramHeader

	once     sync.Once
	compiled *jsonschema.Schema
	err      error
}

func (t *toolFacts) inputSchemaSame(v wire.Value) bool { return bytes.Equal(t.input, v) }

// paramHeader is one x-mcp-header annotation: the header name part and the
// path of properties keys to the annotated argument.
type paramHeader struct {
	name string
	key  string // the header name, lower case
	path []string
}

// schema compiles the output schema once.
func (t *toolFacts) schema() (*jsonschema.Schema, error) {
	t.once.Do(func() { t.compiled, t.err = spec.CompileSchema(t.outputSchema) })
	return t.compiled, t.err
}

// learnTools records each listed tool and checks its x-mcp-header
// annotations.
func learnTools(c *ctx) {
	if c.result == nil {
		return
	}
	lt, ok := c.ex.Replies[c.final].Result.(*wire.ListToolsResult)
	if !ok {
		return
	}
	f := c.facts()
	for i := range lt.Tools {
		t := &lt.Tools[i]
		old := f.tools[t.Name]
		if old != nil && bytes.Equal(old.outputSchema, t.OutputSchema) && old.inputSchemaSame(t.InputSchema) {
			continue
		}
		headers, problems := paramHeaders(t.InputSchema)
		if len(headers) > 0 || len(problems) > 0 {
			c.judge(spec.HttpXMcpHeader, spec.HttpXMcpHeaderUnique, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderReachable)
		}
		for _, p := range problems {
			c.reportf(p.id, p.want, "tool %q: %s", t.Name, p.got)
		}
		l := c.learn()
		own(c, ownTools, &l.tools)[t.Name] = &toolFacts{outputSchema: t.OutputSchema, headers: headers, input: t.InputSchema}
		f = l
	}
}

// stableRule names, per list method, the rule that its set does not vary
// per connection.
var stableRule = map[string]spec.ID{
	"tools/list":     spec.CoreListStable,
	"prompts/list":   spec.CorePromptsListStable,
	"resources/list": spec.CoreResourcesListStable,
}

// maxListObs bounds the observations kept per list request.
const maxListObs = 8

// checkListStable: a list may change over time and by credentials, but not
// per connection. The evidence the model accepts is two connections that
// each keep seeing their own set, interleaved: c sees A, d sees B, c sees A
// again, d sees B again. A list that changes over time does not look like
// that.
func checkListStable(c *ctx) {
	id, ok := stableRule[c.method]
	if !ok || c.ex.Conn == 0 {
		return
	}
	h, ok := listHash(c.ex.Replies[c.final].Result)
	if !ok {
		return
	}
	cursor, _ := cursorOf(c.params)
	auth, _ := c.ex.RequestHeader("authorization")
	k := listKey{method: c.method, cursor: cursor, auth: auth, instance: c.ex.Instance}
	obs := c.facts().lists[k]
	me := listObs{conn: c.ex.Conn, hash: h}
	// prev: my connection's last observation; between it and now, another
	// connection's observation of another set that it had seen before too.
	prev := -1
	for i := len(obs) - 1; i >= 0; i-- {
		if obs[i].conn == me.conn {
			prev = i
			break
		}
	}
	if prev >= 0 {
		c.judge(id)
	}
	if prev >= 0 && obs[prev].hash == h {
		for i := prev + 1; i < len(obs); i++ {
			o := obs[i]
			if o.conn == me.conn || o.hash == h {
				continue
			}
			for j := 0; j < i; j++ {
				if obs[j].conn == o.conn && obs[j].hash == o.hash && j != i {
					c.reportf(id, "the same "+c.method+" set on every connection (it may change over time or by credentials)",
						"connection %d keeps seeing one set and connection %d another, interleaved", me.conn, o.conn)
					goto record
				}
			}
		}
	}
record:
	if len(obs) > 0 && obs[len(obs)-1] == me {
		return
	}
	next := append(append(make([]listObs, 0, len(obs)+1), obs...), me)
	if len(next) > maxListObs {
		next = next[len(next)-maxListObs:]
	}
	own(c, ownLists, &c.learn().lists)[k] = next
}

// ListedNames returns what a tools/list, prompts/list or resources/list
// result declares (tool and prompt names, resource URIs), in order; false
// for any other result.
func ListedNames(r any) ([]string, bool) {
	var names []string
	switch r := r.(type) {
	case *wire.ListToolsResult:
		for i := range r.Tools {
			names = append(names, r.Tools[i].Name)
		}
	case *wire.ListPromptsResult:
		for i := range r.Prompts {
			names = append(names, r.Prompts[i].Name)
		}
	case *wire.ListResourcesResult:
		for i := range r.Resources {
			names = append(names, r.Resources[i].URI)
		}
	default:
		return nil, false
	}
	return names, true
}

// listHash hashes the set a list result declares (names or URIs, sorted).
func listHash(r any) (uint64, bool) {
	names, ok := ListedNames(r)
	if !ok {
		return 0, false
	}
	sort.Strings(names)
	h := fnv.New64a()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
	}
	return h.Sum64(), true
}

// learnNames records the prompts, resources and templates listed.
func learnNames(c *ctx) {
	switch r := c.ex.Replies[c.final].Result.(type) {
	case *wire.ListPromptsResult:
		for i := range r.Prompts {
			learnName(c, ownPrompts, func(f *facts) *map[string]bool { return &f.prompts }, r.Prompts[i].Name)
		}
	case *wire.ListResourcesResult:
		for i := range r.Resources {
			learnName(c, ownResources, func(f *facts) *map[string]bool { return &f.resources }, r.Resources[i].URI)
		}
	case *wire.ListResourceTemplatesResult:
		for i := range r.ResourceTemplates {
			learnName(c, ownTemplates, func(f *facts) *map[string]bool { return &f.templates }, r.ResourceTemplates[i].URITemplate)
		}
	}
}

// learnName adds name to the set pick selects, copying the facts only when
// the name is new.
func learnName(c *ctx, bit uint16, pick func(*facts) *map[string]bool, name string) {
	if (*pick(c.facts()))[name] {
		return
	}
	own(c, bit, pick(c.learn()))[name] = true
}

// paramHeaders finds the x-mcp-header annotations of an input schema and
// every way they break the constraints of tools.mdx.
func paramHeaders(inputSchema wire.Value) (hs []paramHeader, problems []headerProblem) {
	var root any
	if len(inputSchema) == 0 || wire.Unmarshal(inputSchema, &root) != nil {
		return nil, nil
	}
	seen := map[string]string{}
	var walk func(v any, path []string, reachable bool, where string)
	walk = func(v any, path []string, reachable bool, where string) {
		switch v := v.(type) {
		case map[string]any:
			if h, ok := v["x-mcp-header"]; ok {
				name, isStr := h.(string)
				bad := func(id spec.ID, want, format string, args ...any) {
					problems = append(problems, headerProblem{id, want, fmt.Sprintf(format, args...)})
				}
				switch {
				case !reachable:
					bad(spec.HttpXMcpHeaderReachable, "x-mcp-header only on properties reachable through properties keys alone", "x-mcp-header at %s is not reachable through properties alone", where)
				case !isStr || name == "":
					bad(spec.HttpXMcpHeader, "a non-empty x-mcp-header token", "x-mcp-header at %s is empty or not a string", where)
				case !wire.IsToken(name):
					bad(spec.HttpXMcpHeader, "x-mcp-header values that are RFC 9110 tokens", "x-mcp-header %q at %s is not an HTTP token", name, where)
				case seen[strings.ToLower(name)] != "":
					bad(spec.HttpXMcpHeaderUnique, "x-mcp-header values unique case-insensitively", "x-mcp-header %q at %s repeats %s", name, where, seen[strings.ToLower(name)])
				case !primitiveType(v["type"]):
					bad(spec.HttpXMcpHeaderType, "x-mcp-header only on integer, string or boolean properties", "x-mcp-header %q at %s is on a property of type %v", name, where, v["type"])
				default:
					seen[strings.ToLower(name)] = where
					hs = append(hs, paramHeader{name: name, key: strings.ToLower(wire.HeaderParamPrefix + name), path: append([]string(nil), path...)})
				}
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if k == "properties" {
					if props, ok := v[k].(map[string]any); ok {
						pk := make([]string, 0, len(props))
						for p := range props {
							pk = append(pk, p)
						}
						sort.Strings(pk)
						for _, p := range pk {
							walk(props[p], append(path, p), reachable, where+"/properties/"+p)
						}
						continue
					}
				}
				walk(v[k], path, false, where+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, path, false, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(root, nil, true, "#")
	return hs, problems
}

// headerProblem is one broken x-mcp-header constraint.
type headerProblem struct {
	id        spec.ID
	want, got string
}

// primitiveType: the property's type is integer, string or boolean — or a
// list of one of those with "null" (arguments may be null, and then no
// header is sent).
func primitiveType(t any) bool {
	switch t := t.(type) {
	case string:
		return t == "integer" || t == "string" || t == "boolean"
	case []any:
		prim := 0
		for _, x := range t {
			switch x {
			case "integer", "string", "boolean":
				prim++
			case "null":
			default:
				return false
			}
		}
		return prim == 1
	}
	return false
}

// checkOutputSchema: a tool with an outputSchema returns structuredContent
// that conforms to it (unless the call failed with isError).
func checkOutputSchema(c *ctx) {
	if c.result == nil {
		return
	}
	r, ok := c.ex.Replies[c.final].Result.(*wire.CallToolResult)
	if !ok {
		return
	}
	name, _ := nameParam(c.params)
	tf := c.facts().tools[name]
	if tf == nil || len(tf.outputSchema) == 0 || (r.IsError != nil && *r.IsError) {
		return
	}
	c.judge(spec.CoreOutputSchema)
	if len(r.StructuredContent) == 0 {
		c.reportf(spec.CoreOutputSchema, "structuredContent conforming to the tool's outputSchema", "tool %q has an outputSchema but the result has no structuredContent", name)
		return
	}
	sch, err := tf.schema()
	if err != nil {
		return // an invalid schema is a tools/list problem, reported there
	}
	var inst any
	if wire.Unmarshal(r.StructuredContent, &inst) != nil {
		return
	}
	if err := sch.Validate(inst); err != nil {
		c.reportf(spec.CoreOutputSchema, "structuredContent conforming to the tool's outputSchema", "tool %q: %v", name, err)
	}
}

// checkResourceNotFound: a read of a resource known not to exist gets
// -32602, never an empty contents array.
func checkResourceNotFound(c *ctx) {
	uri, ok := nameParam(c.params)
	if !ok || !c.s.cfg.Nonexistent(uri) || !c.complete() {
		return
	}
	if rv := c.view(); rv.skip || len(rv.defects) > 0 {
		return // refused for what else is wrong with the request, or unread
	}
	c.judge(spec.CoreResourceNotFound, spec.CoreResourceNotEmpty)
	if code, ok := c.errCode(); ok {
		if code != wire.CodeInvalidParams {
			c.reportf(spec.CoreResourceNotFound, "-32602 for a resource that does not exist", "error %d for %q", code, uri)
		}
		return
	}
	if c.result == nil {
		return
	}
	if r, ok := c.ex.Replies[c.final].Result.(*wire.ReadResourceResult); ok && len(r.Contents) == 0 {
		c.reportf(spec.CoreResourceNotEmpty, "a -32602 error for a resource that does not exist", "an empty contents array for %q", uri)
	}
}

// ParamHeader is one x-mcp-header annotation of a tool's inputSchema: the
// header is "Mcp-Param-" + Name, mirroring the argument at Path (a chain of
// properties keys).
type ParamHeader struct {
	Name string
	Path []string
}

// ParamHeaders returns the valid x-mcp-header annotations of an
// inputSchema, in a stable order (annotations that break a constraint are
// left out, as a client must leave out such a tool).
func ParamHeaders(inputSchema wire.Value) []ParamHeader {
	hs, _ := paramHeaders(inputSchema)
	out := make([]ParamHeader, len(hs))
	for i, h := range hs {
		out[i] = ParamHeader{Name: h.name, Path: h.path}
	}
	return out
}
