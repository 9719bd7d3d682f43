// Package wire is the JSON-RPC 2.0 and MCP 2026-07-28 message layer: the
// message types named as in schema.json, the method table, the error codes,
// the header value encoding of Streamable HTTP, and the one strict decoding
// policy of mcpverify (case-sensitive member names, duplicate names
// rejected, invalid UTF-8 rejected, bounded nesting, unknown members kept
// where the schema allows extension).
//
// Package wire does no I/O beyond parsing byte slices and readers; it
// imports only the standard library and the JSON library it decodes with.
package wire
