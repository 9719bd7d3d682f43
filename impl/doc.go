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
// the same keys. Every request has a principal: the name its bearer token
// maps to (Config.Tokens), iss + " " + sub of a JWT access token of
// Config.Issuer, Config.StdioPrincipal on stdio, or the anonymous "" when
// the server has no authentication; requestState and state handles are
// bound to it.
//
// The server makes no calls on a caller's behalf to any other service, so
// a client's token never travels further than this server: it is never
// passed upstream (security best practices, "Token Passthrough"). The only
// requests the server makes are for its issuer's metadata and keys, and
// they carry no credentials.
//
// The security decisions, and where they are made:
//
//   - per-request _meta validation, version negotiation, unknown and removed
//     methods: core.go;
//   - Origin and Host validation (DNS rebinding: only the server's own
//     origin and configured ones, a strict parser): origin.go;
//   - CORS, the mirrored Mcp-* headers and their Base64 encoding, header
//     checks of notifications, status codes, SSE framing and cancellation
//     by disconnect: http.go, headers.go;
//   - what a caller can make the server hold: connections, header and body
//     size and time, nesting and member counts read as the body arrives,
//     bodies in flight (globally and per principal), decoding slots for
//     large bodies, listen streams per principal and in all: limits.go
//     (listen streams in subscriptions.go);
//   - who the caller is: bearer tokens to principals, 401 with
//     WWW-Authenticate: Bearer (after Host and Origin, before anything of
//     the body is read), the fixed principal of stdio: auth.go;
//   - the OAuth resource server (issuer mode): the issuer's metadata and
//     key set, fetched within bounds and refetched at most every 30 s,
//     JWT access token validation (algorithm allow-list, iss, aud, exp,
//     nbf): issuer.go; Protected Resource Metadata, the challenges and the
//     scopes each tool needs (403 insufficient_scope): resource.go;
//   - newline framing, bounded lines, atomic writes and
//     notifications/cancelled: stdio.go;
//   - requestState sealing, its binding to principal, method, digest of the
//     salient params and expiry, the one accepted spelling of its text,
//     key derivation and rotation, and cursor MACs: state.go (the codec is
//     exported as StateCodec for the fuzz targets);
//   - what the instances of a deployment share, and the quotas on it: the
//     Store interface (store.go): the single-use ledger, the carts and the
//     tasks, kept in memory for one process (MemoryStore,
//     store_memory.go) or in Redis for a deployment (RedisStore,
//     store_redis.go), every record counted against its principal and
//     against a total no principal alone reaches;
//   - single use of a requestState where a handler needs it (a nonce
//     redeemed in the Store, atomically across instances, failing closed):
//     the transfer fixture in fixtures_state.go;
//   - what each principal is shown: with Config.Tokens each principal owns
//     notes, pages of them and a template of the pages, listed, read and
//     completed for it alone; resources/list and resources/templates/list
//     are then "private", another principal's read gets the "Resource not
//     found" of an unknown URI and its completion the -32602 of an
//     unknown template: owned.go;
//   - state handles: 128 random bits, opaque, keyed by (principal, handle),
//     one indistinguishable "cart not found" for foreign, unknown, expired
//     and deleted handles, bounded lifetime and count: carts.go, with the
//     cart_* tools in fixtures_state.go, the carts in the Store;
//   - which error travels with which HTTP status: errors.go;
//   - MRTR: which input kinds may be asked for (client capabilities), how
//     inputResponses are validated, what happens to missing, extra and
//     tampered input: mrtr.go;
//   - tool input validation against inputSchema (JSON Schema 2020-12, no
//     remote $ref) and structuredContent against outputSchema: tools.go;
//   - subscriptions/listen: subscriptions.go;
//   - the tasks extension (SEP-2663): task IDs of 128 random bits keyed by
//     (principal, ID), one -32602 for foreign and unknown tasks, tasks per
//     principal and in all bounded, expiry and purging, cancellation that
//     stops the work, terminal statuses that never change, input during a
//     task, -32021 without the extension, work that Close stops and waits
//     for, tasks in the Store served by every instance while the work runs
//     where it was created: tasks.go, with the suite's tasks fixtures in
//     fixtures_tasks.go;
//   - file access, confined to Config.AllowedDirs: each directory an
//     os.Root, absolute paths compared segment by segment, one refusal for
//     outside and missing, bounded reads, file:// URIs decoded once:
//     files.go.
//
// The features (tools, prompts, resources) are the fixtures of the official
// MCP conformance suite plus a few that show one more rule each; they live
// in fixtures.go (transfer and the cart_* tools, whose state spans
// requests, in fixtures_state.go), and their lists are paginated and encoded once, in New
// (registry.go). Request params are decoded into the private types of
// params.go, which keep what the wire types cannot say (whether a required
// member was present; arguments and inputResponses raw, to canonicalize and
// validate them); everything the server sends is built from wire types.
//
// Package impl imports the module's wire package and never model or check:
// the model and this server are independent statements of the same spec.
package impl
