package faulty

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"sync"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the Mcp-Param-* headers (basic/transports/streamable-http.mdx,
// "Custom Headers from Tool Parameters", "Server Behavior for Custom
// Headers", "Server Validation") and of the x-mcp-header annotations that
// declare them (server/tools.mdx, "x-mcp-header"). They are caught by the
// checks headers/mcp-param and headers/x-mcp-header.

// annotatedTool is the reference server's tool whose parameters carry
// x-mcp-header annotations: region (string), priority (integer), dryRun
// (boolean) and tenant.id (string, nested).
const annotatedTool = "route_query"

func init() {
	Register(&Variant{
		Name:   "mcp-param-mismatch-ignored",
		Defect: "does not validate Mcp-Param-* against the arguments: a present header of an annotated argument is rewritten to the body's value (missing ones are still refused)",
		Breaks: []spec.ID{spec.HttpParamMismatch, spec.HttpHeaderInvalid},
		Only:   []string{"headers/mcp-param"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return paramHeadersFromBody(next, func(a paramArg) bool { return len(a.sent) > 0 })
		},
	})
	Register(&Variant{
		Name:   "mcp-param-missing-filled",
		Defect: "does not require the Mcp-Param-* header of an annotated argument present in the body: a missing one is filled in from the body instead of the call being refused (present ones are still validated)",
		Breaks: []spec.ID{spec.HttpParamMissing},
		Only:   []string{"headers/mcp-param"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return paramHeadersFromBody(next, func(a paramArg) bool { return len(a.sent) == 0 })
		},
	})
	Register(&Variant{
		Name:   "mcp-param-integer-as-text",
		Defect: "compares the Mcp-Param-* header of an integer argument with the body as text, not numerically: another spelling of the same integer (42.0, 4.2e1) is refused with -32020",
		Breaks: []spec.ID{spec.HttpParamNumeric},
		Only:   []string{"headers/mcp-param"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return paramHeadersRefused(next, func(a paramArg) string {
				n, isNum := a.value.(json.Number)
				if !a.present || !isNum || len(a.sent) != 1 {
					return ""
				}
				if dec, err := wire.DecodeHeaderValue(a.sent[0]); err == nil && dec != n.String() {
					return fmt.Sprintf("the %s header value %q does not match the argument %s", a.key, dec, n)
				}
				return ""
			})
		},
	})
	Register(&Variant{
		Name:   "mcp-param-absent-required",
		Defect: "requires the Mcp-Param-* header of every annotated parameter on every call: a call that leaves an optional annotated argument out (and so sends no header for it) is refused with -32020",
		Breaks: []spec.ID{spec.HttpParamAbsent},
		Only:   []string{"headers/mcp-param"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return paramHeadersRefused(next, func(a paramArg) string {
				if a.present || len(a.sent) > 0 {
					return ""
				}
				return fmt.Sprintf("the %s header is required", a.key)
			})
		},
	})
	Register(&Variant{
		Name:   "x-mcp-header-not-token",
		Defect: "declares an x-mcp-header value that is not an HTTP token: dryRun is annotated \"Dry Run\", with a space",
		Breaks: []spec.ID{spec.HttpXMcpHeader},
		Only:   []string{"headers/x-mcp-header"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return toolSchemaEdited(next, func(props map[string]any) {
				schemaProp(props, "dryRun")["x-mcp-header"] = "Dry Run"
			})
		},
	})
	Register(&Variant{
		Name:   "x-mcp-header-repeated",
		Defect: "declares one header name twice in an inputSchema, compared case-insensitively: tenant.id is annotated \"region\" beside region's \"Region\"",
		Breaks: []spec.ID{spec.HttpXMcpHeaderUnique},
		Only:   []string{"headers/x-mcp-header"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return toolSchemaEdited(next, func(props map[string]any) {
				schemaProp(props, "tenant", "id")["x-mcp-header"] = "region"
			})
		},
	})
	Register(&Variant{
		Name:   "x-mcp-header-on-number",
		Defect: "annotates a parameter of type number with x-mcp-header: priority is declared a number, not an integer",
		Breaks: []spec.ID{spec.HttpXMcpHeaderType},
		Only:   []string{"headers/x-mcp-header"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return toolSchemaEdited(next, func(props map[string]any) {
				schemaProp(props, "priority")["type"] = "number"
			})
		},
	})
	Register(&Variant{
		Name:   "x-mcp-header-in-items",
		Defect: "annotates the items of an array parameter with x-mcp-header: a tags parameter (an array of strings) carries the annotation in its items schema, which no properties chain reaches",
		Breaks: []spec.ID{spec.HttpXMcpHeaderReachable},
		Only:   []string{"headers/x-mcp-header"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return toolSchemaEdited(next, func(props map[string]any) {
				props["tags"] = map[string]any{"type": "array", "items": map[string]any{"type": "string", "x-mcp-header": "Tag"}}
			})
		},
	})
	Register(&Variant{
		Name:   "x-mcp-header-sensitive",
		Defect: "mirrors a credential into a header: route_query declares an accessToken parameter annotated x-mcp-header \"Access-Token\"",
		Breaks: []spec.ID{spec.HttpXMcpHeaderSensitive},
		Only:   []string{"headers/x-mcp-header"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return toolSchemaEdited(next, func(props map[string]any) {
				props["accessToken"] = map[string]any{"type": "string", "description": "Credential for the query backend", "x-mcp-header": "Access-Token"}
			})
		},
	})
	Register(&Variant{
		Name:   "x-mcp-header-integer-unbounded",
		Defect: "declares its annotated integer priority without the bounds that keep it within ±(2^53-1), and serves a value outside that range (clamped into it) instead of refusing it",
		Breaks: []spec.ID{spec.HttpXMcpHeaderIntRange},
		Only:   []string{"headers/x-mcp-header"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			clamp := bodyEdited(next, func(r *http.Request, msg map[string]any) bool {
				params, _ := msg["params"].(map[string]any)
				args, _ := params["arguments"].(map[string]any)
				n, isNum := args["priority"].(json.Number)
				if msg["method"] != "tools/call" || params["name"] != annotatedTool || !isNum {
					return false
				}
				v, err := strconv.ParseInt(n.String(), 10, 64)
				if err != nil || (v >= -wire.MaxSafeInteger && v <= wire.MaxSafeInteger) {
					return false
				}
				v = min(max(v, -wire.MaxSafeInteger), wire.MaxSafeInteger)
				args["priority"] = v
				r.Header.Set(wire.HeaderParamPrefix+"Priority", strconv.FormatInt(v, 10))
				return true
			})
			return toolSchemaEdited(clamp, func(props map[string]any) {
				delete(schemaProp(props, "priority"), "minimum")
				delete(schemaProp(props, "priority"), "maximum")
			})
		},
	})
}

// toolSchemaEdited returns a handler around next whose tools/list results
// carry annotatedTool's inputSchema with its properties changed by edit.
func toolSchemaEdited(next http.Handler, edit func(props map[string]any)) http.Handler {
	return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
		res, _ := m["result"].(map[string]any)
		tools, _ := res["tools"].([]any)
		for _, t := range tools {
			t, _ := t.(map[string]any)
			schema, _ := t["inputSchema"].(map[string]any)
			if props, ok := schema["properties"].(map[string]any); ok && q.Method == "tools/list" && t["name"] == annotatedTool {
				edit(props)
			}
		}
		return []map[string]any{m}
	})
}

// schemaProp returns the schema of the property at path, through the
// properties of each object on the way (fresh ones, added, where there are
// none).
func schemaProp(props map[string]any, path ...string) map[string]any {
	var s map[string]any
	for i, key := range path {
		if i > 0 {
			props = schemaProp(s, "properties")
		}
		var ok bool
		if s, ok = props[key].(map[string]any); !ok {
			s = map[string]any{}
			props[key] = s
		}
	}
	return s
}

// paramArg is one x-mcp-header parameter of a tools/call: its header's
// name, the argument (present when in the body and not null), and the
// header's values as sent.
type paramArg struct {
	key     string
	value   any
	present bool
	sent    []string
}

// args returns the request's JSON body and, when it is a tools/call, the
// x-mcp-header parameters of the tool it calls.
func (p *paramAnnotations) args(r *http.Request) (map[string]any, []paramArg) {
	msg, ok := message(r)
	if !ok || msg["method"] != "tools/call" {
		return msg, nil
	}
	params, _ := msg["params"].(map[string]any)
	name, _ := params["name"].(string)
	args, _ := params["arguments"].(map[string]any)
	var out []paramArg
	for _, a := range p.of(r, name) {
		key := textproto.CanonicalMIMEHeaderKey(wire.HeaderParamPrefix + a.name)
		v, present := wire.Path(a.path).Lookup(args)
		out = append(out, paramArg{key: key, value: v, present: present && v != nil, sent: r.Header[key]})
	}
	return msg, out
}

// paramHeadersFromBody returns a handler around next that, for each
// argument of a tools/call present in the body whose header rewrite
// picks, sets the header to the body's value before next reads it.
func paramHeadersFromBody(next http.Handler, rewrite func(a paramArg) bool) http.Handler {
	pa := &paramAnnotations{next: next}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, args := pa.args(r)
		for _, a := range args {
			if !a.present || !rewrite(a) {
				continue
			}
			if s, ok := hdrParamValue(a.value); ok {
				r.Header[a.key] = []string{s}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// paramHeadersRefused returns a handler around next that refuses a
// tools/call with 400 and HeaderMismatch (-32020) when refuse gives a
// reason for one of its x-mcp-header parameters.
func paramHeadersRefused(next http.Handler, refuse func(a paramArg) string) http.Handler {
	pa := &paramAnnotations{next: next}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, args := pa.args(r)
		for _, a := range args {
			if why := refuse(a); why != "" {
				writeRPCError(w, http.StatusBadRequest, hdrID(msg), wire.CodeHeaderMismatch, "Header mismatch: "+why)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hdrParamValue renders an argument as its Mcp-Param-* header.
func hdrParamValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return wire.EncodeHeaderValue(v), true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// paramAnnotations learns the x-mcp-header annotations of the server's
// tools by asking it for tools/list once (every page).
type paramAnnotations struct {
	next  http.Handler
	once  sync.Once
	tools map[string][]paramAnnotation
}

type paramAnnotation struct {
	name string
	path []string
}

func (p *paramAnnotations) of(r *http.Request, tool string) []paramAnnotation {
	p.once.Do(func() { p.tools = p.learn(r) })
	return p.tools[tool]
}

func (p *paramAnnotations) learn(r *http.Request) map[string][]paramAnnotation {
	out := map[string][]paramAnnotation{}
	var cursor any
	for page := 0; page < 20; page++ {
		params := map[string]any{"_meta": map[string]any{wire.MetaProtocolVersion: wire.Version, wire.MetaClientCapabilities: map[string]any{}}}
		if cursor != nil {
			params["cursor"] = cursor
		}
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params})
		req := httptest.NewRequest(http.MethodPost, impl.Endpoint, bytes.NewReader(body))
		req.Host = r.Host
		req.Header = http.Header{
			"Content-Type":         {"application/json"},
			"Accept":               {"application/json"},
			"Mcp-Method":           {"tools/list"},
			"Mcp-Protocol-Version": {wire.Version},
		}
		rec := httptest.NewRecorder()
		p.next.ServeHTTP(rec, req)
		var resp struct {
			Result struct {
				Tools []struct {
					Name        string         `json:"name"`
					InputSchema map[string]any `json:"inputSchema"`
				} `json:"tools"`
				NextCursor any `json:"nextCursor"`
			} `json:"result"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
			break
		}
		for _, t := range resp.Result.Tools {
			out[t.Name] = annotationsOf(t.InputSchema, nil)
		}
		if resp.Result.NextCursor == nil {
			break
		}
		cursor = resp.Result.NextCursor
	}
	return out
}

// annotationsOf finds the x-mcp-header annotations reachable through
// properties keys.
func annotationsOf(schema map[string]any, path []string) []paramAnnotation {
	var out []paramAnnotation
	if h, ok := schema["x-mcp-header"].(string); ok && len(path) > 0 {
		out = append(out, paramAnnotation{name: h, path: append([]string(nil), path...)})
	}
	props, _ := schema["properties"].(map[string]any)
	for k, sub := range props {
		if m, ok := sub.(map[string]any); ok {
			out = append(out, annotationsOf(m, append(path, k))...)
		}
	}
	return out
}
