package impl

import (
	"fmt"

	"github.com/mcpverify/mcpverify/wire"
)

// MCP Apps, the io.modelcontextprotocol/ui extension (ext-apps
// specification/2026-01-26/apps.mdx, Stable): one tool with an interactive
// view, weather_dashboard, and the UI resource that renders it, done as
// the extension asks of servers:
//
//   - the tool names its view in _meta.ui.resourceUri (not the deprecated
//     flat _meta["ui/resourceUri"]), a URI that starts with ui:// ("URI
//     MUST start with `ui://` scheme");
//   - the resource exists and is served by resources/read ("Resource MUST
//     exist on the server"), as text of type text/html;profile=mcp-app
//     ("`mimeType` MUST be `text/html;profile=mcp-app`") holding an HTML
//     document ("Content MUST be valid HTML5 document");
//   - the view loads nothing from outside its own document: it declares no
//     csp origin and requests no permission, so a host applies the
//     restrictive default ("If `ui.csp` is omitted, Host MUST use:
//     default-src 'none'; ...") and the view still works;
//   - the tool's result carries text for the model and for hosts without
//     the extension, with the same data as structuredContent for the view
//     ("Tools MUST return meaningful content array even when UI is
//     available"; "Servers SHOULD provide text-only fallback behavior for
//     all UI-enabled tools"): every client gets the same answer.
//
// The server declares the extension in its discover result's
// capabilities (extensions/overview.mdx, "Server Capabilities").
const (
	appsExtension = "io.modelcontextprotocol/ui"
	appMIMEType   = "text/html;profile=mcp-app"
	dashboardURI  = "ui://mcpverify/weather-dashboard"
)

// dashboardHTML is the view: one document, its script and style inline.
// It speaks the extension's postMessage protocol: ui/initialize, then
// ui/notifications/initialized, then it renders the structuredContent of
// each ui/notifications/tool-result. It sets text with textContent only:
// nothing the host or the server sends is parsed as HTML.
const dashboardHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Weather dashboard</title>
<style>
body { font-family: var(--font-sans, sans-serif); margin: 0; padding: 12px; color: var(--color-text-primary, #171717); }
dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 0; }
dt { font-weight: 600; }
</style>
</head>
<body>
<h1 id="where">Weather</h1>
<dl>
<dt>Temperature</dt><dd id="temperature">-</dd>
<dt>Conditions</dt><dd id="conditions">-</dd>
<dt>Humidity</dt><dd id="humidity">-</dd>
</dl>
<script>
(function () {
  var nextId = 1;
  function send(msg) { window.parent.postMessage(Object.assign({ jsonrpc: "2.0" }, msg), "*"); }
  function show(id, text) { document.getElementById(id).textContent = text; }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) { return; }
    var m = event.data || {};
    if (m.id === 1 && m.result) {
      send({ method: "ui/notifications/initialized", params: {} });
    } else if (m.method === "ui/notifications/tool-input") {
      var a = (m.params && m.params.arguments) || {};
      show("where", "Weather for " + String(a.location || ""));
    } else if (m.method === "ui/notifications/tool-result") {
      var w = (m.params && m.params.structuredContent) || {};
      show("temperature", String(w.temperature) + " \u00b0C");
      show("conditions", String(w.conditions));
      show("humidity", String(w.humidity) + " %");
    }
  });
  send({ id: nextId++, method: "ui/initialize", params: { appCapabilities: {}, appInfo: { name: "weather-dashboard", version: "1.0.0" }, protocolVersion: "2026-01-26" } });
})();
</script>
</body>
</html>
`

// addApps adds the app tool and its UI resource.
func (r *registry) addApps() error {
	def := wire.Tool{Name: "weather_dashboard", Title: "Weather dashboard",
		Description: "Shows (made-up) weather for a location in an interactive view (MCP Apps); hosts without the view get the same weather as text",
		InputSchema: wire.Value(weatherInput), OutputSchema: wire.Value(weatherOutput),
		Annotations: &wire.ToolAnnotations{ReadOnlyHint: ptr(true)},
		Meta:        wire.Object{"ui": wire.MustMarshal(map[string]string{"resourceUri": dashboardURI})}}
	t, err := newTool(def, runWeatherDashboard)
	if err != nil {
		return fmt.Errorf("impl: %w", err)
	}
	if err := r.addTool(t); err != nil {
		return err
	}
	contents := &wire.TextResourceContents{URI: dashboardURI, MimeType: appMIMEType, Text: dashboardHTML,
		Meta: wire.Object{"ui": wire.MustMarshal(map[string]bool{"prefersBorder": true})}}
	r.addResource(&resource{def: wire.Resource{URI: dashboardURI, Name: "weather-dashboard", Title: "Weather Dashboard",
		Description: "The interactive view of weather_dashboard", MimeType: appMIMEType},
		read: func(*exchange, string, map[string]string, *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
			return readResult(contents, readTTLMs, wire.CacheScopePublic), nil, nil
		}})
	return nil
}

// runWeatherDashboard answers as get_weather does, with a sentence for
// the model and text-only hosts before the JSON.
func runWeatherDashboard(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	loc, _ := args["location"].(string)
	w := weatherAt(loc)
	text := fmt.Sprintf("Weather for %s: %.1f °C, %s, humidity %.0f %%.", loc, w.Temperature, w.Conditions, w.Humidity)
	return structuredResult(text, w), nil, nil
}
