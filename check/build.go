package check

import (
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// Declarations are what the server under test has declared about itself,
// learnt from its answers: the tools with their input schemas and
// x-mcp-header annotations, the prompts with their arguments, and the
// resources and resource templates. Requests are generated from them.
type Declarations struct {
	Tools     map[string]*ToolDecl
	Prompts   map[string]*wire.Prompt
	Templates map[string]*wire.ResourceTemplate
	// Resources are the URIs of the listed resources, in the order first
	// listed.
	Resources []string
	resources map[string]bool
}

// ToolDecl is one listed tool.
type ToolDecl struct {
	Tool    wire.Tool
	Schema  any // inputSchema decoded
	Headers []model.ParamHeader
}

// NewDeclarations returns empty declarations.
func NewDeclarations() *Declarations {
	return &Declarations{Tools: map[string]*ToolDecl{}, Prompts: map[string]*wire.Prompt{}, Templates: map[string]*wire.ResourceTemplate{}, resources: map[string]bool{}}
}

// Learn records what a list result in ex declares.
func (d *Declarations) Learn(ex *wire.Exchange) {
	ex.Decode()
	for _, r := range ex.Replies {
		switch res := r.Result.(type) {
		case *wire.ListToolsResult:
			for _, t := range res.Tools {
				td := &ToolDecl{Tool: t, Headers: model.ParamHeaders(t.InputSchema)}
				_ = wire.Unmarshal(t.InputSchema, &td.Schema)
				d.Tools[t.Name] = td
			}
		case *wire.ListPromptsResult:
			for i := range res.Prompts {
				p := res.Prompts[i]
				d.Prompts[p.Name] = &p
			}
		case *wire.ListResourcesResult:
			for _, r := range res.Resources {
				if !d.resources[r.URI] {
					d.resources[r.URI] = true
					d.Resources = append(d.Resources, r.URI)
				}
			}
		case *wire.ListResourceTemplatesResult:
			for i := range res.ResourceTemplates {
				t := res.ResourceTemplates[i]
				d.Templates[t.URITemplate] = &t
			}
		}
	}
}

// Build turns an action of the model into a concrete, conforming request:
// tool arguments drawn from the tool's inputSchema, prompt arguments for
// every declared argument, resource URIs expanded from templates.
func (d *Declarations) Build(ch gen.Chooser, c Client, id wire.RequestID, a model.Action) *Request {
	params := map[string]any{}
	var headers []model.ParamHeader
	switch a.Method {
	case "tools/call":
		params["name"] = a.Name
		args := map[string]any{}
		if td := d.Tools[a.Name]; td != nil {
			if m, ok := gen.GenerateValue(ch, td.Schema).(map[string]any); ok {
				args = m
			}
			headers = td.Headers
		}
		params["arguments"] = args
	case "prompts/get":
		params["name"] = a.Name
		if p := d.Prompts[a.Name]; p != nil && len(p.Arguments) > 0 {
			args := map[string]any{}
			for _, arg := range p.Arguments {
				if (arg.Required != nil && *arg.Required) || ch.Intn(2) == 0 {
					args[arg.Name] = gen.SampleStrings[1+ch.Intn(len(gen.SampleStrings)-1)]
				}
			}
			params["arguments"] = args
		}
	case "resources/read":
		uri := a.Name
		if a.Template {
			uri = gen.ExpandTemplate(ch, a.Name)
		}
		params["uri"] = uri
	case "completion/complete":
		arg := "value"
		if p := d.Prompts[a.Name]; p != nil && len(p.Arguments) > 0 {
			arg = p.Arguments[ch.Intn(len(p.Arguments))].Name
		}
		params["ref"] = map[string]any{"type": "ref/prompt", "name": a.Name}
		params["argument"] = map[string]any{"name": arg, "value": gen.SampleStrings[ch.Intn(3)]}
	case "subscriptions/listen":
		params["notifications"] = map[string]any{"toolsListChanged": ch.Intn(2) == 0, "promptsListChanged": ch.Intn(2) == 0}
	}
	if a.HasCursor {
		params["cursor"] = a.Cursor
	}
	r := c.Request(id, a.Method, params, headers)
	if a.Method == "subscriptions/listen" {
		r.StopAfter = 1 // the acknowledgement, then close (a cancellation)
	}
	return r
}
