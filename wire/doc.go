// Package wire is the JSON-RPC 2.0 and MCP 2026-07-28 message layer: the
// message types named as in schema.json, the method table, the error codes,
// the header value encoding of Streamable HTTP, and the one strict decoding
// policy of mcpverify (case-sensitive member names, duplicate names
// rejected, invalid UTF-8 rejected, bounded nesting, unknown members kept
// where the schema allows extension, unknown members that differ from a
// defined one only in case rejected).
//
// # Types
//
// Every definition of schema.json has a Go type of the same name (the
// definitions that only rename another are aliases: EmptyResult is
// Result, ParseError is Error). The conventions:
//
//   - Every object keeps the members it does not define in Extra, so
//     decoding then encoding loses nothing. Free-form JSON (tool schemas,
//     arguments, structuredContent, log data) stays raw, as Value.
//   - An optional member whose zero value means something is a pointer
//     (IsError *bool, TTLMs *int64, NextCursor *string, RequestState
//     *string): nil is absent. Other optional members are plain values,
//     absent when zero. Members the schema requires but a peer may omit
//     anyway (_meta of a request, ttlMs and cacheScope of a cacheable
//     result) are optional in Go too, so the omission can be seen.
//   - A RequestID member is absent when zero (IsZero).
//   - A sealed union (ContentBlock, InputRequest, ElicitRequestParams,
//     PrimitiveSchemaDefinition, ...) is an interface with an unexported
//     method, implemented by pointers to its variants. It decodes through
//     the strict policy by the discriminator the schema defines ("type",
//     "method", "mode") or, where it defines none, by shape; an unknown
//     discriminator, a shape that fits no variant or several, and null are
//     errors. A variant's discriminator is an ordinary field (Type,
//     Method, Mode) that must be set when a value is built in code.
//   - Zero RequestIDs and nil unions are omitted when encoding, so that an
//     encoding always decodes again.
//
// The types nearly every request carries (CallToolRequestParams,
// ToolArguments, RequestMetaObject, Implementation, ClientCapabilities and
// its two capability objects) decode without reflection (fastdecode.go),
// with the same results, held to json's reflective decoding of the same
// types by TestFastDecodeAgrees and FuzzFastDecodeAgrees: with the
// envelope's one-pass decoding (DecodeRequest), a typical tools/call
// decodes in about 32,000 instructions (BenchmarkDecodeRequest under
// callgrind, GOGC=off), 20% fewer than by reflection.
//
// Types with union members decode only through Unmarshal (or
// DecodeMessage, DecodeParams, DecodeResult), never with the JSON library
// directly.
//
// Package wire does no I/O beyond parsing byte slices and readers; it
// imports only the standard library and the JSON library it decodes with.
package wire
