package impl

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/mcpverify/mcpverify/wire"
)

// This file holds what the server knows about each tool beyond its
// definition: the compiled input and output schemas and the parameters
// mirrored into Mcp-Param-* headers.

// tool is one tool the server offers.
type tool struct {
	def wire.Tool

	in, out *jsonschema.Schema
	// headers are the x-mcp-header parameters of the input schema.
	headers []headerParam
	// acceptsEmpty: the input schema accepts {} (a call without arguments
	// needs no validation).
	acceptsEmpty bool
	// static is the encoded complete result of a tool whose answer never
	// changes; nil for tools with a handler.
	static []byte
	run    toolFunc
	// task makes the tool task-supporting (tasks.go); nil: never a task.
	task *taskSupport
}

// toolFunc runs a tool. It returns a complete result (Meta and ResultType
// are filled in by the caller), or an ask for input (MRTR), or a protocol
// error. Tool failures are complete results with isError set.
type toolFunc func(x *exchange, args map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError)

// headerParam is one parameter annotated with x-mcp-header.
type headerParam struct {
	path []string // chain of properties keys from the schema root
	name string   // the x-mcp-header value
	key  string   // canonical header key, "Mcp-Param-" + name
	typ  string   // "string", "integer" or "boolean"
}

// compileSchema compiles a schema: JSON Schema 2020-12 by default
// (basic/index.mdx), other dialects by $schema, and no $ref is ever loaded
// from outside the schema itself (no network, no files).
func compileSchema(url string, raw wire.Value) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// refuseLoader is the URLLoader of every compiler: external references are
// never dereferenced (basic/index.mdx, "$ref Resolution").
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external $ref %q is not loaded", url)
}

// newTool compiles a tool's schemas and reads its header annotations.
func newTool(def wire.Tool, run toolFunc) (*tool, error) {
	t := &tool{def: def, run: run}
	var err error
	if t.in, err = compileSchema("mem:///tools/"+def.Name+"/inputSchema", def.InputSchema); err != nil {
		return nil, fmt.Errorf("tool %s: inputSchema: %w", def.Name, err)
	}
	if len(def.OutputSchema) > 0 {
		if t.out, err = compileSchema("mem:///tools/"+def.Name+"/outputSchema", def.OutputSchema); err != nil {
			return nil, fmt.Errorf("tool %s: outputSchema: %w", def.Name, err)
		}
	}
	if t.headers, err = headerParams(def.InputSchema); err != nil {
		return nil, fmt.Errorf("tool %s: %w", def.Name, err)
	}
	t.acceptsEmpty = t.in.Validate(map[string]any{}) == nil
	return t, nil
}

// headerParams reads the x-mcp-header annotations of an input schema and
// checks the constraints of tools.mdx: a non-empty token, unique
// case-insensitively, on a string, integer or boolean property reachable
// from the root through properties keys only. A server that publishes an
// invalid annotation would have its tool dropped by conforming clients, so
// New refuses one.
func headerParams(raw wire.Value) ([]headerParam, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	var out []headerParam
	seen := map[string]bool{}
	var walk func(node any, path []string, isProperty, reachable bool) error
	walk = func(node any, path []string, isProperty, reachable bool) error {
		switch n := node.(type) {
		case []any:
			for _, v := range n {
				if err := walk(v, path, false, false); err != nil {
					return err
				}
			}
		case map[string]any:
			if h, ok := n["x-mcp-header"]; ok {
				if !isProperty || !reachable {
					return fmt.Errorf("x-mcp-header at %s is not on a property reachable through properties keys", wire.Path(path))
				}
				name, ok := h.(string)
				if !ok || !wire.IsToken(name) {
					return fmt.Errorf("x-mcp-header %v at %s is not an HTTP token", h, wire.Path(path))
				}
				if seen[strings.ToLower(name)] {
					return fmt.Errorf("x-mcp-header %q is not unique", name)
				}
				seen[strings.ToLower(name)] = true
				typ, _ := n["type"].(string)
				if typ != "string" && typ != "integer" && typ != "boolean" {
					return fmt.Errorf("x-mcp-header %q is on a property of type %v; want string, integer or boolean", name, n["type"])
				}
				out = append(out, headerParam{
					path: append([]string(nil), path...),
					name: name,
					key:  textproto.CanonicalMIMEHeaderKey(wire.HeaderParamPrefix + name),
					typ:  typ,
				})
			}
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v := n[k]
				if k == "properties" {
					props, ok := v.(map[string]any)
					if !ok {
						continue
					}
					names := make([]string, 0, len(props))
					for p := range props {
						names = append(names, p)
					}
					sort.Strings(names)
					for _, p := range names {
						if err := walk(props[p], append(path, p), true, reachable); err != nil {
							return err
						}
					}
					continue
				}
				if err := walk(v, append(path, k), false, false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(doc, nil, false, true); err != nil {
		return nil, err
	}
	return out, nil
}

// validateArgs validates a call's arguments against the input schema. The
// result is the message of a tool execution error (tools.mdx: input
// validation errors are reported in the result with isError, so the model
// can correct itself), or "" when they are valid.
func (t *tool) validateArgs(args map[string]any) string {
	if len(args) == 0 {
		if t.acceptsEmpty {
			return ""
		}
		args = map[string]any{}
	}
	err := t.in.Validate(args)
	if err == nil {
		return ""
	}
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		if n, first := countViolations(verr); n > maxListedViolations {
			// A message that listed them all would cost what the
			// arguments did, and be as long.
			return fmt.Sprintf("Invalid arguments for tool %s: %d violations of its input schema; the first: %s", t.def.Name, n, first)
		}
		return fmt.Sprintf("Invalid arguments for tool %s: %v", t.def.Name, verr)
	}
	return fmt.Sprintf("Invalid arguments for tool %s: %v", t.def.Name, err)
}

// maxListedViolations is the most schema violations a message lists one by
// one.
const maxListedViolations = 16

// countViolations counts the violations under a validation error (each
// property an additionalProperties refuses counts as one) and describes
// the first, without formatting the others.
func countViolations(e *jsonschema.ValidationError) (int, string) {
	if len(e.Causes) == 0 {
		at := "/" + strings.Join(e.InstanceLocation, "/")
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			return len(ap.Properties), fmt.Sprintf("at %q: additional property %.64q not allowed", at, ap.Properties[0])
		}
		return 1, fmt.Sprintf("at %q: %.200s", at, e.Error())
	}
	n, first := 0, ""
	for i, c := range e.Causes {
		k, f := countViolations(c)
		if i == 0 {
			first = f
		}
		n += k
	}
	return n, first
}

// checkOutput checks structuredContent against the output schema: a
// server that declares an outputSchema MUST return conforming structured
// results (tools.mdx), so a non-conforming one is an internal error, never
// sent.
func (t *tool) checkOutput(r *wire.CallToolResult) *rpcError {
	if t.out == nil || (r.IsError != nil && *r.IsError) {
		return nil
	}
	if len(r.StructuredContent) == 0 {
		return errInternal("tool %s declares an outputSchema but produced no structuredContent", t.def.Name)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.StructuredContent))
	if err != nil {
		return errInternal("decode structuredContent: %v", err)
	}
	if err := t.out.Validate(v); err != nil {
		return errInternal("tool %s produced structuredContent that does not conform to its outputSchema", t.def.Name)
	}
	return nil
}
