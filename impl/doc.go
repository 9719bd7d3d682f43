// Package impl is the reference MCP server of mcpverify: a server for
// protocol revision 2026-07-28 over Streamable HTTP and stdio, written for
// readers as the place to see how each security decision of the revision is
// made correctly.
//
// The server is stateless: every request carries its protocol version and
// client capabilities in _meta and is served on its own. State that must
// span a multi round-trip request travels in requestState, sealed with
// AES-256-GCM under keys that every instance shares (Config.StateKeys), so
// any request may land on any instance. Pagination cursors are MACed under
// the same keys.
//
// The security decisions, and where they are made:
//
//   - per-request _meta validation, version negotiation, unknown and removed
//     methods: core.go;
//   - Origin and Host validation (DNS rebinding), CORS, body and nesting
//     limits, the mirrored Mcp-* headers and their Base64 encoding, status
//     codes, SSE framing and cancellation by disconnect: http.go, headers.go;
//   - newline framing, bounded lines, atomic writes and
//     notifications/cancelled: stdio.go;
//   - requestState sealing, binding and key rotation, and cursor MACs:
//     state.go;
//   - which error travels with which HTTP status: errors.go;
//   - MRTR: which input kinds may be asked for (client capabilities), how
//     inputResponses are validated, what happens to missing, extra and
//     tampered input: mrtr.go;
//   - tool input validation against inputSchema (JSON Schema 2020-12, no
//     remote $ref) and structuredContent against outputSchema: tools.go;
//   - subscriptions/listen: subscriptions.go.
//
// The features (tools, prompts, resources) are the fixtures of the official
// MCP conformance suite plus a few that show one more rule each; they live
// in fixtures.go, and their lists are paginated and encoded once, in New
// (registry.go). Request params are decoded into the private types of
// params.go, which keep what the wire types cannot say (whether a required
// member was present; arguments and inputResponses raw, to canonicalize and
// validate them); everything the server sends is built from wire types.
//
// Package impl imports the module's wire package and never model or check:
// the model and this server are independent statements of the same spec.
package impl
