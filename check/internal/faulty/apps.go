package faulty

import (
	"net/http"
	"strings"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the reference server's MCP App (the tool weather_dashboard
// and its view, ui://mcpverify/weather-dashboard), for the checks apps/*:
// each rewrites what the reference sends about the app (rewriteMessages)
// with one defect.

// appTool and appURI are the reference's app tool and its UI resource
// (impl/apps.go).
const (
	appTool = "weather_dashboard"
	appURI  = "ui://mcpverify/weather-dashboard"
)

// appsOnly limits a variant's self-test to the apps checks.
var appsOnly = []string{"apps/"}

// declaresApps reports whether the request's client declares the MCP
// Apps extension in its capabilities.
func declaresApps(q *rpcCall) bool { return declaresExtension(q, "io.modelcontextprotocol/ui") }

// declaresExtension reports whether the request's client declares the
// extension named ext in its capabilities.
func declaresExtension(q *rpcCall, ext string) bool {
	caps, _ := q.meta()[wire.MetaClientCapabilities].(map[string]any)
	exts, _ := caps["extensions"].(map[string]any)
	_, ok := exts[ext]
	return ok
}

// appContents returns the contents items of a read of the app's view.
func appContents(q *rpcCall, m map[string]any) []map[string]any {
	r := resultOf(m)
	if q.Method != "resources/read" || q.Params["uri"] != appURI || r == nil {
		return nil
	}
	items, _ := r["contents"].([]any)
	var out []map[string]any
	for _, it := range items {
		if c, ok := it.(map[string]any); ok {
			out = append(out, c)
		}
	}
	return out
}

// onAppContents edits each contents item of a read of the app's view.
func onAppContents(edit func(c map[string]any)) func(next http.Handler, _ *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			for _, c := range appContents(q, m) {
				edit(c)
			}
			return one(m)
		})
	}
}

// listedApp edits the app's view where a resources/list result lists it:
// edit changes it in place and says whether to keep it in the list.
func listedApp(q *rpcCall, m map[string]any, edit func(res map[string]any) bool) {
	r := resultOf(m)
	if r == nil || q.Method != "resources/list" {
		return
	}
	items, _ := r["resources"].([]any)
	kept := []any{}
	for _, it := range items {
		if res, ok := it.(map[string]any); !ok || res["uri"] != appURI || edit(res) {
			kept = append(kept, it)
		}
	}
	r["resources"] = kept
}

// onAppToolDef edits the app tool's definition in tools/list results.
func onAppToolDef(edit func(t map[string]any)) func(next http.Handler, _ *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if r := resultOf(m); r != nil && q.Method == "tools/list" {
				tools, _ := r["tools"].([]any)
				for _, it := range tools {
					if t, ok := it.(map[string]any); ok && t["name"] == appTool {
						edit(t)
					}
				}
			}
			return one(m)
		})
	}
}

// onAppCall edits the result of a call of the app tool by a client that
// declares the extension (apps) or by one that does not.
func onAppCall(apps bool, edit func(r map[string]any)) func(next http.Handler, _ *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if r := resultOf(m); r != nil && q.Method == "tools/call" && q.Params["name"] == appTool && declaresApps(q) == apps {
				edit(r)
			}
			return one(m)
		})
	}
}

func init() {
	Register(&Variant{
		Name:   "apps-missing-ui-resource",
		Defect: "the UI resource the app tool names does not exist: resources/read of it gets -32602 (and resources/list leaves it out)",
		Breaks: []spec.ID{spec.AppsResourceExists},
		Only:   appsOnly,
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if q.Method == "resources/read" && q.Params["uri"] == appURI && resultOf(m) != nil {
					return one(map[string]any{"jsonrpc": "2.0", "id": m["id"],
						"error": map[string]any{"code": -32602, "message": "Resource not found: " + appURI, "data": map[string]any{"uri": appURI}}})
				}
				listedApp(q, m, func(map[string]any) bool { return false })
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "apps-ui-wrong-mime",
		Defect: "the app's view is read with mimeType text/html, not text/html;profile=mcp-app",
		Breaks: []spec.ID{spec.AppsUiMime},
		Only:   appsOnly,
		Wrap:   onAppContents(func(c map[string]any) { c["mimeType"] = "text/html" }),
	})
	Register(&Variant{
		Name:   "apps-undeclared-script",
		Defect: "the app's view loads a script from https://cdn.undeclared.example, an origin its csp does not declare",
		Breaks: []spec.ID{spec.AppsCspUndeclared},
		Only:   appsOnly,
		Wrap: onAppContents(func(c map[string]any) {
			if t, ok := c["text"].(string); ok {
				c["text"] = strings.Replace(t, "</head>", `<script src="https://cdn.undeclared.example/chart.js"></script>`+"\n</head>", 1)
			}
		}),
	})
	Register(&Variant{
		Name:   "apps-ui-not-html",
		Defect: "the app's view is JSON, not an HTML document",
		Breaks: []spec.ID{spec.AppsUiHtml},
		Only:   appsOnly,
		Wrap: onAppContents(func(c map[string]any) {
			c["text"] = `{"view":"weather-dashboard","fields":["temperature","conditions","humidity"]}`
		}),
	})
	Register(&Variant{
		Name:   "apps-ui-http-csp",
		Defect: "the app's view declares connectDomains [\"http://api.weather.example\"]: plain http",
		Breaks: []spec.ID{spec.AppsCspEntries},
		Only:   appsOnly,
		Wrap: onAppContents(func(c map[string]any) {
			c["_meta"] = map[string]any{"ui": map[string]any{"csp": map[string]any{"connectDomains": []any{"http://api.weather.example"}}}}
		}),
	})
	Register(&Variant{
		Name:   "apps-ui-uri-not-ui-scheme",
		Defect: "the app tool names its view https://mcpverify.example/weather-dashboard, not a ui:// URI (served at that URI)",
		Breaks: []spec.ID{spec.AppsUiUriScheme},
		Only:   appsOnly,
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			const other = "https://mcpverify.example/weather-dashboard"
			// The read of the other URI reaches the reference as a read of
			// its view: body and Mcp-Name alike (a body rewritten alone
			// would be refused as a header mismatch, a second defect).
			inner := rewriteMessages(next, func(q *rpcCall) bool {
				if q.Method == "resources/read" && q.Params["uri"] == other {
					q.Params["uri"] = appURI
					return true
				}
				return false
			}, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				if r := resultOf(m); r != nil {
					renameURI(r, appURI, other)
				}
				return one(m)
			})
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Mcp-Name") == other {
					r.Header.Set("Mcp-Name", appURI)
				}
				inner.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "apps-listed-plain-html",
		Defect: "resources/list lists the app's view with mimeType text/html (reads still carry text/html;profile=mcp-app)",
		Breaks: []spec.ID{spec.AppsListedMime},
		Only:   appsOnly,
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
				listedApp(q, m, func(res map[string]any) bool {
					res["mimeType"] = "text/html"
					return true
				})
				return one(m)
			})
		},
	})
	Register(&Variant{
		Name:   "apps-deprecated-resourceuri",
		Defect: "the app tool also names its view with the deprecated _meta[\"ui/resourceUri\"]",
		Breaks: []spec.ID{spec.AppsDeprecatedResourceuri},
		Only:   appsOnly,
		Wrap: onAppToolDef(func(t map[string]any) {
			if meta, ok := t["_meta"].(map[string]any); ok {
				meta["ui/resourceUri"] = appURI
			}
		}),
	})
	Register(&Variant{
		Name:   "apps-empty-tool-content",
		Defect: "the app tool answers a client that declares the extension with an empty content array (its data only in structuredContent)",
		Breaks: []spec.ID{spec.AppsToolContent},
		Only:   appsOnly,
		Wrap:   onAppCall(true, func(r map[string]any) { r["content"] = []any{} }),
	})
	Register(&Variant{
		Name:   "apps-no-text-fallback",
		Defect: "the app tool answers a client without the extension with a resource link to its view, no text",
		Breaks: []spec.ID{spec.AppsTextFallback},
		Only:   appsOnly,
		Wrap: onAppCall(false, func(r map[string]any) {
			r["content"] = []any{map[string]any{"type": "resource_link", "uri": appURI, "name": "weather-dashboard", "mimeType": "text/html;profile=mcp-app"}}
		}),
	})
}

// renameURI replaces the string from by to wherever a "uri" or
// "resourceUri" member of v holds it.
func renameURI(v any, from, to string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && s == from && (k == "uri" || k == "resourceUri") {
				x[k] = to
				continue
			}
			renameURI(e, from, to)
		}
	case []any:
		for _, e := range x {
			renameURI(e, from, to)
		}
	}
}
