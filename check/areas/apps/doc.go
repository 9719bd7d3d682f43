// Package apps checks what a server of the MCP Apps extension
// (io.modelcontextprotocol/ui; ext-apps specification/2026-01-26/apps.mdx,
// Stable) owes its hosts: the UI resources its tools name exist, start
// with ui://, and are read as text/html;profile=mcp-app HTML documents;
// its UI tools return meaningful content, and text for hosts without the
// extension. As hardening it reads each resource's HTML statically and
// compares the origins it loads from with the csp lists the resource
// declares.
//
// Host-side rules (CSP enforcement, sandboxing, visibility) bind hosts and
// are not checked: a server cannot tell an app's call from another's, so
// app-only tools get the usual checks of the other areas.
package apps
